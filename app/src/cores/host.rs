//! The task host that runs inside a core's Web Worker: compiles a task module, checks it against
//! task ABI v1, provides the `env` imports (each bounds-checked), and runs slices.

use std::{
    cell::{Cell, RefCell},
    rc::Rc,
};

use js_sys::{Function, Int32Array, Object, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};

use coreplay_abi::{self as abi, AbiError, Inbound, Mailboxes};
use parity_scale_codec::DecodeAll;

use super::protocol::{SliceOutcome, SliceReport, TaskId};

/// How a task learns that its slice is over.
#[derive(Debug)]
pub enum YieldSignal {
    /// The main thread's timer stores 1 into `flags[index]` (cross-origin isolated pages).
    Shared { flags: Int32Array, index: u32 },
    /// No `SharedArrayBuffer`: the worker compares the clock with a deadline it sets per slice.
    Deadline { until: Cell<f64> },
}

impl YieldSignal {
    fn raised(&self) -> bool {
        match self {
            // A failed load means the flags are unusable; yielding is the safe answer.
            Self::Shared { flags, index } => js_sys::Atomics::load(flags, *index) != Ok(0),
            Self::Deadline { until } => now_ms() >= until.get(),
        }
    }
}

/// One instantiated task.
pub struct TaskHost {
    service: Function,
    state: Rc<HostState>,
    // The import closures must live as long as the instance that calls them.
    _imports: Imports,
}

impl std::fmt::Debug for TaskHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHost").finish_non_exhaustive()
    }
}

/// Per-instance host state the imports read and write.
#[derive(Debug)]
struct HostState {
    id: TaskId,
    /// Inboxes of the tasks on this core and of the host (task 0).
    mailboxes: Rc<RefCell<Mailboxes>>,
    memory: RefCell<Option<WebAssembly::Memory>>,
    signal: Rc<YieldSignal>,
    console: RefCell<Vec<String>>,
    yield_checks: Cell<u64>,
    exit: RefCell<Option<(i32, String)>>,
}

type Imports = (
    Closure<dyn FnMut(u32, u32) -> Result<(), JsValue>>,
    Closure<dyn FnMut() -> i32>,
    Closure<dyn FnMut(i32, u32, u32) -> Result<(), JsValue>>,
    Closure<dyn FnMut(u32, u32) -> Result<i32, JsValue>>,
    Closure<dyn FnMut(u32, u32) -> Result<(), JsValue>>,
);

impl TaskHost {
    /// Compiles and instantiates `bytes`, refusing anything that is not a task ABI v1 module.
    pub fn instantiate(
        bytes: &[u8],
        id: TaskId,
        signal: Rc<YieldSignal>,
        mailboxes: Rc<RefCell<Mailboxes>>,
    ) -> Result<Self, AbiError> {
        let module = WebAssembly::Module::new(&Uint8Array::from(bytes).into())
            .map_err(|e| AbiError::Malformed(js_error_message(&e)))?;
        for import in WebAssembly::Module::imports(&module).iter() {
            let field = |key: &str| {
                Reflect::get(&import, &key.into())
                    .ok()
                    .and_then(|v| v.as_string())
                    .unwrap_or_default()
            };
            abi::check_import(&field("module"), &field("name"), &field("kind"))?;
        }
        let export_names: Vec<String> = WebAssembly::Module::exports(&module)
            .iter()
            .filter_map(|e| Reflect::get(&e, &"name".into()).ok()?.as_string())
            .collect();
        abi::check_exports(export_names.iter().map(String::as_str))?;

        let state = Rc::new(HostState {
            id,
            mailboxes,
            memory: RefCell::new(None),
            signal,
            console: RefCell::new(Vec::new()),
            yield_checks: Cell::new(0),
            exit: RefCell::new(None),
        });
        let imports = make_imports(&state);
        let env = Object::new();
        set(&env, "print", imports.0.as_ref());
        set(&env, "should_yield", imports.1.as_ref());
        set(&env, "task_exit", imports.2.as_ref());
        set(&env, "next_message", imports.3.as_ref());
        set(&env, "send_message", imports.4.as_ref());
        let import_object = Object::new();
        set(&import_object, abi::IMPORT_MODULE, &env);

        let instance = WebAssembly::Instance::new(&module, &import_object)
            .map_err(|e| AbiError::Malformed(js_error_message(&e)))?;
        let exports = instance.exports();
        let export = |name: &'static str| {
            Reflect::get(&exports, &name.into()).map_err(|_| AbiError::MissingExport(name))
        };
        let memory: WebAssembly::Memory = export("memory")?
            .dyn_into()
            .map_err(|_| AbiError::MissingExport("memory"))?;
        let version_fn: Function = export("coreplay_abi_version")?
            .dyn_into()
            .map_err(|_| AbiError::MissingExport("coreplay_abi_version"))?;
        let service: Function = export("service")?
            .dyn_into()
            .map_err(|_| AbiError::MissingExport("service"))?;
        let version = version_fn
            .call0(&JsValue::UNDEFINED)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(-1.0);
        abi::check_version(version as i64)?;
        *state.memory.borrow_mut() = Some(memory);
        Ok(Self {
            service,
            state,
            _imports: imports,
        })
    }

    /// Calls `service` once and reports what happened. In deadline mode the slice ends after
    /// `slice_ms`; in shared mode the main thread's timer ends it.
    pub fn run_slice(&self, task: TaskId, slice_ms: f64) -> SliceReport {
        if let YieldSignal::Deadline { until } = self.state.signal.as_ref() {
            until.set(now_ms() + slice_ms);
        }
        self.state.yield_checks.set(0);
        let started = now_ms();
        let result = self.service.call0(&JsValue::UNDEFINED);
        let elapsed_ms = now_ms() - started;
        let exit = self.state.exit.borrow_mut().take();
        let outcome = match (result, exit) {
            (_, Some((abi::EXIT_OK, _))) => SliceOutcome::Done,
            (_, Some((status, reason))) => SliceOutcome::Failed {
                reason: format!("exited with status {status}: {reason}"),
            },
            (Ok(v), None) => match v.as_f64().map(|f| f as i32) {
                Some(abi::SERVICE_YIELDED) => SliceOutcome::Yielded,
                Some(abi::SERVICE_WAITING) => SliceOutcome::Waiting,
                Some(abi::SERVICE_DONE) => SliceOutcome::Done,
                _ => SliceOutcome::Failed {
                    reason: format!("service returned {v:?}, expected 0, 1 or 2"),
                },
            },
            (Err(e), None) => SliceOutcome::Failed {
                reason: format!("trapped: {}", js_error_message(&e)),
            },
        };
        SliceReport {
            task,
            outcome,
            elapsed_ms,
            yield_checks: self.state.yield_checks.get(),
            console: std::mem::take(&mut *self.state.console.borrow_mut()),
            to_host: self.take_host_messages(),
        }
    }

    fn take_host_messages(&self) -> Vec<(TaskId, Vec<u8>)> {
        let mut boxes = self.state.mailboxes.borrow_mut();
        std::iter::from_fn(|| boxes.pop(abi::HOST_TASK))
            .filter_map(|bytes| Inbound::decode_all(&mut &bytes[..]).ok())
            .map(|m| (m.from, m.body))
            .collect()
    }
}

