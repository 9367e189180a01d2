//! Mines whatever work it is sent: for each `MineRequest`, the exact search of the Worker
//! contract's `compute()` (see `interplay-pow`). It tells the sender its progress at the start of
//! each slice after the first and then sends the `MineReport`.

use interplay_pow::{
    Work,
    messages::{MineReport, MineRequest, MinerUpdate},
};

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
        // 0 never checks: the benchmark's baseline for what checking costs.
        let chunk = match request.check_every {
            0 => u64::MAX,
            n => n,
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
            let stop = next.saturating_add(chunk).min(work.end);
            results.extend((next..stop).filter_map(|i| work.try_index(i)));
            next = stop;
            if coreplay::should_yield() {
                coreplay::maybe_yield().await;
                // Reported as the next slice starts, so the yield itself stays prompt.
                let hashes = next - work.start;
                coreplay::send(msg.from, &MinerUpdate::Progress { hashes });
            }
        }
        let hashes = work.end.saturating_sub(work.start);
        coreplay::println!("found {} results in {hashes} hashes", results.len());
        coreplay::send(
            msg.from,
            &MinerUpdate::Report(MineReport { results, hashes }),
        );
    }
}
