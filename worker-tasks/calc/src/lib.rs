//! Serves synchronous calls: each `(a, b)` request is answered with `a + b` (wrapping) at once,
//! while its own main just waits for messages. Counts the calls it served.

use std::{cell::Cell, rc::Rc};

use coreplay::codec::{DecodeAll, Encode};

#[coreplay::main]
async fn main() {
    let served = Rc::new(Cell::new(0u64));
    let count = served.clone();
    coreplay::serve(move |from, request| {
        let Ok((a, b)) = <(u64, u64)>::decode_all(&mut &request[..]) else {
            coreplay::fail(&format!(
                "task {from} called with a request that is not (u64, u64)"
            ));
        };
        count.set(count.get() + 1);
        a.wrapping_add(b).encode()
    });
    loop {
        // Any message asks how many calls it served so far.
        let msg = coreplay::recv().await;
        coreplay::println!("served {} calls", served.get());
        coreplay::send(msg.from, &served.get());
    }
}
