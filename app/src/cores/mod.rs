//! Browser cores: Coreplay tasks time-sliced onto Web Workers.
//!
//! - [`protocol`]: main thread ↔ worker messages
//! - [`host`], [`worker`]: the worker side that runs task modules (and the clock)
//! - [`flags`]: the yield flags in shared memory
//! - [`scheduler`], [`runtime`]: the main thread side that owns the schedule
//! - [`view`]: what the runtime publishes for the page, as plain data (knows no runtime)
//! - [`state`], [`panel`], [`library`]: the Cores panel
//! - [`bench`]: raw figures for the benchmark command

pub mod bench;
pub mod flags;
pub mod host;
pub mod isolation;
pub mod library;
pub mod panel;
pub mod protocol;
pub mod runtime;
pub mod scheduler;
pub mod state;
pub mod view;
pub mod worker;

pub use panel::CoresPanel;
pub use state::CoresState;
