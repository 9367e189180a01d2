//! Browser cores: Coreplay tasks time-sliced onto Web Workers.
//!
//! - [`protocol`]: main thread ↔ worker messages
//! - [`host`], [`worker`]: the worker side that runs task modules
//! - [`runtime`]: the main thread side that owns the schedule
//! - [`panel`]: the Cores panel

pub mod host;
pub mod isolation;
pub mod panel;
pub mod protocol;
pub mod runtime;
pub mod scheduler;
pub mod state;
pub mod worker;

pub use panel::CoresPanel;
pub use state::CoresState;
