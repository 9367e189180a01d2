//! Messages between the main thread (which owns the schedule) and the Web Workers: the core
//! workers that run tasks and the clock worker that ends slices.

use serde::{Deserialize, Serialize};

pub use coreplay_abi::TaskId;

/// What a worker does; one binary serves both roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Role {
    /// Runs tasks, one slice at a time.
    Core,
    /// Keeps the slice clock: raises yield flags and reports overdue slices. Workers' timers
    /// are not throttled in hidden tabs the way the page's are.
    Clock,
}

/// Main thread → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// First message. On an isolated page the flags (`SharedArrayBuffer`s) travel beside it;
    /// without them the cores use deadlines.
    Init { core: u32, role: Role },
    /// Compile and instantiate a task module on this core, optionally resuming a snapshot.
    Load {
        task: TaskId,
        name: String,
        #[serde(with = "serde_bytes")]
        module: Vec<u8>,
        restore: Option<Restore>,
    },
    /// Run one slice of `task`. `slice_ms` is only read in deadline mode. With `snapshot`, the
    /// report carries the task's state after the slice.
    Run {
        task: TaskId,
        slice_ms: f64,
        generation: u32,
        snapshot: bool,
    },
    /// Queue a message from a task on another core (or the host) for `to`.
    Deliver {
        from: TaskId,
        to: TaskId,
        #[serde(with = "serde_bytes")]
        body: Vec<u8>,
    },
    /// Forget a task (killed, or failed elsewhere).
    Unload { task: TaskId },
    /// Report the state of these tasks now (another task just joined their core).
    Snapshot { tasks: Vec<TaskId> },
    /// Clock only: raise `core`'s flag after `slice_ms` unless a newer slice started, and report
    /// the slice as overdue if it is still running `grace_ms` later.
    Arm {
        core: u32,
        generation: u32,
        slice_ms: u32,
        grace_ms: u32,
    },
}

/// Worker → main thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker is listening; send `Init`.
    Ready,
    /// `Init` processed; `shared_flags` says which yield signal the core uses.
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
    /// A running task sent a message to a task that is not on this core. Posted at once, in
    /// the middle of the slice, so the other core can act on it while this one runs on.
    Route(Routed),
    /// One slice ran.
    Slice(SliceReport),
    Snapshots(Vec<(TaskId, Snapshot)>),
    /// The task failed outside its own slice (while serving another task's call).
    Failed {
        task: TaskId,
        reason: String,
    },
    /// Clock: `core`'s slice `generation` ran past its grace period.
    Overdue {
        core: u32,
        generation: u32,
    },
}

/// A message on its way between cores.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Routed {
    pub from: TaskId,
    pub to: TaskId,
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
    /// When it was sent, in ms since the Unix epoch (comparable across workers).
    pub sent_at: f64,
}

/// A message delivered inside one core during a slice.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub from: TaskId,
    pub to: TaskId,
    #[serde(with = "serde_bytes")]
    pub body: Vec<u8>,
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
    /// From the flag rising to `service` returning, when the flag ended the slice.
    pub yield_latency_ms: Option<f64>,
    /// Messages the task took from its inbox.
    pub read: u32,
    /// Lines the task printed during the slice.
    pub console: Vec<String>,
    /// Messages the task sent to tasks on the same core.
    pub local: Vec<Delivery>,
    /// Messages the task sent to the host (task 0).
    pub to_host: Vec<Delivery>,
    pub snapshot: Option<Snapshot>,
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

/// A task's whole state between slices: async Rust keeps everything in linear memory, so this
/// plus the mutable exported globals and the unread inbox restores it on any core.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    #[serde(with = "serde_bytes")]
    pub memory: Vec<u8>,
    pub globals: Vec<(String, Global)>,
    /// Unread messages (encoded `Inbound` envelopes), oldest first.
    pub inbox: Vec<serde_bytes::ByteBuf>,
    /// Counters at the snapshot, so the main thread knows which later messages to replay and
    /// how many of the task's sends a restored run must not repeat.
    pub counts: MessageCounts,
}

/// Messages a task has received and sent since it was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageCounts {
    /// Delivered by the main thread (`Deliver`).
    pub remote_in: u64,
    /// Delivered by tasks on the same core.
    pub local_in: u64,
    /// Sent, to anyone.
    pub sent: u64,
}

/// A mutable global's value. JS shows i64 globals as BigInt and the rest as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Global {
    Number(f64),
    BigInt(i64),
}

/// How a reloaded task resumes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Restore {
    /// `None`: the task had not run yet; it starts fresh and gets its messages again.
    pub snapshot: Option<Snapshot>,
    /// Messages that arrived after the snapshot, to queue behind its inbox.
    pub replay: Vec<Delivery>,
    /// Sends to drop: the task made them after the snapshot and they were already delivered.
    pub suppress: u64,
    /// The counters to carry on from (the main thread's, which include the replay).
    pub counts: MessageCounts,
}
