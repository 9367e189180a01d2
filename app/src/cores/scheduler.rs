//! Which task runs on which core next: round robin per core over runnable tasks, with tasks
//! placed on the least loaded core. Pure state, so it is tested natively; the runtime asks it
//! what to run and tells it how each slice ended.

use std::collections::{BTreeMap, VecDeque};

use super::protocol::{SliceOutcome, TaskId};

/// A task's state as the scheduler sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskState {
    Ready,
    Running,
    /// In `recv` with an empty inbox.
    Waiting,
    Paused,
    Done,
    Failed(String),
    /// Ignored the yield flag past the grace period; its worker was replaced.
    Preempted(String),
    Killed,
}

impl TaskState {
    /// Whether the task still exists on its core (finished tasks do not).
    pub fn is_live(&self) -> bool {
        matches!(
            self,
            Self::Ready | Self::Running | Self::Waiting | Self::Paused
        )
    }

    pub fn label(&self) -> &'static str {
        match self {
            Self::Ready => "ready",
            Self::Running => "running",
            Self::Waiting => "waiting",
            Self::Paused => "paused",
            Self::Done => "done",
            Self::Failed(_) => "failed",
            Self::Preempted(_) => "preempted",
            Self::Killed => "killed",
        }
    }
}

/// One task's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub core: usize,
    pub state: TaskState,
    /// Messages queued for it that it has not read.
    pub inbox: usize,
}

/// The schedule of every core.
#[derive(Debug, Clone, Default)]
pub struct Scheduler {
    queues: Vec<VecDeque<TaskId>>,
    /// New tasks go to the first `active` cores; the rest only finish what they hold.
    active: usize,
    tasks: BTreeMap<TaskId, Entry>,
    next_id: TaskId,
}

impl Scheduler {
    pub fn new(cores: usize) -> Self {
        Self {
            queues: vec![VecDeque::new(); cores.max(1)],
            active: cores.max(1),
            tasks: BTreeMap::new(),
            next_id: 1,
        }
    }

    /// Cores that exist (some may be retiring).
    pub fn cores(&self) -> usize {
        self.queues.len()
    }

    /// Cores new tasks are placed on.
    pub fn active(&self) -> usize {
        self.active
    }

    /// Changes how many cores take new tasks; tasks on retired cores run to their end there.
    pub fn set_cores(&mut self, cores: usize) {
        let cores = cores.max(1);
        if cores > self.queues.len() {
            self.queues.resize(cores, VecDeque::new());
        }
        self.active = cores;
    }

    pub fn task(&self, id: TaskId) -> Option<&Entry> {
        self.tasks.get(&id)
    }

    pub fn tasks(&self) -> impl Iterator<Item = (TaskId, &Entry)> {
        self.tasks.iter().map(|(id, e)| (*id, e))
    }

    /// Adds a task on `core`, or else on the active core with the fewest live tasks (lowest
    /// index on a tie).
    pub fn add(&mut self, name: &str, core: Option<usize>) -> TaskId {
        let core = core.filter(|c| *c < self.queues.len()).unwrap_or_else(|| {
            (0..self.active)
                .min_by_key(|&c| self.live_on(c))
                .unwrap_or(0)
        });
        let id = self.next_id;
        self.next_id += 1;
        self.tasks.insert(
            id,
            Entry {
                name: name.into(),
                core,
                state: TaskState::Ready,
                inbox: 0,
            },
        );
        self.queues[core].push_back(id);
        id
    }

    /// How many live tasks `core` holds.
    pub fn live_on(&self, core: usize) -> usize {
        self.live_tasks_on(core).count()
    }

