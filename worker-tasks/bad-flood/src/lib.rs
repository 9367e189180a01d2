//! Sends message after message to the task named in its first message, never waiting.

#[coreplay::main]
async fn main() {
    let start = coreplay::recv().await;
    let Ok(victim) = start.decode::<coreplay::TaskId>() else {
        coreplay::fail("expected the victim's task id as the first message");
    };
    let mut n: u64 = 0;
    loop {
        coreplay::send(victim, &n);
        n += 1;
        coreplay::maybe_yield().await;
    }
}
