//! Never checks the yield flag: the host must preempt it by force.

#[coreplay::main]
async fn main() {
    coreplay::println!("spinning without ever yielding");
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
    }
}
