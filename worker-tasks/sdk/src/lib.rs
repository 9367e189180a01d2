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

pub mod executor;
mod sys;
mod yielding;

pub use coreplay_macros::main;
pub use yielding::{MaybeYield, maybe_yield, should_yield};

/// Version of the task ABI (see `worker-tasks/ABI.md`) this SDK implements.
pub const ABI_VERSION: u32 = 1;

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
