//! Mines whatever work it is sent: for each `MineRequest`, the exact search of the Worker
//! contract's `compute()` (see `interplay-pow`), answered with a `MineReport` to the sender.

use interplay_pow::{
    Work,
    messages::{MineReport, MineRequest},
};

/// Hashes between yield checks: small enough to yield within ~0.1 ms, large enough that the
/// check costs well under 1 % of the hashing.
const CHUNK: u64 = 128;

#[coreplay::main]
async fn main() {
    loop {
        let msg = coreplay::recv().await;
        let Ok(request) = msg.decode::<MineRequest>() else {
            coreplay::println!(
                "ignored a message from task {} that is not a MineRequest",
                msg.from
            );
            continue;
        };
        let work = Work::from(request);
        coreplay::println!(
            "mining indices {}..{} for task {}",
            work.start,
            work.end,
            msg.from
        );
        let mut results = Vec::new();
        let mut next = work.start;
        while next < work.end {
            let stop = next.saturating_add(CHUNK).min(work.end);
            results.extend((next..stop).filter_map(|i| work.try_index(i)));
            next = stop;
            coreplay::maybe_yield().await;
        }
        let hashes = work.end.saturating_sub(work.start);
        coreplay::println!("found {} results in {hashes} hashes", results.len());
        coreplay::send(msg.from, &MineReport { results, hashes });
    }
}
