//! What the Cores panel shows, as plain data with the logic to update it.

use leptos::prelude::*;

use super::protocol::{SliceOutcome, SliceReport};

/// Lifecycle of a task as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Idle,
    Loading,
    Running,
    Waiting,
    Stopped,
    Done,
    Failed,
}

impl TaskStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Loading => "loading",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Stopped => "stopped",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }
}

/// How many recent slices a task keeps for its timeline.
pub const TIMELINE_LEN: usize = 40;

/// One task on one core, as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub name: String,
    pub core: u32,
    pub status: TaskStatus,
    pub slices: u64,
    pub yield_checks: u64,
    /// Recent slice durations (ms), oldest first.
    pub timeline: Vec<f64>,
    pub console: Vec<String>,
    pub error: Option<String>,
}

/// Console lines kept per task.
const CONSOLE_LEN: usize = 50;

impl TaskView {
    pub fn new(name: &str, core: u32) -> Self {
        Self {
            name: name.into(),
            core,
            status: TaskStatus::Idle,
            slices: 0,
            yield_checks: 0,
            timeline: Vec::new(),
            console: Vec::new(),
            error: None,
        }
    }

    /// Folds one slice report into the view.
    pub fn record(&mut self, report: &SliceReport) {
        self.slices += 1;
        self.yield_checks += report.yield_checks;
        self.timeline.push(report.elapsed_ms);
        if self.timeline.len() > TIMELINE_LEN {
            self.timeline.remove(0);
        }
        self.console.extend(report.console.iter().cloned());
        let excess = self.console.len().saturating_sub(CONSOLE_LEN);
        self.console.drain(..excess);
        match &report.outcome {
            SliceOutcome::Yielded => self.status = TaskStatus::Running,
            SliceOutcome::Waiting => self.status = TaskStatus::Waiting,
            SliceOutcome::Done => self.status = TaskStatus::Done,
            SliceOutcome::Failed { reason } => self.fail(reason.clone()),
        }
    }

    pub fn fail(&mut self, reason: String) {
        self.status = TaskStatus::Failed;
        self.error = Some(reason);
    }

    /// Mean slice length over the timeline, in ms.
    pub fn mean_slice_ms(&self) -> Option<f64> {
        (!self.timeline.is_empty())
            .then(|| self.timeline.iter().sum::<f64>() / self.timeline.len() as f64)
    }
}

/// Which yield signal the cores use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YieldMode {
    /// Timer on the main thread → `Atomics.store` into a `SharedArrayBuffer`.
    SharedFlag,
    /// Not cross-origin isolated: each worker checks its own deadline.
    Deadline,
}

impl YieldMode {
    pub fn describe(self) -> &'static str {
        match self {
            Self::SharedFlag => "shared flag (SharedArrayBuffer + Atomics)",
            Self::Deadline => "deadline inside the worker (page not cross-origin isolated)",
        }
    }
}

/// The Cores panel's state, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct CoresState {
    pub isolated: bool,
    pub hardware: usize,
    pub cores: RwSignal<usize>,
    pub slice_ms: RwSignal<u32>,
    pub counter: RwSignal<TaskView>,
}

impl CoresState {
    pub fn new(isolated: bool, hardware: usize) -> Self {
        Self {
            isolated,
            hardware,
            cores: RwSignal::new(super::isolation::default_cores(hardware)),
            slice_ms: RwSignal::new(100),
            counter: RwSignal::new(TaskView::new("counter", 0)),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcome: SliceOutcome, ms: f64, lines: &[&str]) -> SliceReport {
        SliceReport {
            task: 1,
            outcome,
            elapsed_ms: ms,
            yield_checks: 10,
            console: lines.iter().map(|s| s.to_string()).collect(),
            to_host: vec![],
        }
    }

    #[test]
    fn slices_accumulate_and_the_timeline_is_bounded() {
        let mut view = TaskView::new("counter", 0);
        for i in 0..(TIMELINE_LEN + 5) {
            view.record(&report(SliceOutcome::Yielded, i as f64, &["x"]));
        }
        assert_eq!(view.slices, (TIMELINE_LEN + 5) as u64);
        assert_eq!(view.yield_checks, 10 * (TIMELINE_LEN + 5) as u64);
        assert_eq!(view.timeline.len(), TIMELINE_LEN);
        assert_eq!(view.timeline[0], 5.0);
        assert_eq!(view.console.len(), TIMELINE_LEN + 5);
        assert_eq!(view.status, TaskStatus::Running);
    }

    #[test]
    fn a_failed_slice_keeps_its_reason() {
        let mut view = TaskView::new("bad", 0);
        view.record(&report(
            SliceOutcome::Failed {
                reason: "trapped: unreachable".into(),
            },
            1.0,
            &[],
        ));
        assert_eq!(view.status, TaskStatus::Failed);
        assert_eq!(view.error.as_deref(), Some("trapped: unreachable"));
    }

    #[test]
    fn mean_slice_is_over_the_timeline() {
        let mut view = TaskView::new("c", 0);
        assert_eq!(view.mean_slice_ms(), None);
        view.record(&report(SliceOutcome::Yielded, 90.0, &[]));
        view.record(&report(SliceOutcome::Yielded, 110.0, &[]));
        assert_eq!(view.mean_slice_ms(), Some(100.0));
    }
}
