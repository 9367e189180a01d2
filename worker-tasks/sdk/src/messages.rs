//! Messages between tasks: SCALE-encoded bodies in the ABI's envelopes.

use std::{
    cell::Cell,
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

use coreplay_abi::{Inbound, Outbound, TaskId};
use parity_scale_codec::{Decode, DecodeAll, Encode};

/// A message another task (or the host, as task 0) sent to this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub from: TaskId,
    pub body: Vec<u8>,
}

impl Message {
    /// Decodes the body as `T`; the whole body must be consumed.
    pub fn decode<T: Decode>(&self) -> Result<T, parity_scale_codec::Error> {
        T::decode_all(&mut &self.body[..])
    }
}

/// Sends `msg` to task `to`. The host fails this task if `to` does not exist, its inbox is
/// full, or the message is over the size limit.
pub fn send<T: Encode>(to: TaskId, msg: &T) {
    send_raw(to, msg.encode());
}

/// Sends an already encoded body.
pub fn send_raw(to: TaskId, body: Vec<u8>) {
    crate::sys::send_message(&Outbound { to, body }.encode());
}

/// The next message if one is waiting, without waiting.
pub fn try_recv() -> Option<Message> {
    let mut buf = vec![0u8; 1024];
    loop {
        let n = crate::sys::next_message(&mut buf);
        if n == 0 {
            return None;
        }
        if n < 0 {
            // Too big for the buffer: the host kept it queued and told us the size.
            buf.resize(n.unsigned_abs() as usize, 0);
            continue;
        }
        let inbound =
            Inbound::decode_all(&mut &buf[..n as usize]).expect("the host sends valid envelopes");
        return Some(Message {
            from: inbound.from,
            body: inbound.body,
        });
    }
}

/// Waits for the next message. While waiting the task uses no slices: the host schedules it
/// again only when a message has arrived.
pub fn recv() -> Recv {
    Recv(())
}

/// Future returned by [`recv`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Recv(());

thread_local! {
    /// Set when the main future is pending on [`recv`], so `service` reports "waiting".
    pub(crate) static WAITING: Cell<bool> = const { Cell::new(false) };
}

impl Future for Recv {
    type Output = Message;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Message> {
        match try_recv() {
            Some(msg) => Poll::Ready(msg),
            None => {
                WAITING.with(|w| w.set(true));
                Poll::Pending
            }
        }
    }
}
