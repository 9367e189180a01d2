//! Runs one honest slice, then sends the host a message whose body alone is over the ABI's size
//! limit: the host must fail this task with the limit in the reason.

use coreplay::MAX_MESSAGE_BYTES;

#[coreplay::main]
async fn main() {
    coreplay::println!("sending {} bytes", MAX_MESSAGE_BYTES + 1);
    // One honest slice first: the failure must come from a task that was running fine.
    while !coreplay::should_yield() {
        std::hint::spin_loop();
    }
    coreplay::maybe_yield().await;
    coreplay::send_raw(coreplay::HOST, vec![0xab; MAX_MESSAGE_BYTES as usize + 1]);
    coreplay::println!("the host took a message over the limit");
}
