//! The main thread's side of the browser cores: spawns a core's worker, talks to it, and drives
//! a task slice by slice with the yield flag raised by a `gloo-timers` timeout.

use std::{cell::Cell, rc::Rc};

use futures::{StreamExt, channel::mpsc};
use gloo_timers::callback::Timeout;
use js_sys::{Int32Array, Object, Reflect, SharedArrayBuffer};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};
use web_sys::{ErrorEvent, MessageEvent, Worker};

use super::protocol::{FromWorker, SliceOutcome, SliceReport, TaskId, ToWorker};

/// Trunk's loader for the `worker` binary (see `app/index.html`).
const WORKER_URL: &str = "./worker_loader.js";

/// Everything that can go wrong between the main thread and a core.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuntimeError {
    #[error("cannot start a Web Worker: {0}")]
    Spawn(String),
    #[error("the core's worker failed: {0}")]
    Worker(String),
    #[error("the core's worker went away")]
    Gone,
    #[error("cannot send to the core: {0}")]
    Send(String),
    #[error("unexpected reply from the core: {0}")]
    Unexpected(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("fetching {url}: {reason}")]
    Fetch { url: String, reason: String },
}

/// One yield flag per core in a `SharedArrayBuffer`, written with `Atomics.store` here and read
/// with `Atomics.load` by the task's `should_yield` in the worker.
#[derive(Debug, Clone)]
pub struct SharedFlags {
    buffer: SharedArrayBuffer,
    view: Int32Array,
}

impl SharedFlags {
    /// `None` when the page is not cross-origin isolated (no `SharedArrayBuffer`).
    pub fn new(cores: u32) -> Option<Self> {
        if !super::isolation::cross_origin_isolated() {
            return None;
        }
        let buffer = SharedArrayBuffer::new(cores * 4);
        let view = Int32Array::new(&buffer);
        Some(Self { buffer, view })
    }

    pub fn raise(&self, core: u32) {
        let _ = js_sys::Atomics::store(&self.view, core, 1);
    }

    pub fn lower(&self, core: u32) {
        let _ = js_sys::Atomics::store(&self.view, core, 0);
    }
}

