//! A native Coreplay host on wasmi: the same task ABI v1 as the browser's Web Worker host, with
//! a deterministic yield signal (the flag rises after a set number of checks) and fuel as the
//! hard-preemption backstop. `cargo test` runs the real task `.wasm` files through it.

mod host;

pub use host::{HostConfig, NativeHost, SliceOutcome, SliceReport, TaskStatus};

pub use coreplay_abi::{AbiError, TaskId};
