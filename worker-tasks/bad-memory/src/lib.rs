//! Allocates 1 MiB after another and never frees them, yielding politely all the while.

#[coreplay::main]
async fn main() {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        let mut block = vec![0u8; 1 << 20];
        // Touch the pages so the memory is really used.
        block.iter_mut().step_by(4096).for_each(|b| *b = 1);
        hoard.push(block);
        if hoard.len().is_multiple_of(64) {
            coreplay::println!("holding {} MiB", hoard.len());
        }
        coreplay::maybe_yield().await;
    }
}
