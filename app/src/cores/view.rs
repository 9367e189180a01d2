//! What the Cores panel shows, as plain data with the logic to update it. The runtime folds
//! events into a [`RuntimeView`] and publishes it to the page a few times a second; nothing
//! here knows the runtime.

use std::collections::VecDeque;

use super::{
    protocol::{Delivery, SliceOutcome, SliceReport, TaskId},
    scheduler::TaskState,
};

/// Recent slices kept per core and per task for their timelines.
pub const TIMELINE_LEN: usize = 60;
/// Console lines kept per task.
const CONSOLE_LEN: usize = 200;
/// Most console bytes kept per task.
const CONSOLE_BYTES: usize = 256 * 1024;
/// Message log entries kept per task.
const LOG_LEN: usize = 100;
/// Messages to the host kept per task (the miner's progress and reports).
const HOST_LEN: usize = 64;

/// One slice in a timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceBar {
    pub task: TaskId,
    pub ms: f64,
    pub ended: BarEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarEnd {
    Yielded,
    Waiting,
    Done,
    Failed,
    Preempted,
}

impl BarEnd {
    pub fn class(self) -> &'static str {
        match self {
            Self::Yielded => "bar yielded",
            Self::Waiting => "bar waiting",
            Self::Done => "bar done",
            Self::Failed => "bar failed",
            Self::Preempted => "bar preempted",
        }
    }
}

impl From<&SliceOutcome> for BarEnd {
    fn from(outcome: &SliceOutcome) -> Self {
        match outcome {
            SliceOutcome::Yielded => Self::Yielded,
            SliceOutcome::Waiting => Self::Waiting,
            SliceOutcome::Done => Self::Done,
            SliceOutcome::Failed { .. } => Self::Failed,
        }
    }
}

/// One browser core (Web Worker).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CoreView {
    pub index: usize,
    pub slices: u64,
    /// Times its worker was terminated and replaced.
    pub resets: u32,
    pub timeline: VecDeque<SliceBar>,
    /// Whether new tasks may be placed here.
    pub active: bool,
}

impl CoreView {
    pub fn record(&mut self, bar: SliceBar) {
        self.slices += 1;
        push_bounded(&mut self.timeline, bar, TIMELINE_LEN);
    }
}

/// A message in a task's log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    pub outgoing: bool,
    pub peer: TaskId,
    pub bytes: usize,
    /// The first bytes of the SCALE body, in hex.
    pub preview: String,
}

impl LogEntry {
    pub fn new(outgoing: bool, peer: TaskId, body: &[u8]) -> Self {
        let preview: String = body.iter().take(12).map(|b| format!("{b:02x}")).collect();
        Self {
            outgoing,
            peer,
            bytes: body.len(),
            preview: if body.len() > 12 {
                preview + "…"
            } else {
                preview
            },
        }
    }
}

/// One task, as the UI sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub id: TaskId,
    pub name: String,
    pub core: usize,
    pub state: TaskState,
    pub slices: u64,
    pub yield_checks: u64,
    /// Time spent inside `service`, in ms.
    pub busy_ms: f64,
    pub timeline: VecDeque<SliceBar>,
    pub last_yield_latency_ms: Option<f64>,
    pub console: VecDeque<String>,
    pub log: VecDeque<LogEntry>,
    pub sent: u64,
    pub received: u64,
    /// Bodies it sent to the host, newest last.
    pub to_host: VecDeque<Vec<u8>>,
    /// Restored from a snapshot after its core was reset.
    pub restores: u32,
}

impl TaskView {
    pub fn new(id: TaskId, name: &str, core: usize) -> Self {
        Self {
            id,
            name: name.into(),
            core,
            state: TaskState::Ready,
            slices: 0,
            yield_checks: 0,
            busy_ms: 0.0,
            timeline: VecDeque::new(),
            last_yield_latency_ms: None,
            console: VecDeque::new(),
            log: VecDeque::new(),
            sent: 0,
            received: 0,
            to_host: VecDeque::new(),
            restores: 0,
        }
    }

    /// Folds one slice report into the view (the scheduler owns the state).
    pub fn record(&mut self, report: &SliceReport) {
        self.slices += 1;
        self.yield_checks += report.yield_checks;
        self.busy_ms += report.elapsed_ms;
        if report.yield_latency_ms.is_some() {
            self.last_yield_latency_ms = report.yield_latency_ms;
        }
        push_bounded(
            &mut self.timeline,
            SliceBar {
                task: report.task,
                ms: report.elapsed_ms,
                ended: (&report.outcome).into(),
            },
            TIMELINE_LEN,
        );
        for line in &report.console {
            push_bounded(&mut self.console, line.clone(), CONSOLE_LEN);
        }
        // The page copies the view a few times a second: keep the console small in bytes too.
        let mut bytes: usize = self.console.iter().map(String::len).sum();
        while bytes > CONSOLE_BYTES && self.console.len() > 1 {
            bytes -= self.console.pop_front().map_or(0, |l| l.len());
        }
        for d in &report.to_host {
            self.sent_one(d);
            push_bounded(&mut self.to_host, d.body.clone(), HOST_LEN);
        }
    }

