//! Works normally for two slices, then panics (a trap on wasm32).

#[coreplay::main]
async fn main() {
    let mut slices = 0u32;
    loop {
        while !coreplay::should_yield() {
            std::hint::spin_loop();
        }
        slices += 1;
        if slices == 3 {
            panic!("deliberate panic on slice {slices}");
        }
        coreplay::maybe_yield().await;
    }
}
