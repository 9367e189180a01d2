//! Waits for `(calc task id, calls)` from the host, then calls the calc task that many times,
//! synchronously, checking every sum; tells the host how many it made.

#[coreplay::main]
async fn main() {
    let start = coreplay::recv().await;
    let Ok((calc, calls)) = start.decode::<(coreplay::TaskId, u64)>() else {
        coreplay::fail("expected (calc task id, calls) as the first message");
    };
    for i in 0..calls {
        match coreplay::call::<_, u64>(calc, &(i, i * 3)) {
            Ok(sum) if sum == i * 4 => {}
            other => coreplay::fail(&format!("call {i}: expected {}, got {other:?}", i * 4)),
        }
        coreplay::maybe_yield().await;
    }
    coreplay::println!("{calls} calls to task {calc} answered correctly");
    coreplay::send(start.from, &calls);
}
