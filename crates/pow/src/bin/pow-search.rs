//! The native search, for comparing with the browser miner (Playwright runs this) and for the
//! native side of the benchmark.
//!
//! `pow-search <seed-hex> <start> <end> <bits>` prints the result indices, comma-separated.
//! `pow-search --rate <hashes>` prints this machine's single-core keccak rate in hashes/s.

use std::{process::ExitCode, time::Instant};

use interplay_pow::{Work, index_of, parse_word, target_for_bits};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag, hashes] if flag == "--rate" => {
            let Ok(hashes) = hashes.parse::<u64>() else {
                return usage();
            };
            let work = Work {
                seed: [7; 32],
                start: 0,
                end: hashes,
                target: target_for_bits(6),
            };
            let started = Instant::now();
            let found = std::hint::black_box(work.search()).len();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{:.0} hashes/s ({found} results in {hashes} hashes, {secs:.3} s)",
                hashes as f64 / secs
            );
            ExitCode::SUCCESS
        }
        [seed, start, end, bits] => {
            let (Some(seed), Ok(start), Ok(end), Ok(bits)) = (
                parse_word(seed),
                start.parse::<u64>(),
                end.parse::<u64>(),
                bits.parse::<u32>(),
            ) else {
                return usage();
            };
            let work = Work {
                seed,
                start,
                end,
                target: target_for_bits(bits),
            };
            let indices: Vec<String> = work
                .search()
                .iter()
                .filter_map(|r| index_of(&seed, r))
                .map(|i| i.to_string())
                .collect();
            println!("{}", indices.join(","));
            ExitCode::SUCCESS
        }
        _ => usage(),
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: pow-search <seed-hex> <start> <end> <bits> | pow-search --rate <hashes>");
    ExitCode::FAILURE
}