    pub fn sent_one(&mut self, d: &Delivery) {
        self.sent += 1;
        push_bounded(&mut self.log, LogEntry::new(true, d.to, &d.body), LOG_LEN);
    }

    pub fn received_one(&mut self, from: TaskId, body: &[u8]) {
        self.received += 1;
        push_bounded(&mut self.log, LogEntry::new(false, from, body), LOG_LEN);
    }

    /// Mean slice length over the timeline, in ms.
    pub fn mean_slice_ms(&self) -> Option<f64> {
        (!self.timeline.is_empty())
            .then(|| self.timeline.iter().map(|b| b.ms).sum::<f64>() / self.timeline.len() as f64)
    }
}

/// A module the runtime refused before any core ran it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub name: String,
    pub reason: String,
}

/// Everything the Cores panel draws.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuntimeView {
    pub cores: Vec<CoreView>,
    pub tasks: Vec<TaskView>,
    pub refusals: Vec<Refusal>,
}

impl RuntimeView {
    pub fn task(&self, id: TaskId) -> Option<&TaskView> {
        self.tasks.iter().find(|t| t.id == id)
    }

    pub fn task_mut(&mut self, id: TaskId) -> Option<&mut TaskView> {
        self.tasks.iter_mut().find(|t| t.id == id)
    }

    pub fn core_mut(&mut self, index: usize) -> &mut CoreView {
        while self.cores.len() <= index {
            let index = self.cores.len();
            self.cores.push(CoreView {
                index,
                ..CoreView::default()
            });
        }
        &mut self.cores[index]
    }
}

fn push_bounded<T>(queue: &mut VecDeque<T>, item: T, cap: usize) {
    if queue.len() == cap {
        queue.pop_front();
    }
    queue.push_back(item);
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
            yield_latency_ms: Some(0.01),
            read: 0,
            console: lines.iter().map(|s| s.to_string()).collect(),
            local: vec![],
            to_host: vec![Delivery {
                from: 1,
                to: 0,
                body: vec![1, 2, 3],
            }],
            snapshot: None,
        }
    }

    #[test]
    fn slices_accumulate_and_the_timeline_is_bounded() {
        let mut view = TaskView::new(1, "counter", 0);
        for i in 0..(TIMELINE_LEN + 5) {
            view.record(&report(SliceOutcome::Yielded, i as f64, &["x"]));
        }
        assert_eq!(view.slices, (TIMELINE_LEN + 5) as u64);
        assert_eq!(view.yield_checks, 10 * (TIMELINE_LEN + 5) as u64);
        assert_eq!(view.timeline.len(), TIMELINE_LEN);
        assert_eq!(view.timeline[0].ms, 5.0);
        assert_eq!(view.console.len(), TIMELINE_LEN + 5);
        assert_eq!(view.sent, (TIMELINE_LEN + 5) as u64);
        assert_eq!(view.to_host.len(), HOST_LEN);
        assert_eq!(view.log.back().map(|e| e.preview.as_str()), Some("010203"));
    }

    #[test]
    fn the_console_is_bounded_in_bytes_keeping_the_newest_lines() {
        let mut view = TaskView::new(1, "printer", 0);
        let long = "y".repeat(60 * 1024);
        for _ in 0..10 {
            view.record(&report(SliceOutcome::Yielded, 1.0, &[&long]));
        }
        view.record(&report(SliceOutcome::Yielded, 1.0, &["last"]));
        let bytes: usize = view.console.iter().map(String::len).sum();
        assert!(bytes <= CONSOLE_BYTES, "{bytes} bytes kept");
        assert_eq!(view.console.len(), 5);
        assert_eq!(view.console.back().map(String::as_str), Some("last"));
    }

    #[test]
    fn mean_slice_is_over_the_timeline() {
        let mut view = TaskView::new(1, "c", 0);
        assert_eq!(view.mean_slice_ms(), None);
        view.record(&report(SliceOutcome::Yielded, 90.0, &[]));
        view.record(&report(SliceOutcome::Yielded, 110.0, &[]));
        assert_eq!(view.mean_slice_ms(), Some(100.0));
    }

    #[test]
    fn log_previews_are_short() {
        let entry = LogEntry::new(false, 3, &[0xab; 40]);
        assert_eq!(entry.bytes, 40);
        assert_eq!(entry.preview, format!("{}…", "ab".repeat(12)));
    }
}
