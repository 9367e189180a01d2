//! The Cores panel's shared state: the runtime's handle, the view it publishes, how cores
//! yield.

use leptos::prelude::*;

use super::{runtime::RuntimeHandle, view::RuntimeView};

/// Which yield signal the cores use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YieldMode {
    /// The clock worker's timer → `Atomics` store into a `SharedArrayBuffer`.
    SharedFlag,
    /// Not cross-origin isolated: each worker checks its own deadline.
    Deadline,
}

impl YieldMode {
    pub fn describe(self) -> &'static str {
        match self {
            Self::SharedFlag => {
                "shared flag (SharedArrayBuffer + Atomics, raised by a clock worker)"
            }
            Self::Deadline => "deadline inside the worker (page not cross-origin isolated)",
        }
    }
}

/// The Cores panel's state, shared through context.
#[derive(Debug, Clone)]
pub struct CoresState {
    pub isolated: bool,
    pub hardware: usize,
    pub cores: RwSignal<usize>,
    pub slice_ms: RwSignal<u32>,
    pub view: RwSignal<RuntimeView>,
    pub runtime: RuntimeHandle,
}

impl CoresState {
    pub fn new(isolated: bool, hardware: usize) -> Self {
        let cores = super::isolation::default_cores(hardware);
        let view = RwSignal::new(RuntimeView::default());
        Self {
            isolated,
            hardware,
            cores: RwSignal::new(cores),
            slice_ms: RwSignal::new(100),
            view,
            runtime: RuntimeHandle::start(cores, 100, view),
        }
    }

    pub fn mode(&self) -> YieldMode {
        if self.isolated {
            YieldMode::SharedFlag
        } else {
            YieldMode::Deadline
        }
    }
}
