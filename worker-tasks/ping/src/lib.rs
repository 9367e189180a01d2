//! Waits for `(peer, rounds)` from the host, then plays `rounds` of ping/pong with `peer`,
//! checking that every answer is the number it sent, and tells the host when it is done.

#[coreplay::main]
async fn main() {
    let start = coreplay::recv().await;
    let Ok((peer, rounds)) = start.decode::<(coreplay::TaskId, u32)>() else {
        coreplay::fail("expected (peer task id, rounds) as the first message");
    };
    for n in 0..rounds {
        coreplay::send(peer, &n);
        let reply = coreplay::recv().await;
        match reply.decode::<u32>() {
            Ok(m) if m == n && reply.from == peer => {}
            other => coreplay::fail(&format!(
                "round {n}: expected {n} from task {peer}, got {other:?} from {}",
                reply.from
            )),
        }
    }
    coreplay::println!("{rounds} round trips with task {peer}");
    coreplay::send(start.from, &rounds);
}