fn make_imports(state: &Rc<HostState>) -> Imports {
    let s = state.clone();
    let print = Closure::new(move |ptr: u32, len: u32| -> Result<(), JsValue> {
        let bytes = s
            .read("print", ptr, len, abi::MAX_PRINT_BYTES)
            .map_err(trap)?;
        s.console
            .borrow_mut()
            .push(String::from_utf8_lossy(&bytes).into_owned());
        Ok(())
    });
    let s = state.clone();
    let should_yield = Closure::new(move || -> i32 {
        s.yield_checks.set(s.yield_checks.get() + 1);
        i32::from(s.signal.raised())
    });
    let s = state.clone();
    let task_exit = Closure::new(
        move |status: i32, ptr: u32, len: u32| -> Result<(), JsValue> {
            let reason = s
                .read("task_exit", ptr, len, abi::MAX_PRINT_BYTES)
                .map_err(trap)?;
            *s.exit.borrow_mut() = Some((status, String::from_utf8_lossy(&reason).into_owned()));
            // Unwind out of the task: it said it is finished, so none of its code may run on.
            Err(js_sys::Error::new("task exited").into())
        },
    );
    let s = state.clone();
    let next_message = Closure::new(move |ptr: u32, cap: u32| -> Result<i32, JsValue> {
        let mut boxes = s.mailboxes.borrow_mut();
        let Some(next) = boxes.peek(s.id) else {
            return Ok(0);
        };
        let result = abi::next_message_result(next.len(), cap);
        if result > 0 {
            s.write("next_message", ptr, next).map_err(trap)?;
            boxes.pop(s.id);
        }
        Ok(result)
    });
    let s = state.clone();
    let send_message = Closure::new(move |ptr: u32, len: u32| -> Result<(), JsValue> {
        let bytes = s
            .read("send_message", ptr, len, abi::MAX_MESSAGE_BYTES)
            .map_err(trap)?;
        let out = abi::decode_outbound(&bytes).map_err(trap)?;
        s.mailboxes
            .borrow_mut()
            .deliver(s.id, out.to, out.body)
            .map_err(trap)
    });
    (print, should_yield, task_exit, next_message, send_message)
}

impl HostState {
    fn view(&self) -> Uint8Array {
        // A fresh view each time: the buffer is replaced whenever the memory grows.
        self.memory.borrow().as_ref().map_or_else(
            || Uint8Array::new_with_length(0),
            |m| Uint8Array::new(&m.buffer()),
        )
    }

    fn read(
        &self,
        call: &'static str,
        ptr: u32,
        len: u32,
        limit: u32,
    ) -> Result<Vec<u8>, AbiError> {
        abi::check_len(call, len, limit)?;
        let view = self.view();
        let range = abi::checked_range(call, ptr, len, view.length())?;
        Ok(view.subarray(range.start as u32, range.end as u32).to_vec())
    }

    fn write(&self, call: &'static str, ptr: u32, bytes: &[u8]) -> Result<(), AbiError> {
        let view = self.view();
        let range = abi::checked_range(call, ptr, bytes.len() as u32, view.length())?;
        view.subarray(range.start as u32, range.end as u32)
            .copy_from(bytes);
        Ok(())
    }
}

/// Turns an ABI violation into an exception that traps the calling task (and only it).
fn trap(err: AbiError) -> JsValue {
    js_sys::Error::new(&err.to_string()).into()
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a plain data property on a fresh object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

/// `Error: message` for JS errors (including wasm traps), a debug print for anything else.
pub fn js_error_message(value: &JsValue) -> String {
    match value.dyn_ref::<js_sys::Error>() {
        Some(err) => format!("{}: {}", err.name(), err.message()),
        None => value.as_string().unwrap_or_else(|| format!("{value:?}")),
    }
}

thread_local! {
    // Looked up once: deadline-mode `should_yield` reads the clock on every call.
    static PERFORMANCE: Option<web_sys::Performance> = Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into().ok());
}

fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or_else(js_sys::Date::now, |p| p.now()))
}
