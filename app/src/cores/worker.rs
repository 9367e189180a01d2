//! The Web Worker side of a browser core: receives tasks and slice requests from the main
//! thread and runs them in [`TaskHost`]s. `src/bin/worker.rs` calls [`run`].

use std::{cell::RefCell, collections::HashMap, rc::Rc};

use js_sys::{Int32Array, Reflect, SharedArrayBuffer};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use coreplay_abi::Mailboxes;

use super::{
    host::{TaskHost, YieldSignal},
    protocol::{FromWorker, SliceOutcome, TaskId, ToWorker},
};

#[derive(Debug)]
struct CoreState {
    signal: Option<Rc<YieldSignal>>,
    tasks: HashMap<TaskId, TaskHost>,
    mailboxes: Rc<RefCell<Mailboxes>>,
}

impl Default for CoreState {
    fn default() -> Self {
        let mut mailboxes = Mailboxes::default();
        mailboxes.open(coreplay_abi::HOST_TASK);
        Self {
            signal: None,
            tasks: HashMap::new(),
            mailboxes: Rc::new(RefCell::new(mailboxes)),
        }
    }
}

/// Installs the message handler and tells the main thread the worker is ready.
pub fn run() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let state = Rc::new(RefCell::new(CoreState::default()));
    let reply_scope = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let reply = match serde_wasm_bindgen::from_value::<ToWorker>(field(&data, "msg")) {
            Ok(msg) => handle(&mut state.borrow_mut(), msg, field(&data, "flags")),
            Err(err) => {
                web_sys::console::error_1(&format!("core worker: bad message: {err}").into());
                None
            }
        };
        if let Some(reply) = reply {
            post(&reply_scope, &reply);
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    // The handler lives as long as the worker itself.
    on_message.forget();
    post(&scope, &FromWorker::Ready);
}

fn handle(state: &mut CoreState, msg: ToWorker, flags: JsValue) -> Option<FromWorker> {
    match msg {
        ToWorker::Init { core } => {
            let shared = flags.dyn_into::<SharedArrayBuffer>().ok();
            let signal = match shared {
                Some(buffer) => YieldSignal::Shared {
                    flags: Int32Array::new(&buffer),
                    index: core,
                },
                None => YieldSignal::Deadline {
                    until: Default::default(),
                },
            };
            let shared_flags = matches!(signal, YieldSignal::Shared { .. });
            state.signal = Some(Rc::new(signal));
            Some(FromWorker::Initialized { shared_flags })
        }
        ToWorker::Load { task, name, module } => {
            let Some(signal) = state.signal.clone() else {
                return Some(FromWorker::LoadFailed {
                    task,
                    reason: "core not initialized".into(),
                });
            };
            Some(
                match TaskHost::instantiate(&module, task, signal, state.mailboxes.clone()) {
                    Ok(host) => {
                        state.mailboxes.borrow_mut().open(task);
                        state.tasks.insert(task, host);
                        FromWorker::Loaded { task }
                    }
                    Err(err) => FromWorker::LoadFailed {
                        task,
                        reason: format!("{name}: {err}"),
                    },
                },
            )
        }
        ToWorker::Run { task, slice_ms } => Some(match state.tasks.get(&task) {
            Some(host) => {
                let report = host.run_slice(task, slice_ms);
                if !matches!(
                    report.outcome,
                    SliceOutcome::Yielded | SliceOutcome::Waiting
                ) {
                    state.tasks.remove(&task);
                    state.mailboxes.borrow_mut().close(task);
                }
                FromWorker::Slice(report)
            }
            None => FromWorker::LoadFailed {
                task,
                reason: format!("task {task} is not loaded on this core"),
            },
        }),
    }
}

fn field(data: &JsValue, key: &str) -> JsValue {
    Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

fn post(scope: &DedicatedWorkerGlobalScope, msg: &FromWorker) {
    match serde_wasm_bindgen::to_value(msg) {
        Ok(value) => {
            if let Err(err) = scope.post_message(&value) {
                web_sys::console::error_2(&"core worker: postMessage failed".into(), &err);
            }
        }
        Err(err) => {
            web_sys::console::error_1(&format!("core worker: cannot encode reply: {err}").into())
        }
    }
}
