//! Messages between the main thread (which owns the schedule) and a core's Web Worker.

use serde::{Deserialize, Serialize};

pub use coreplay_abi::TaskId;

/// Main thread → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// First message: which core this worker is. The yield flags (a `SharedArrayBuffer`) travel
    /// beside it when the page is cross-origin isolated; without them the worker uses deadlines.
    Init { core: u32 },
    /// Compile and instantiate a task module on this core.
    Load {
        task: TaskId,
        name: String,
        #[serde(with = "serde_bytes")]
        module: Vec<u8>,
    },
    /// Run one slice of `task`. `slice_ms` is only read in deadline mode.
    Run { task: TaskId, slice_ms: f64 },
}

/// Worker → main thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker is listening; send `Init`.
    Ready,
    /// `Init` processed; `shared_flags` says which yield signal the worker uses.
    Initialized {
        shared_flags: bool,
    },
    Loaded {
        task: TaskId,
    },
    /// The module was refused; nothing of it runs.
    LoadFailed {
        task: TaskId,
        reason: String,
    },
    /// One slice ran.
    Slice(SliceReport),
}

/// What one slice did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceReport {
    pub task: TaskId,
    pub outcome: SliceOutcome,
    /// Wall time spent inside `service`, in milliseconds.
    pub elapsed_ms: f64,
    /// How often the task asked `should_yield` during the slice.
    pub yield_checks: u64,
    /// Lines the task printed during the slice.
    pub console: Vec<String>,
    /// Messages the task sent to the host (task 0): `(from, SCALE body)`.
    pub to_host: Vec<(TaskId, Vec<u8>)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SliceOutcome {
    /// `service` returned because the task yielded; schedule it again.
    Yielded,
    /// The task waits in `recv`; schedule it once a message is waiting.
    Waiting,
    /// The task's main finished.
    Done,
    /// The task trapped, broke the ABI, or said it failed; it will not run again.
    Failed { reason: String },
}
