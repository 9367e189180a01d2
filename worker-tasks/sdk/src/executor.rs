//! A single-future executor driven by the host's calls to `service`.

use std::{
    cell::RefCell,
    future::Future,
    pin::Pin,
    task::{Context, Poll, Waker},
};

use coreplay_abi::{EXIT_FAILED, SERVICE_DONE, SERVICE_WAITING, SERVICE_YIELDED};

use crate::messages::WAITING;

type MainFuture = Pin<Box<dyn Future<Output = ()>>>;

enum State {
    NotStarted,
    Running(MainFuture),
    Done,
}

thread_local! {
    // wasm32 without atomics has one thread; thread_local is a plain static there.
    static TASK: RefCell<State> = const { RefCell::new(State::NotStarted) };
}

/// Polls the task's main future once, creating it on the first call. Called by the `service`
/// export that `#[coreplay::main]` generates.
pub fn service<F, Fut>(main: F) -> i32
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()> + 'static,
{
    TASK.with(|task| {
        let mut state = task.borrow_mut();
        if matches!(*state, State::NotStarted) {
            install_panic_hook();
            *state = State::Running(Box::pin(main()));
        }
        let State::Running(future) = &mut *state else {
            return SERVICE_DONE;
        };
        WAITING.with(|w| w.set(false));
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            // Pending on `recv`: the host need not run us until a message arrives.
            Poll::Pending if WAITING.with(|w| w.get()) => SERVICE_WAITING,
            Poll::Pending => SERVICE_YIELDED,
            Poll::Ready(()) => {
                *state = State::Done;
                SERVICE_DONE
            }
        }
    })
}

/// A panic aborts (traps) on wasm32; tell the host why first, so the failure has a reason.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let reason = format!("panicked: {info}");
        crate::sys::task_exit(EXIT_FAILED, &reason);
    }));
}