    /// The live tasks on `core`.
    pub fn live_tasks_on(&self, core: usize) -> impl Iterator<Item = TaskId> + '_ {
        self.queues
            .get(core)
            .into_iter()
            .flatten()
            .copied()
            .filter(|id| self.tasks.get(id).is_some_and(|e| e.state.is_live()))
    }

    fn runnable(&self, id: TaskId) -> bool {
        self.tasks.get(&id).is_some_and(|e| match e.state {
            TaskState::Ready => true,
            TaskState::Waiting => e.inbox > 0,
            _ => false,
        })
    }

    /// The next task to run on `core`, rotating so every runnable task gets its turn; marks it
    /// running. `None` when nothing on the core can run (or one is already running).
    pub fn next(&mut self, core: usize) -> Option<TaskId> {
        let queue = self.queues.get(core)?;
        if queue.iter().any(|id| {
            self.tasks
                .get(id)
                .is_some_and(|e| e.state == TaskState::Running)
        }) {
            return None;
        }
        let pos = queue.iter().position(|&id| self.runnable(id))?;
        let tasks = &self.tasks;
        let queue = &mut self.queues[core];
        let id = queue[pos];
        // Finished tasks leave the rotation here, where it is cheap.
        queue.retain(|t| *t == id || tasks.get(t).is_some_and(|e| e.state.is_live()));
        let pos = queue.iter().position(|t| *t == id)?;
        let id = queue.remove(pos)?;
        queue.push_back(id);
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.state = TaskState::Running;
        }
        Some(id)
    }

    /// Records how a slice ended.
    pub fn finish(&mut self, id: TaskId, outcome: &SliceOutcome) {
        let Some(entry) = self.tasks.get_mut(&id) else {
            return;
        };
        entry.state = match (&entry.state, outcome) {
            (TaskState::Running | TaskState::Paused, SliceOutcome::Done) => TaskState::Done,
            (TaskState::Running | TaskState::Paused, SliceOutcome::Failed { reason }) => {
                TaskState::Failed(reason.clone())
            }
            (TaskState::Running, SliceOutcome::Yielded) => TaskState::Ready,
            (TaskState::Running, SliceOutcome::Waiting) => TaskState::Waiting,
            // Paused during the slice, or killed or failed elsewhere meanwhile: that stands.
            _ => return,
        };
    }

    /// The task overran its slice and its core was reset.
    pub fn preempted(&mut self, id: TaskId, reason: String) {
        self.set_if(id, TaskState::is_live, TaskState::Preempted(reason));
    }

    /// The task failed outside a slice (refused module, bad send, lost core).
    pub fn fail(&mut self, id: TaskId, reason: String) {
        self.set_if(id, TaskState::is_live, TaskState::Failed(reason));
    }

    /// The task was reloaded from a snapshot with `inbox` messages queued; it gets a slice to
    /// find out where it stands.
    pub fn restored(&mut self, id: TaskId, inbox: usize) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.inbox = inbox;
            if matches!(entry.state, TaskState::Waiting | TaskState::Running) {
                entry.state = TaskState::Ready;
            }
        }
    }

    /// A message was queued for `id`; a waiting task becomes runnable.
    pub fn message_queued(&mut self, id: TaskId) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.inbox += 1;
        }
    }

    /// The task read `n` messages during its last slice.
    pub fn messages_read(&mut self, id: TaskId, n: usize) {
        if let Some(entry) = self.tasks.get_mut(&id) {
            entry.inbox = entry.inbox.saturating_sub(n);
        }
    }

    /// Stops scheduling `id` until [`Scheduler::resume`]; a running task pauses after its slice.
    pub fn pause(&mut self, id: TaskId) -> bool {
        self.set_if(
            id,
            |s| {
                matches!(
                    s,
                    TaskState::Ready | TaskState::Waiting | TaskState::Running
                )
            },
            TaskState::Paused,
        )
    }

    pub fn resume(&mut self, id: TaskId) -> bool {
        // Waiting with an empty inbox is fine: it is runnable as soon as a message comes.
        self.set_if(id, |s| *s == TaskState::Paused, TaskState::Ready)
    }

    pub fn kill(&mut self, id: TaskId) -> bool {
        self.set_if(id, TaskState::is_live, TaskState::Killed)
    }

    fn set_if(&mut self, id: TaskId, allowed: impl Fn(&TaskState) -> bool, to: TaskState) -> bool {
        match self.tasks.get_mut(&id) {
            Some(entry) if allowed(&entry.state) => {
                entry.state = to;
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_spread_over_the_least_loaded_cores() {
        let mut s = Scheduler::new(2);
        let ids: Vec<_> = (0..5).map(|i| s.add(&format!("t{i}"), None)).collect();
        let cores: Vec<_> = ids.iter().map(|id| s.task(*id).map(|e| e.core)).collect();
        assert_eq!(cores, [Some(0), Some(1), Some(0), Some(1), Some(0)]);
    }

    #[test]
    fn round_robin_gives_every_ready_task_a_turn() {
        let mut s = Scheduler::new(1);
        let (a, b, c) = (s.add("a", None), s.add("b", None), s.add("c", None));
        let mut order = Vec::new();
        for _ in 0..6 {
            let id = s.next(0).expect("runnable");
            assert_eq!(s.next(0), None, "one slice at a time per core");
            order.push(id);
            s.finish(id, &SliceOutcome::Yielded);
        }
        assert_eq!(order, [a, b, c, a, b, c]);
    }

    #[test]
    fn waiting_tasks_run_only_when_a_message_is_queued() {
        let mut s = Scheduler::new(1);
        let a = s.add("a", None);
        assert_eq!(s.next(0), Some(a));
        s.finish(a, &SliceOutcome::Waiting);
        assert_eq!(s.next(0), None);
        s.message_queued(a);
        assert_eq!(s.next(0), Some(a));
        s.messages_read(a, 1);
        s.finish(a, &SliceOutcome::Waiting);
        assert_eq!(s.next(0), None);
    }

    #[test]
    fn finished_failed_paused_and_killed_tasks_are_not_scheduled() {
        let mut s = Scheduler::new(1);
        let (done, failed, paused, killed, ok) = (
            s.add("d", None),
            s.add("f", None),
            s.add("p", None),
            s.add("k", None),
            s.add("ok", None),
        );
        assert_eq!(s.next(0), Some(done));
        s.finish(done, &SliceOutcome::Done);
        assert_eq!(s.next(0), Some(failed));
        s.finish(
            failed,
            &SliceOutcome::Failed {
                reason: "trapped".into(),
            },
        );
        assert!(s.pause(paused));
        assert!(s.kill(killed));
        for _ in 0..3 {
            assert_eq!(s.next(0), Some(ok));
            s.finish(ok, &SliceOutcome::Yielded);
        }
        assert!(s.resume(paused));
        assert_eq!(s.next(0), Some(paused));
        assert!(!s.kill(done), "finished tasks stay finished");
        assert_eq!(s.task(failed).map(|e| e.state.label()), Some("failed"));
    }

    #[test]
    fn a_task_paused_while_running_stays_paused_unless_it_ended() {
        let mut s = Scheduler::new(1);
        let (a, b) = (s.add("a", None), s.add("b", None));
        assert_eq!(s.next(0), Some(a));
        assert!(s.pause(a));
        s.finish(a, &SliceOutcome::Yielded);
        assert_eq!(s.task(a).map(|e| e.state.label()), Some("paused"));
        assert_eq!(s.next(0), Some(b));
        s.finish(b, &SliceOutcome::Yielded);
        assert!(s.resume(a));
        assert_eq!(s.next(0), Some(a));
        assert!(s.pause(a));
        s.finish(a, &SliceOutcome::Done);
        assert_eq!(s.task(a).map(|e| e.state.label()), Some("done"));
    }

    #[test]
    fn placement_follows_the_active_cores_and_explicit_choices() {
        let mut s = Scheduler::new(1);
        s.set_cores(3);
        let placed: Vec<_> = (0..3).map(|i| s.add(&format!("t{i}"), None)).collect();
        let cores: Vec<_> = placed
            .iter()
            .map(|id| s.task(*id).map(|e| e.core))
            .collect();
        assert_eq!(cores, [Some(0), Some(1), Some(2)]);
        s.set_cores(1);
        let d = s.add("d", None);
        assert_eq!(s.task(d).map(|e| e.core), Some(0));
        let e = s.add("e", Some(2));
        assert_eq!(s.task(e).map(|e| e.core), Some(2));
        assert_eq!(s.live_tasks_on(2).collect::<Vec<_>>(), [placed[2], e]);
    }

    #[test]
    fn a_restored_task_runs_once_to_read_its_replayed_inbox() {
        let mut s = Scheduler::new(1);
        let a = s.add("a", None);
        assert_eq!(s.next(0), Some(a));
        s.finish(a, &SliceOutcome::Waiting);
        assert_eq!(s.next(0), None);
        s.restored(a, 2);
        assert_eq!(s.next(0), Some(a));
    }

    #[test]
    fn new_tasks_go_where_finished_ones_left_room() {
        let mut s = Scheduler::new(2);
        let a = s.add("a", None);
        let _b = s.add("b", None);
        assert!(s.kill(a));
        let c = s.add("c", None);
        assert_eq!(s.task(c).map(|e| e.core), Some(0));
    }
}
