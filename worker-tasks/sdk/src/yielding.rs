//! Cooperative yielding: the host raises a flag when the slice is over; the task checks it.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
};

/// True when the host wants the task to return from this slice.
pub fn should_yield() -> bool {
    crate::sys::should_yield()
}

/// Yields to the host if the slice is over, otherwise completes at once. Await it in loops.
pub fn maybe_yield() -> MaybeYield {
    MaybeYield { yielded: false }
}

/// Future returned by [`maybe_yield`].
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct MaybeYield {
    yielded: bool,
}

impl Future for MaybeYield {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        // The host polls again next slice by itself, so no waker is needed.
        if self.yielded || !should_yield() {
            Poll::Ready(())
        } else {
            self.yielded = true;
            Poll::Pending
        }
    }
}
