//! The main thread's side of the browser cores. One event loop owns the whole schedule: the
//! core workers, the clock worker, the [`Scheduler`], message routing between cores, snapshots
//! for hard preemption. Worker messages and UI commands arrive on one channel, so there is no
//! shared mutable state and no re-entrancy; the page sees a [`RuntimeView`] a few times a second.

use std::{
    collections::{BTreeMap, VecDeque},
    rc::Rc,
};

use futures::{
    StreamExt,
    channel::{mpsc, oneshot},
};
use gloo_timers::callback::Interval;
use js_sys::{Object, Reflect};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, prelude::Closure};
use web_sys::{ErrorEvent, MessageEvent, Worker};

use coreplay_abi::{AbiError, HOST_TASK, MAX_INBOX};

use super::{
    bench::BenchLog,
    flags::{Flags, GENERATION_MASK, MAX_CORES},
    host::{MEMORY_LIMIT, js_error_message, now_ms, time_origin},
    protocol::{
        Delivery, FromWorker, MessageCounts, Restore, Role, Routed, SliceOutcome, SliceReport,
        Snapshot, TaskId, ToWorker,
    },
    scheduler::{Scheduler, TaskState},
    view::{BarEnd, Refusal, RuntimeView, SliceBar, TaskView},
};

/// Trunk's loader for the `worker` binary (see `app/index.html`).
const WORKER_URL: &str = "./worker_loader.js";

/// How long past its slice a task may run before its worker is terminated.
pub const GRACE_MS: u32 = 400;

/// A slice that a message for a waiting task cuts short still gets this long, so a busy
/// neighbour makes progress however many messages arrive.
pub const MIN_SLICE_MS: f64 = 1.0;

/// How old a sharing task's snapshot may get before its next slice takes a new one.
const SNAPSHOT_EVERY_MS: f64 = 250.0;

/// How often the page gets a fresh view. Each one costs the page's thread style, layout and
/// paint, time taken from the cores when they fill the machine: at 10 a second two busy cores
/// on two hardware threads lost about 4 % of their throughput to it (bench-cores, P2).
const VIEW_MS: u32 = 250;

/// What the page asks of the runtime.
#[derive(Debug)]
pub enum Command {
    /// Check and place a task module; `greeting` messages go to it from the host right away.
    /// `reply` gets its id, or why it was refused.
    Add {
        name: String,
        module: Vec<u8>,
        core: Option<usize>,
        greeting: Vec<Vec<u8>>,
        reply: Option<oneshot::Sender<Result<TaskId, String>>>,
    },
    /// A message from the host (task 0).
    Send {
        to: TaskId,
        body: Vec<u8>,
    },
    Pause(TaskId),
    Resume(TaskId),
    Kill(TaskId),
    SetCores(usize),
    SetSlice(u32),
}

#[derive(Debug)]
enum Event {
    Worker {
        slot: Slot,
        epoch: u32,
        msg: Result<FromWorker, String>,
    },
    Command(Command),
    Publish,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Core(usize),
    Clock,
}

/// The page's handle: send commands; the view signal is updated by the runtime.
#[derive(Debug, Clone)]
pub struct RuntimeHandle {
    tx: mpsc::UnboundedSender<Event>,
}

impl RuntimeHandle {
    /// Starts the event loop (workers are spawned when tasks need them).
    pub fn start(cores: usize, slice_ms: u32, view: RwSignal<RuntimeView>) -> Self {
        let (tx, mut rx) = mpsc::unbounded();
        let mut runtime = Runtime::new(cores, slice_ms, tx.clone(), view);
        let publish = tx.clone();
        spawn_local(async move {
            let _ticker = Interval::new(VIEW_MS, move || {
                let _ = publish.unbounded_send(Event::Publish);
            });
            while let Some(event) = rx.next().await {
                runtime.handle(event);
                runtime.pump();
            }
        });
        Self { tx }
    }

    pub fn send(&self, command: Command) {
        let _ = self.tx.unbounded_send(Event::Command(command));
    }

