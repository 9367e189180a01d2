//! The Web Worker side: a core runs its tasks' slices in [`TaskHost`]s; the clock raises yield
//! flags and reports overdue slices. `src/bin/worker.rs` calls [`run`]; `Init` picks the role.

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use gloo_timers::callback::Timeout;
use js_sys::{Reflect, SharedArrayBuffer};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use coreplay_abi::Mailboxes;

use super::{
    flags::Flags,
    host::{PostOffice, Registry, TaskHost, YieldSignal, now_ms, time_origin},
    protocol::{FromWorker, Role, SliceOutcome, TaskId, ToWorker},
};

enum WorkerState {
    Uninitialized,
    Core(Box<Core>),
    Clock(Clock),
}

struct Core {
    index: u32,
    signal: Rc<YieldSignal>,
    flags: Option<Flags>,
    office: Rc<RefCell<PostOffice>>,
    tasks: Rc<Registry>,
}

struct Clock {
    flags: Option<Flags>,
}

/// Installs the message handler and tells the main thread the worker is ready.
pub fn run() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(WorkerState::Uninitialized));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        match serde_wasm_bindgen::from_value::<ToWorker>(field(&data, "msg")) {
            Ok(msg) => handle(&mut state.borrow_mut(), msg, &data),
            Err(err) => {
                web_sys::console::error_1(&format!("worker: bad message: {err}").into());
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker itself.
    on_message.forget();
    post(&FromWorker::Ready);
}

fn handle(state: &mut WorkerState, msg: ToWorker, data: &JsValue) {
    match (state, msg) {
        (state @ WorkerState::Uninitialized, ToWorker::Init { core, role }) => {
            let flags = Flags::from_buffers(
                field(data, "words").dyn_into::<SharedArrayBuffer>().ok(),
                field(data, "stamps").dyn_into::<SharedArrayBuffer>().ok(),
            );
            let shared_flags = flags.is_some();
            *state = match role {
                Role::Core => WorkerState::Core(Box::new(Core::new(core, flags))),
                Role::Clock => WorkerState::Clock(Clock { flags }),
            };
            post(&FromWorker::Initialized { shared_flags });
        }
        (WorkerState::Core(core), msg) => core.handle(msg),
        (
            WorkerState::Clock(clock),
            ToWorker::Arm {
                core,
                generation,
                slice_ms,
                grace_ms,
            },
        ) => clock.arm(core, generation, slice_ms, grace_ms),
        (_, msg) => web_sys::console::error_1(&format!("worker: unexpected {msg:?}").into()),
    }
}

impl Core {
    fn new(index: u32, flags: Option<Flags>) -> Self {
        let signal = match &flags {
            Some(f) => YieldSignal::Shared {
                flags: f.clone(),
                core: index,
            },
            None => YieldSignal::Deadline {
                until: Default::default(),
            },
        };
        let office = PostOffice {
            boxes: Mailboxes::default(),
            counts: HashMap::new(),
            route: Box::new(|routed| post(&FromWorker::Route(routed))),
        };
        Self {
            index,
            signal: Rc::new(signal),
            flags,
            office: Rc::new(RefCell::new(office)),
            tasks: Rc::default(),
        }
    }

    fn handle(&mut self, msg: ToWorker) {
        match msg {
            ToWorker::Load {
                task,
                name,
                module,
                restore,
            } => {
                let loaded = TaskHost::instantiate(
                    &module,
                    task,
                    self.signal.clone(),
                    self.office.clone(),
                    Rc::downgrade(&self.tasks),
                    restore,
                );
                post(&match loaded {
                    Ok(host) => {
                        self.tasks.borrow_mut().insert(task, Rc::new(host));
                        FromWorker::Loaded { task }
                    }
                    Err(err) => {
                        self.forget(task);
                        FromWorker::LoadFailed {
                            task,
                            reason: format!("{name}: {err}"),
                        }
                    }
                });
            }
            ToWorker::Run {
                task,
                slice_ms,
                generation,
                snapshot,
            } => {
                let Some(host) = self.tasks.borrow().get(&task).cloned() else {
                    return post(&FromWorker::LoadFailed {
                        task,
                        reason: format!("task {task} is not loaded on this core"),
                    });
                };
                let report = host.run_slice(slice_ms, snapshot);
                if let Some(flags) = &self.flags {
                    flags.finished(self.index, generation);
                }
                if !matches!(
                    report.outcome,
                    SliceOutcome::Yielded | SliceOutcome::Waiting
                ) {
                    self.forget(task);
                }
                post(&FromWorker::Slice(report));
                self.report_call_failures();
            }
            ToWorker::Deliver { from, to, body } => {
                let mut office = self.office.borrow_mut();
                // The main thread only routes to tasks it placed here and keeps the flood limit;
                // a task that ended meanwhile simply no longer reads.
                if office.boxes.deliver(from, to, body).is_ok() {
                    office.counts.entry(to).or_default().remote_in += 1;
                }
            }
            ToWorker::Unload { task } => self.forget(task),
            ToWorker::Snapshot { tasks } => {
                let snapshots = tasks
                    .into_iter()
                    .filter_map(|t| Some((t, self.tasks.borrow().get(&t)?.snapshot())))
                    .collect();
                post(&FromWorker::Snapshots(snapshots));
            }
            other => web_sys::console::error_1(&format!("core: unexpected {other:?}").into()),
        }
    }

    /// Tasks that failed while serving a call during the slice: the main thread hears of them
    /// like of any failure, and they are gone from this core.
    fn report_call_failures(&mut self) {
        let failed: Vec<(TaskId, String)> = self
            .tasks
            .borrow()
            .values()
            .filter_map(|t| Some((t.id(), t.take_call_failure()?)))
            .collect();
        for (task, reason) in failed {
            self.forget(task);
            post(&FromWorker::Failed { task, reason });
        }
    }

    fn forget(&mut self, task: TaskId) {
        self.tasks.borrow_mut().remove(&task);
        let mut office = self.office.borrow_mut();
        office.boxes.close(task);
        office.counts.remove(&task);
    }
}

impl Clock {
    /// Two `gloo-timers` timeouts per slice: the flag, then the grace check. A newer slice on the
    /// same core makes both stale, which the generation in the shared word detects.
    fn arm(&self, core: u32, generation: u32, slice_ms: u32, grace_ms: u32) {
        if let Some(flags) = self.flags.clone() {
            Timeout::new(slice_ms, move || {
                flags.raise(core, generation, || now_ms() + time_origin());
            })
            .forget();
        }
        let flags = self.flags.clone();
        Timeout::new(slice_ms.saturating_add(grace_ms), move || {
            // Without shared flags the main thread decides whether the slice is still running.
            if flags.is_none_or(|f| f.running(core, generation)) {
                post(&FromWorker::Overdue { core, generation });
            }
        })
        .forget();
    }
}

fn field(data: &JsValue, key: &str) -> JsValue {
    Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn post(msg: &FromWorker) {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    match serde_wasm_bindgen::to_value(msg) {
        Ok(value) => {
            if let Err(err) = scope.post_message(&value) {
                web_sys::console::error_2(&"worker: postMessage failed".into(), &err);
            }
        }
        Err(err) => {
            web_sys::console::error_1(&format!("worker: cannot encode reply: {err}").into())
        }
    }
}
