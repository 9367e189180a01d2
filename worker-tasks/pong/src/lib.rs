//! Echoes every message back to its sender.

#[coreplay::main]
async fn main() {
    loop {
        let msg = coreplay::recv().await;
        coreplay::send_raw(msg.from, msg.body);
    }
}
