//! Counts up forever, checking the yield flag on every step, and reports progress to its console.

/// Print progress every this many steps (a power of two keeps the check cheap).
const REPORT_EVERY: u64 = 1 << 24;

#[coreplay::main]
async fn main() {
    let mut count: u64 = 0;
    loop {
        count += 1;
        if count.is_multiple_of(REPORT_EVERY) {
            coreplay::println!("count = {count}");
        }
        coreplay::maybe_yield().await;
    }
}