/// A browser core: one Web Worker. Dropping it terminates the worker.
#[derive(Debug)]
pub struct CoreWorker {
    pub core: u32,
    /// Whether the worker reads the shared flag (else it keeps its own deadline).
    pub shared_flags: bool,
    worker: Worker,
    inbox: mpsc::UnboundedReceiver<Result<FromWorker, RuntimeError>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl CoreWorker {
    /// Starts the worker, waits until it listens, and initializes it as `core`.
    pub async fn spawn(core: u32, flags: Option<&SharedFlags>) -> Result<Self, RuntimeError> {
        // Trunk's loader shim is a classic worker script (`importScripts`), not a module.
        let worker = Worker::new(WORKER_URL)
            .map_err(|e| RuntimeError::Spawn(super::host::js_error_message(&e)))?;
        let (tx, inbox) = mpsc::unbounded();
        let msg_tx = tx.clone();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let msg = serde_wasm_bindgen::from_value::<FromWorker>(event.data())
                .map_err(|e| RuntimeError::Unexpected(e.to_string()));
            let _ = msg_tx.unbounded_send(msg);
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            let _ = tx.unbounded_send(Err(RuntimeError::Worker(event.message())));
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let mut core_worker = Self {
            core,
            shared_flags: false,
            worker,
            inbox,
            _on_message: on_message,
            _on_error: on_error,
        };
        core_worker
            .expect(|m| matches!(m, FromWorker::Ready))
            .await?;
        core_worker.send_with(&ToWorker::Init { core }, flags.map(|f| f.buffer.as_ref()))?;
        match core_worker.recv().await? {
            FromWorker::Initialized { shared_flags } => core_worker.shared_flags = shared_flags,
            other => return Err(RuntimeError::Unexpected(format!("{other:?}"))),
        }
        Ok(core_worker)
    }

    pub fn send(&self, msg: &ToWorker) -> Result<(), RuntimeError> {
        self.send_with(msg, None)
    }

    fn send_with(&self, msg: &ToWorker, flags: Option<&JsValue>) -> Result<(), RuntimeError> {
        let envelope = Object::new();
        let value =
            serde_wasm_bindgen::to_value(msg).map_err(|e| RuntimeError::Send(e.to_string()))?;
        let _ = Reflect::set(&envelope, &"msg".into(), &value);
        if let Some(flags) = flags {
            let _ = Reflect::set(&envelope, &"flags".into(), flags);
        }
        self.worker
            .post_message(&envelope)
            .map_err(|e| RuntimeError::Send(super::host::js_error_message(&e)))
    }

    pub async fn recv(&mut self) -> Result<FromWorker, RuntimeError> {
        self.inbox.next().await.unwrap_or(Err(RuntimeError::Gone))
    }

    async fn expect(
        &mut self,
        want: impl Fn(&FromWorker) -> bool,
    ) -> Result<FromWorker, RuntimeError> {
        let msg = self.recv().await?;
        if want(&msg) {
            Ok(msg)
        } else {
            Err(RuntimeError::Unexpected(format!("{msg:?}")))
        }
    }

    /// Compiles and instantiates a task on this core.
    pub async fn load(
        &mut self,
        task: TaskId,
        name: &str,
        module: Vec<u8>,
    ) -> Result<(), RuntimeError> {
        self.send(&ToWorker::Load {
            task,
            name: name.into(),
            module,
        })?;
        match self.recv().await? {
            FromWorker::Loaded { task: t } if t == task => Ok(()),
            FromWorker::LoadFailed { reason, .. } => Err(RuntimeError::Refused(reason)),
            other => Err(RuntimeError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Runs `task` slice after slice until it finishes, fails, or `stop` is set. Each slice:
    /// lower the flag, start the slice, raise the flag after `slice_ms` from a timer.
    pub async fn run_slices(
        &mut self,
        flags: Option<&SharedFlags>,
        task: TaskId,
        slice_ms: u32,
        stop: Rc<Cell<bool>>,
        mut on_slice: impl FnMut(&SliceReport),
    ) -> Result<Option<SliceOutcome>, RuntimeError> {
        let core = self.core;
        while !stop.get() {
            let shared = flags.filter(|_| self.shared_flags);
            if let Some(flags) = shared {
                flags.lower(core);
            }
            self.send(&ToWorker::Run {
                task,
                slice_ms: f64::from(slice_ms),
            })?;
            // Dropping the timeout cancels it, so a slice that ends early leaves no stray raise.
            let _timer = shared
                .cloned()
                .map(|flags| Timeout::new(slice_ms, move || flags.raise(core)));
            match self.recv().await? {
                FromWorker::Slice(report) => {
                    on_slice(&report);
                    match report.outcome {
                        SliceOutcome::Yielded => {}
                        // Nothing routes messages to it yet, so waiting is where it stays.
                        SliceOutcome::Waiting => return Ok(Some(SliceOutcome::Waiting)),
                        outcome => return Ok(Some(outcome)),
                    }
                }
                FromWorker::LoadFailed { reason, .. } => return Err(RuntimeError::Refused(reason)),
                other => return Err(RuntimeError::Unexpected(format!("{other:?}"))),
            }
        }
        Ok(None)
    }
}

impl Drop for CoreWorker {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Fetches a file of the site (e.g. `tasks/counter.wasm`) as bytes.
pub async fn fetch_bytes(url: &str) -> Result<Vec<u8>, RuntimeError> {
    let err = |reason: String| RuntimeError::Fetch {
        url: url.into(),
        reason,
    };
    let response = crate::fetch::fetch_ok(url).await.map_err(err)?;
    let buffer = crate::fetch::read_body(response.array_buffer())
        .await
        .map_err(err)?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