    /// Adds a task and waits for its id (or the reason it was refused).
    pub async fn add(
        &self,
        name: &str,
        module: Vec<u8>,
        core: Option<usize>,
        greeting: Vec<Vec<u8>>,
    ) -> Result<TaskId, String> {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Add {
            name: name.into(),
            module,
            core,
            greeting,
            reply: Some(reply),
        });
        answer
            .await
            .unwrap_or_else(|_| Err("the runtime stopped".into()))
    }
}

/// A running Web Worker. Dropping it terminates the worker.
struct WorkerHandle {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl WorkerHandle {
    fn spawn(slot: Slot, epoch: u32, tx: mpsc::UnboundedSender<Event>) -> Result<Self, String> {
        // Trunk's loader shim is a classic worker script (`importScripts`), not a module.
        let worker = Worker::new(WORKER_URL).map_err(|e| js_error_message(&e))?;
        let msg_tx = tx.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let msg = serde_wasm_bindgen::from_value::<FromWorker>(event.data())
                .map_err(|e| format!("unreadable message from the worker: {e}"));
            let _ = msg_tx.unbounded_send(Event::Worker { slot, epoch, msg });
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let msg = Err(format!("the worker crashed: {}", event.message()));
            let _ = tx.unbounded_send(Event::Worker { slot, epoch, msg });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    fn post(&self, msg: &ToWorker, flags: Option<&Flags>) -> Result<(), String> {
        let envelope = Object::new();
        let value = serde_wasm_bindgen::to_value(msg).map_err(|e| e.to_string())?;
        let _ = Reflect::set(&envelope, &"msg".into(), &value);
        if let Some(flags) = flags {
            let _ = Reflect::set(&envelope, &"words".into(), &flags.words_buffer);
            let _ = Reflect::set(&envelope, &"stamps".into(), &flags.stamps_buffer);
        }
        self.worker
            .post_message(&envelope)
            .map_err(|e| js_error_message(&e))
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// A worker with the messages it cannot take yet (before `Initialized`).
#[derive(Default)]
struct WorkerSlot {
    epoch: u32,
    handle: Option<WorkerHandle>,
    ready: bool,
    pending: Vec<ToWorker>,
}

#[derive(Default)]
struct CoreSlot {
    worker: WorkerSlot,
    busy: Option<Busy>,
}

/// The slice running on a core.
#[derive(Debug, Clone, Copy)]
struct Busy {
    task: TaskId,
    generation: u32,
    /// `now_ms()` when it was started.
    since: f64,
}

/// What the main thread keeps per live task to reload it if its core is reset.
struct TaskRecord {
    name: String,
    module: Rc<[u8]>,
    /// Its state at the end of a recent slice, kept while it shares its core.
    base: Option<Snapshot>,
    /// `now_ms()` when `base` was taken.
    base_at: f64,
    /// Whether messages are logged for a reload: from its first message until its first slice
    /// without a snapshot, and again from each snapshot on.
    logging: bool,
    remote_log: VecDeque<(u64, Delivery)>,
    local_log: VecDeque<(u64, Delivery)>,
    counts: MessageCounts,
}

impl TaskRecord {
    /// The snapshot is taken: forget what it already holds.
    fn set_base(&mut self, snapshot: Snapshot) {
        let c = snapshot.counts;
        self.remote_log.retain(|(i, _)| *i >= c.remote_in);
        self.local_log.retain(|(i, _)| *i >= c.local_in);
        self.base = Some(snapshot);
        self.base_at = now_ms();
        self.logging = true;
    }

    fn stop_logging(&mut self) {
        self.base = None;
        self.logging = false;
        self.remote_log.clear();
        self.local_log.clear();
    }

    /// How to bring it back on a fresh worker, as of now.
    fn restore(&self) -> Option<Restore> {
        if !self.logging {
            return None;
        }
        let mut replay: Vec<(u64, Delivery)> = Vec::new();
        replay.extend(self.remote_log.iter().cloned());
        replay.extend(self.local_log.iter().cloned());
        let sent_then = self.base.as_ref().map_or(0, |b| b.counts.sent);
        Some(Restore {
            snapshot: self.base.clone(),
            replay: replay.into_iter().map(|(_, d)| d).collect(),
            suppress: self.counts.sent - sent_then,
            counts: self.counts,
        })
    }
}

struct Runtime {
    tx: mpsc::UnboundedSender<Event>,
    view: RwSignal<RuntimeView>,
    model: RuntimeView,
    dirty: bool,
    flags: Option<Flags>,
    clock: WorkerSlot,
    cores: Vec<CoreSlot>,
    sched: Scheduler,
    tasks: BTreeMap<TaskId, TaskRecord>,
    slice_ms: u32,
    generation: u32,
    bench: Option<BenchLog>,
}

impl Runtime {
    fn new(
        cores: usize,
        slice_ms: u32,
        tx: mpsc::UnboundedSender<Event>,
        view: RwSignal<RuntimeView>,
    ) -> Self {
        let mut model = RuntimeView::default();
        for c in 0..cores {
            model.core_mut(c).active = true;
        }
        Self {
            tx,
            view,
            model,
            dirty: true,
            flags: Flags::new(),
            clock: WorkerSlot::default(),
            cores: Vec::new(),
            sched: Scheduler::new(cores),
            tasks: BTreeMap::new(),
            slice_ms,
            generation: 0,
            bench: BenchLog::from_page(),
        }
    }

    fn handle(&mut self, event: Event) {
        match event {
            Event::Publish => self.publish(),
            Event::Command(command) => {
                self.dirty = true;
                self.command(command);
            }
            Event::Worker { slot, epoch, msg } => {
                let current = match slot {
                    Slot::Core(c) => self.cores.get(c).map(|s| s.worker.epoch),
                    Slot::Clock => Some(self.clock.epoch),
                };
                // Messages from a terminated worker are history.
                if current != Some(epoch) {
                    return;
                }
                self.dirty = true;
                match (slot, msg) {
                    (Slot::Core(c), Ok(msg)) => self.on_core(c, msg),
                    (Slot::Clock, Ok(msg)) => self.on_clock(msg),
                    (Slot::Core(c), Err(reason)) => self.crashed(c, &reason),
                    (Slot::Clock, Err(reason)) => {
                        web_sys::console::error_1(&format!("clock: {reason}").into());
                        self.clock = WorkerSlot {
                            epoch: self.clock.epoch + 1,
                            ..WorkerSlot::default()
                        };
                    }
                }
            }
        }
    }

    fn publish(&mut self) {
        if !self.dirty {
            return;
        }
        self.dirty = false;
        for task in &mut self.model.tasks {
            if let Some(entry) = self.sched.task(task.id) {
                task.state = entry.state.clone();
            }
        }
        let active = self.sched.active();
        for (i, core) in self.model.cores.iter_mut().enumerate() {
            core.active = i < active;
        }
        self.view.set(self.model.clone());
    }

    fn command(&mut self, command: Command) {
        match command {
            Command::Add {
                name,
                module,
                core,
                greeting,
                reply,
            } => {
                let added = self.add(name, &module, core, greeting);
                if let Some(reply) = reply {
                    let _ = reply.send(added);
                }
            }
            Command::Send { to, body } => {
                if let Err(err) = self.deliver(HOST_TASK, to, body) {
                    self.model.refusals.push(Refusal {
                        name: format!("message to task {to}"),
                        reason: err.to_string(),
                    });
                }
            }
            Command::Pause(id) => {
                self.sched.pause(id);
            }
            Command::Resume(id) => {
                self.sched.resume(id);
            }
            Command::Kill(id) => {
                if self.sched.kill(id) {
                    self.unload(id);
                }
            }
            Command::SetCores(n) => {
                let n = n.clamp(1, MAX_CORES as usize);
                self.sched.set_cores(n);
                for c in 0..n {
                    self.model.core_mut(c);
                }
                self.retire_idle_cores();
            }
            Command::SetSlice(ms) => self.slice_ms = ms.max(1),
        }
    }

    fn add(
        &mut self,
        name: String,
        module: &[u8],
        core: Option<usize>,
        greeting: Vec<Vec<u8>>,
    ) -> Result<TaskId, String> {
        let module: Rc<[u8]> = match coreplay_module::prepare(module, MEMORY_LIMIT) {
            Ok(prepared) => prepared.bytes.into(),
            Err(err) => {
                let reason = format!("{name} refused: {err}");
                self.model.refusals.push(Refusal {
                    name,
                    reason: reason.clone(),
                });
                return Err(reason);
            }
        };
        let id = self.sched.add(&name, core);
        let core = self.sched.task(id).map_or(0, |e| e.core);
        self.ensure_core(core);
        // Its neighbours now share a core with a stranger: snapshot them so a reset can bring
        // them back.
        let others: Vec<TaskId> = self
            .sched
            .live_tasks_on(core)
            .filter(|t| *t != id && self.tasks.get(t).is_some_and(|r| r.base.is_none()))
            .collect();
        for t in &others {
            // Log from now: the snapshot arrives after the slice running there, and a message
            // delivered meanwhile must be replayable if that snapshot is what gets restored.
            if let Some(r) = self.tasks.get_mut(t) {
                r.logging = true;
            }
        }
        if !others.is_empty() {
            self.post_core(core, ToWorker::Snapshot { tasks: others });
        }
        self.tasks.insert(
            id,
            TaskRecord {
                name: name.clone(),
                module: module.clone(),
                base: None,
                base_at: 0.0,
                logging: true,
                remote_log: VecDeque::new(),
                local_log: VecDeque::new(),
                counts: MessageCounts::default(),
            },
        );
        self.model.tasks.push(TaskView::new(id, &name, core));
        self.post_core(
            core,
            ToWorker::Load {
                task: id,
                name,
                module: module.to_vec(),
                restore: None,
            },
        );
        for body in greeting {
            if let Err(err) = self.deliver(HOST_TASK, id, body) {
                self.fail(id, err.to_string());
            }
        }
        Ok(id)
    }

    /// Spawns the clock and any core worker up to `core` that is not running.
    fn ensure_core(&mut self, core: usize) {
        if self.clock.handle.is_none() {
            self.clock.handle = self.spawn(Slot::Clock, self.clock.epoch);
        }
        while self.cores.len() <= core {
            self.cores.push(CoreSlot::default());
        }
        if self.cores[core].worker.handle.is_none() {
            let epoch = self.cores[core].worker.epoch;
            self.cores[core].worker.handle = self.spawn(Slot::Core(core), epoch);
        }
    }

    fn spawn(&mut self, slot: Slot, epoch: u32) -> Option<WorkerHandle> {
        match WorkerHandle::spawn(slot, epoch, self.tx.clone()) {
            Ok(handle) => Some(handle),
            Err(reason) => {
                self.model.refusals.push(Refusal {
                    name: format!("{slot:?}"),
                    reason: format!("cannot start a Web Worker: {reason}"),
                });
                None
            }
        }
    }

    /// Terminates the workers of retired cores that hold no live task.
    fn retire_idle_cores(&mut self) {
        for c in self.sched.active()..self.cores.len() {
            if self.sched.live_on(c) == 0 && self.cores[c].worker.handle.is_some() {
                let epoch = self.cores[c].worker.epoch + 1;
                self.cores[c] = CoreSlot {
                    worker: WorkerSlot {
                        epoch,
                        ..WorkerSlot::default()
                    },
                    busy: None,
                };
            }
        }
    }

    fn post_core(&mut self, core: usize, msg: ToWorker) {
        let Some(slot) = self.cores.get_mut(core) else {
            return;
        };
        post_or_queue(&mut slot.worker, msg, None);
    }

    fn post_clock(&mut self, msg: ToWorker) {
        post_or_queue(&mut self.clock, msg, None);
    }

    fn on_core(&mut self, c: usize, msg: FromWorker) {
        match msg {
            FromWorker::Ready => {
                let init = ToWorker::Init {
                    core: c as u32,
                    role: Role::Core,
                };
                let flags = self.flags.clone();
                if let Some(h) = &self.cores[c].worker.handle
                    && let Err(err) = h.post(&init, flags.as_ref())
                {
                    self.reset_core(c, &err);
                }
            }
            FromWorker::Initialized { .. } => {
                let slot = &mut self.cores[c].worker;
                slot.ready = true;
                flush_pending(slot);
            }
            FromWorker::Loaded { .. } => {}
            FromWorker::LoadFailed { task, reason } => {
                if self.cores[c].busy.is_some_and(|b| b.task == task) {
                    self.cores[c].busy = None;
                }
                self.fail(task, reason);
            }
            FromWorker::Route(routed) => self.route(routed),
            FromWorker::Slice(report) => self.slice_done(c, report),
            FromWorker::Snapshots(snapshots) => {
                for (task, snapshot) in snapshots {
                    if let Some(record) = self.tasks.get_mut(&task) {
                        record.set_base(snapshot);
                    }
                }
            }
            FromWorker::Failed { task, reason } => self.fail(task, reason),
            FromWorker::Overdue { .. } => {}
        }
    }

    fn on_clock(&mut self, msg: FromWorker) {
        match msg {
            FromWorker::Ready => {
                let init = ToWorker::Init {
                    core: 0,
                    role: Role::Clock,
                };
                if let Some(h) = &self.clock.handle
                    && let Err(err) = h.post(&init, self.flags.as_ref())
                {
                    web_sys::console::error_1(&format!("clock: {err}").into());
                }
            }
            FromWorker::Initialized { .. } => {
                self.clock.ready = true;
                flush_pending(&mut self.clock);
            }
            FromWorker::Overdue { core, generation } => {
                let c = core as usize;
                if let Some(busy) = self.cores.get(c).and_then(|s| s.busy)
                    && busy.generation == generation
                {
                    // A call handler that never returns is the callee's fault, not the caller's.
                    let serving = self.flags.as_ref().and_then(|f| f.serving(core));
                    match serving.filter(|t| *t != busy.task) {
                        Some(callee) => self.preempt(c, callee, Some(busy.task)),
                        None => self.preempt(c, busy.task, None),
                    }
                }
            }
            _ => {}
        }
    }

    /// Starts a slice on every idle core that has a runnable task.
    fn pump(&mut self) {
        for c in 0..self.cores.len() {
            // A worker still starting would begin the slice late, after the clock's timer.
            if self.cores[c].busy.is_some() || !self.cores[c].worker.ready {
                continue;
            }
            let Some(task) = self.sched.next(c) else {
                continue;
            };
            self.generation = (self.generation + 1) & GENERATION_MASK;
            let generation = self.generation;
            if let Some(flags) = &self.flags {
                flags.start(c as u32, generation);
            }
            // Only a task that shares its core needs one, and not after every slice: the
            // messages since the last are logged, so an older snapshot restores just as well.
            let snapshot = self.sched.live_on(c) > 1
                && self
                    .tasks
                    .get(&task)
                    .is_none_or(|r| r.base.is_none() || now_ms() - r.base_at >= SNAPSHOT_EVERY_MS);
            self.cores[c].busy = Some(Busy {
                task,
                generation,
                since: now_ms(),
            });
            self.post_core(
                c,
                ToWorker::Run {
                    task,
                    slice_ms: f64::from(self.slice_ms),
                    generation,
                    snapshot,
                },
            );
            self.post_clock(ToWorker::Arm {
                core: c as u32,
                generation,
                slice_ms: self.slice_ms,
                grace_ms: GRACE_MS,
            });
        }
    }

    fn slice_done(&mut self, c: usize, mut report: SliceReport) {
        let id = report.task;
        let busy = self.cores[c].busy.filter(|b| b.task == id);
        if busy.is_some() {
            self.cores[c].busy = None;
        }
        if let Some(bench) = &mut self.bench {
            bench.slice(c, &report, busy.map_or(0.0, |b| b.since));
        }
        self.sched.messages_read(id, report.read as usize);
        self.sched.finish(id, &report.outcome);
        for d in std::mem::take(&mut report.local) {
            self.sched.message_queued(d.to);
            if let Some(view) = self.model.task_mut(d.from) {
                view.sent_one(&d);
            }
            if let Some(view) = self.model.task_mut(d.to) {
                view.received_one(d.from, &d.body);
            }
            if let Some(r) = self.tasks.get_mut(&d.from) {
                r.counts.sent += 1;
            }
            if let Some(r) = self.tasks.get_mut(&d.to) {
                r.counts.local_in += 1;
                if r.logging {
                    r.local_log.push_back((r.counts.local_in - 1, d));
                }
            }
        }
        let alone = self.sched.live_on(c) <= 1;
        if let Some(r) = self.tasks.get_mut(&id) {
            r.counts.sent += report.to_host.len() as u64;
            match report.snapshot.take() {
                Some(snapshot) => r.set_base(snapshot),
                // Alone on its core: nothing else can take it down.
                None if alone => r.stop_logging(),
                None => {}
            }
        }
        self.model.core_mut(c).record(SliceBar {
            task: id,
            ms: report.elapsed_ms,
            ended: (&report.outcome).into(),
        });
        if let Some(view) = self.model.task_mut(id) {
            view.record(&report);
        }
        if !matches!(
            report.outcome,
            SliceOutcome::Yielded | SliceOutcome::Waiting
        ) {
            self.ended(id);
        }
    }

    /// Sends `body` from `from` (a task or the host) to task `to`, wherever it runs.
    fn deliver(&mut self, from: TaskId, to: TaskId, body: Vec<u8>) -> Result<(), AbiError> {
        let Some(entry) = self.sched.task(to).filter(|e| e.state.is_live()) else {
            return Err(AbiError::NoSuchTask(to));
        };
        if entry.inbox >= MAX_INBOX {
            return Err(AbiError::InboxFull(to));
        }
        let core = entry.core;
        let waiting = entry.state == TaskState::Waiting && entry.inbox == 0;
        if let Some(view) = self.model.task_mut(to) {
            view.received_one(from, &body);
        }
        if let Some(r) = self.tasks.get_mut(&to) {
            r.counts.remote_in += 1;
            if r.logging {
                r.remote_log.push_back((
                    r.counts.remote_in - 1,
                    Delivery {
                        from,
                        to,
                        body: body.clone(),
                    },
                ));
            }
        }
        self.sched.message_queued(to);
        self.post_core(core, ToWorker::Deliver { from, to, body });
        if waiting {
            self.hurry(core, to);
        }
        Ok(())
    }

    /// A waiting task on `core` just got mail: end the slice running there (after
    /// [`MIN_SLICE_MS`]) instead of making the message wait for the whole slice.
    fn hurry(&mut self, core: usize, woken: TaskId) {
        let (Some(flags), Some(busy)) = (&self.flags, self.cores[core].busy) else {
            return;
        };
        if busy.task == woken {
            return;
        }
        let ran = now_ms() - busy.since;
        if ran >= MIN_SLICE_MS {
            flags.raise(core as u32, busy.generation, || now_ms() + time_origin());
        } else {
            self.post_clock(ToWorker::Arm {
                core: core as u32,
                generation: busy.generation,
                slice_ms: (MIN_SLICE_MS - ran).ceil() as u32,
                grace_ms: GRACE_MS,
            });
        }
    }

    fn route(&mut self, routed: Routed) {
        let Routed {
            from,
            to,
            body,
            sent_at,
        } = routed;
        if let Some(bench) = &mut self.bench {
            bench.routed(from, to, sent_at);
        }
        if let Some(r) = self.tasks.get_mut(&from) {
            r.counts.sent += 1;
        }
        if let Some(view) = self.model.task_mut(from) {
            view.sent_one(&Delivery {
                from,
                to,
                body: body.clone(),
            });
        }
        if let Err(err) = self.deliver(from, to, body) {
            self.fail(from, format!("send_message: {err}"));
        }
    }

    /// Fails a task outside its slices and takes it off its core.
    fn fail(&mut self, id: TaskId, reason: String) {
        self.sched.fail(id, reason);
        self.unload(id);
    }

    fn unload(&mut self, id: TaskId) {
        if let Some(core) = self.sched.task(id).map(|e| e.core) {
            self.post_core(core, ToWorker::Unload { task: id });
        }
        self.ended(id);
    }

    /// The task will not run again: drop what was kept to reload it.
    fn ended(&mut self, id: TaskId) {
        self.tasks.remove(&id);
        let Some(core) = self.sched.task(id).map(|e| e.core) else {
            return;
        };
        // A task left alone on its core needs no snapshots any more.
        let live: Vec<TaskId> = self.sched.live_tasks_on(core).collect();
        if let [alone] = live[..]
            && let Some(r) = self.tasks.get_mut(&alone)
            && r.base.is_some()
        {
            r.stop_logging();
        }
        self.retire_idle_cores();
    }

    /// The task ignored the yield flag past the grace period: terminate its worker, bring the
    /// core's other tasks back from their snapshots on a fresh one.
    fn preempt(&mut self, c: usize, task: TaskId, caller: Option<TaskId>) {
        let reason = match caller {
            None => format!(
                "ignored the yield flag for {GRACE_MS} ms after its {} ms slice; core {c}'s worker was terminated and replaced",
                self.slice_ms
            ),
            Some(caller) => format!(
                "its call handler, serving task {caller}, ran {GRACE_MS} ms past the {} ms slice; core {c}'s worker was terminated and replaced",
                self.slice_ms
            ),
        };
        self.sched.preempted(task, reason);
        if let Some(view) = self.model.task_mut(task) {
            view.timeline.push_back(SliceBar {
                task,
                ms: f64::from(self.slice_ms + GRACE_MS),
                ended: BarEnd::Preempted,
            });
        }
        self.model.core_mut(c).record(SliceBar {
            task,
            ms: f64::from(self.slice_ms + GRACE_MS),
            ended: BarEnd::Preempted,
        });
        self.tasks.remove(&task);
        self.reset_core(c, "a task overran its slice");
    }

    /// Core `c`'s worker died (an uncaught error, or it could not be posted to). The task in its
    /// slice, if any, is the likely cause: it fails, so that restoring it cannot crash the fresh
    /// worker again and again.
    fn crashed(&mut self, c: usize, reason: &str) {
        if let Some(busy) = self.cores.get(c).and_then(|s| s.busy) {
            self.sched.fail(
                busy.task,
                format!("core {c}'s worker crashed during its slice: {reason}"),
            );
            self.tasks.remove(&busy.task);
        }
        self.reset_core(c, reason);
    }

    /// Replaces core `c`'s worker and reloads its live tasks.
    fn reset_core(&mut self, c: usize, why: &str) {
        let Some(slot) = self.cores.get_mut(c) else {
            return;
        };
        let epoch = slot.worker.epoch + 1;
        // Dropping the old handle terminates that worker.
        *slot = CoreSlot {
            worker: WorkerSlot {
                epoch,
                ..WorkerSlot::default()
            },
            busy: None,
        };
        // A worker terminated inside a call never cleared its `serving` word.
        if let Some(flags) = &self.flags {
            flags.serve(c as u32, 0);
        }
        self.model.core_mut(c).resets += 1;
        self.ensure_core(c);
        let live: Vec<TaskId> = self.sched.live_tasks_on(c).collect();
        for id in live {
            let Some(record) = self.tasks.get(&id) else {
                self.sched
                    .fail(id, format!("lost when core {c} was reset ({why})"));
                continue;
            };
            let Some(restore) = record.restore() else {
                let reason =
                    format!("lost when core {c} was reset ({why}): it had no snapshot yet");
                self.sched.fail(id, reason);
                self.tasks.remove(&id);
                continue;
            };
            let inbox =
                restore.snapshot.as_ref().map_or(0, |s| s.inbox.len()) + restore.replay.len();
            self.sched.restored(id, inbox);
            if let Some(view) = self.model.task_mut(id) {
                view.restores += 1;
            }
            let load = ToWorker::Load {
                task: id,
                name: record.name.clone(),
                module: record.module.to_vec(),
                restore: Some(restore),
            };
            self.post_core(c, load);
        }
    }
}

fn post_or_queue(slot: &mut WorkerSlot, msg: ToWorker, flags: Option<&Flags>) {
    match &slot.handle {
        Some(handle) if slot.ready => {
            if let Err(err) = handle.post(&msg, flags) {
                web_sys::console::error_1(&format!("cannot post to a worker: {err}").into());
            }
        }
        _ => slot.pending.push(msg),
    }
}

fn flush_pending(slot: &mut WorkerSlot) {
    for msg in std::mem::take(&mut slot.pending) {
        post_or_queue(slot, msg, None);
    }
}
