//! Write a Coreplay task as an ordinary async Rust program:
//!
//! ```ignore
//! #[coreplay::main]
//! async fn main() {
//!     loop {
//!         work();
//!         coreplay::maybe_yield().await; // returns to the host when the slice is over
//!     }
//! }
//! ```
//!
//! The host calls the task's `service` export once per time slice; the executor polls the
//! task's main future once and returns as soon as it yields. All task state lives in linear
//! memory between slices (async Rust is stackless), which is what makes snapshots possible.

pub mod calls;
pub mod executor;
mod messages;
mod sys;
mod yielding;

pub use calls::{call, call_raw, serve};
pub use coreplay_abi::{ABI_VERSION, CallError, MAX_MESSAGE_BYTES, TaskId};
pub use coreplay_macros::main;
pub use messages::{Message, Recv, recv, send, send_raw, try_recv};
/// The SCALE codec messages are encoded with.
pub use parity_scale_codec as codec;
pub use yielding::{MaybeYield, maybe_yield, should_yield};

/// The host's own task id: messages from the page (e.g. a miner's work) come from it.
pub const HOST: TaskId = coreplay_abi::HOST_TASK;

/// Ends the task now with a failure and `reason`.
pub fn fail(reason: &str) -> ! {
    sys::task_exit(coreplay_abi::EXIT_FAILED, reason);
    unreachable!("task_exit does not return")
}

/// Writes one line to the task's console on the host.
pub fn print_str(text: &str) {
    sys::print(text.as_bytes());
}

/// `print!` for tasks: formats and writes to the task's console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::print_str(&::std::format!($($arg)*)) };
}

/// `println!` for tasks; the console is line-based, so this is `print!`.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => { $crate::print_str(&::std::format!($($arg)*)) };
}
