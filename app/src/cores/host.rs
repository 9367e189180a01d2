//! The task host that runs inside a core's Web Worker: compiles a task module, checks it against
//! task ABI v1, provides the `env` imports (each bounds-checked), runs slices, and takes and
//! restores snapshots.

use std::{
    cell::{Cell, Ref, RefCell},
    collections::{BTreeMap, HashMap},
    rc::{Rc, Weak},
};

use js_sys::{Function, Object, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::{JsCast, JsValue, prelude::Closure};

use coreplay_abi::{self as abi, AbiError, CallError, Inbound, Mailboxes};
use parity_scale_codec::Encode;

use super::{
    flags::Flags,
    protocol::{
        Delivery, Global, MessageCounts, Restore, Routed, SliceOutcome, SliceReport, Snapshot,
        TaskId,
    },
};

/// How a task learns that its slice is over.
#[derive(Debug)]
pub enum YieldSignal {
    /// The clock worker raises this core's flag in shared memory (cross-origin isolated pages).
    Shared { flags: Flags, core: u32 },
    /// No `SharedArrayBuffer`: the worker compares the clock with a deadline it sets per slice.
    Deadline { until: Cell<f64> },
}

impl YieldSignal {
    fn raised(&self) -> bool {
        match self {
            Self::Shared { flags, core } => flags.raised(*core),
            Self::Deadline { until } => now_ms() >= until.get(),
        }
    }

    /// Notes in shared memory that `task` serves a call now (0: no call); returns the previous.
    fn serve(&self, task: TaskId) -> TaskId {
        match self {
            Self::Shared { flags, core } => flags.serve(*core, task),
            Self::Deadline { .. } => 0,
        }
    }

    /// When the flag rose (ms since the epoch), if it has.
    fn raised_at(&self) -> Option<f64> {
        match self {
            Self::Shared { flags, core } => flags.raised_at(*core),
            Self::Deadline { until } => self.raised().then(|| until.get() + time_origin()),
        }
    }
}

/// What the tasks of one core share: their inboxes, their message counters, and the way out to
/// other cores.
pub struct PostOffice {
    pub boxes: Mailboxes,
    pub counts: HashMap<TaskId, MessageCounts>,
    /// Posts a message for another core to the main thread.
    pub route: Box<dyn Fn(Routed)>,
}

impl std::fmt::Debug for PostOffice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostOffice")
            .field("counts", &self.counts)
            .finish_non_exhaustive()
    }
}

/// The tasks of one core, by id, so they can call each other.
pub type Registry = RefCell<HashMap<TaskId, Rc<TaskHost>>>;

/// One instantiated task.
pub struct TaskHost {
    service: Function,
    /// `coreplay_alloc` and `coreplay_call`, if it serves calls.
    serves: Option<(Function, Function)>,
    state: Rc<HostState>,
    /// Exported mutable globals: with memory, the task's whole state.
    globals: BTreeMap<String, JsValue>,
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
    office: Rc<RefCell<PostOffice>>,
    registry: Weak<Registry>,
    /// In a slice or handling a call: it cannot take a call now.
    running: Cell<bool>,
    /// Why it failed while handling a call (outside its slices).
    failed: RefCell<Option<String>>,
    memory: RefCell<Option<WebAssembly::Memory>>,
    view: RefCell<Option<Uint8Array>>,
    signal: Rc<YieldSignal>,
    console: RefCell<abi::SliceConsole>,
    yield_checks: Cell<u64>,
    /// When a check first found the flag up this slice (`now_ms()`).
    seen_at: Cell<Option<f64>>,
    read: Cell<u32>,
    local: RefCell<Vec<Delivery>>,
    to_host: RefCell<Vec<Delivery>>,
    /// Messages sent to each other core's task this slice (flood control).
    remote_sent: RefCell<HashMap<TaskId, usize>>,
    /// Sends still to drop after a restore (they were delivered before the snapshot's loss).
    suppress: Cell<u64>,
    exit: RefCell<Option<(i32, String)>>,
}

type Imports = (
    Closure<dyn FnMut(u32, u32) -> Result<(), JsValue>>,
    Closure<dyn FnMut() -> i32>,
    Closure<dyn FnMut(i32, u32, u32) -> Result<(), JsValue>>,
    Closure<dyn FnMut(u32, u32) -> Result<i32, JsValue>>,
    Closure<dyn FnMut(u32, u32) -> Result<(), JsValue>>,
    Closure<dyn FnMut(u32, u32, u32, u32, u32) -> Result<i32, JsValue>>,
);

/// WebAssembly pages are 64 KiB.
const PAGE: u32 = 65_536;

/// Most memory a task may use; `coreplay_module::prepare` writes it into the module.
pub const MEMORY_LIMIT: u64 = 128 << 20;

/// A trap this close to the limit is taken for a failed allocation.
const OOM_MARGIN: u64 = 8 << 20;

impl TaskHost {
    /// Compiles and instantiates `bytes`, refusing anything that is not a task ABI v1 module,
    /// and resumes `restore` if given.
    pub fn instantiate(
        bytes: &[u8],
        id: TaskId,
        signal: Rc<YieldSignal>,
        office: Rc<RefCell<PostOffice>>,
        registry: Weak<Registry>,
        restore: Option<Restore>,
    ) -> Result<Self, AbiError> {
        let module = compile(bytes)?;
        for import in WebAssembly::Module::imports(&module).iter() {
            abi::check_import(
                &string_field(&import, "module"),
                &string_field(&import, "name"),
                &string_field(&import, "kind"),
            )?;
        }
        let exports: Vec<(String, String)> = WebAssembly::Module::exports(&module)
            .iter()
            .map(|e| (string_field(&e, "name"), string_field(&e, "kind")))
            .collect();
        abi::check_exports(exports.iter().map(|(name, _)| name.as_str()))?;

        let state = Rc::new(HostState {
            id,
            office,
            registry,
            running: Cell::new(false),
            failed: RefCell::new(None),
            memory: RefCell::new(None),
            view: RefCell::new(None),
            signal,
            console: RefCell::default(),
            yield_checks: Cell::new(0),
            seen_at: Cell::new(None),
            read: Cell::new(0),
            local: RefCell::new(Vec::new()),
            to_host: RefCell::new(Vec::new()),
            remote_sent: RefCell::new(HashMap::new()),
            suppress: Cell::new(0),
            exit: RefCell::new(None),
        });
        let imports = make_imports(&state);
        let env = Object::new();
        set(&env, "print", imports.0.as_ref());
        set(&env, "should_yield", imports.1.as_ref());
        set(&env, "task_exit", imports.2.as_ref());
        set(&env, "next_message", imports.3.as_ref());
        set(&env, "send_message", imports.4.as_ref());
        set(&env, "call_task", imports.5.as_ref());
        let import_object = Object::new();
        set(&import_object, abi::IMPORT_MODULE, &env);

        let instance = WebAssembly::Instance::new(&module, &import_object)
            .map_err(|e| AbiError::Malformed(js_error_message(&e)))?;
        let instance_exports = instance.exports();
        let export = |name: &'static str| {
            Reflect::get(&instance_exports, &name.into()).map_err(|_| AbiError::MissingExport(name))
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
        let function = |name: &str| -> Option<Function> {
            Reflect::get(&instance_exports, &name.into())
                .ok()?
                .dyn_into()
                .ok()
        };
        let serves = function(abi::ALLOC_EXPORT).zip(function(abi::CALL_EXPORT));
        // JS exposes no global's mutability; writing back its own value succeeds only if mutable.
        let globals = exports
            .iter()
            .filter(|(_, kind)| kind == "global")
            .filter_map(|(name, _)| {
                let global = Reflect::get(&instance_exports, &name.into()).ok()?;
                let value = Reflect::get(&global, &"value".into()).ok()?;
                Reflect::set(&global, &"value".into(), &value)
                    .ok()
                    .filter(|ok| *ok)?;
                Some((name.clone(), global))
            })
            .collect();
        *state.memory.borrow_mut() = Some(memory);
        let host = Self {
            service,
            serves,
            state,
            globals,
            _imports: imports,
        };
        host.state.office.borrow_mut().boxes.open(id);
        if let Some(restore) = restore {
            host.restore(restore)?;
        } else {
            host.state
                .office
                .borrow_mut()
                .counts
                .insert(id, MessageCounts::default());
        }
        Ok(host)
    }

    /// Calls `service` once and reports what happened. In deadline mode the slice ends after
    /// `slice_ms`; in shared mode the clock worker ends it.
    pub fn run_slice(&self, slice_ms: f64, snapshot: bool) -> SliceReport {
        let s = &self.state;
        if let YieldSignal::Deadline { until } = s.signal.as_ref() {
            until.set(now_ms() + slice_ms);
        }
        s.yield_checks.set(0);
        s.read.set(0);
        s.remote_sent.borrow_mut().clear();
        s.seen_at.set(None);
        let started = now_ms();
        s.running.set(true);
        let result = self.service.call0(&JsValue::UNDEFINED);
        s.running.set(false);
        let returned = now_ms();
        let origin = time_origin();
        // A stamp from before this slice is a previous slice's: this one's is not written yet.
        let raised_at = s
            .signal
            .raised_at()
            .filter(|at| *at >= started + origin)
            .or_else(|| s.seen_at.get().map(|seen| seen + origin));
        let yield_latency_ms = raised_at.map(|at| (returned + origin - at).max(0.0));
        let exit = s.exit.borrow_mut().take();
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
                reason: match self.memory_bytes() {
                    // The module's memory maximum is the cap, so a failed allocation near it
                    // is what ended the task, whatever the trap says.
                    bytes if bytes + OOM_MARGIN >= MEMORY_LIMIT => format!(
                        "{} ({})",
                        AbiError::OutOfMemory {
                            limit_mib: MEMORY_LIMIT >> 20
                        },
                        js_error_message(&e)
                    ),
                    _ => format!("trapped: {}", js_error_message(&e)),
                },
            },
        };
        let live = matches!(outcome, SliceOutcome::Yielded | SliceOutcome::Waiting);
        SliceReport {
            task: s.id,
            outcome,
            elapsed_ms: returned - started,
            yield_checks: s.yield_checks.get(),
            yield_latency_ms,
            read: s.read.get(),
            console: s.console.borrow_mut().take(),
            local: std::mem::take(&mut *s.local.borrow_mut()),
            to_host: std::mem::take(&mut *s.to_host.borrow_mut()),
            snapshot: (snapshot && live).then(|| self.snapshot()),
        }
    }

    fn memory_bytes(&self) -> u64 {
        self.state.view().length().into()
    }

    /// The task's state now (between slices).
    pub fn snapshot(&self) -> Snapshot {
        let s = &self.state;
        let memory = s
            .memory
            .borrow()
            .as_ref()
            .map(|m| Uint8Array::new(&m.buffer()).to_vec())
            .unwrap_or_default();
        let globals = self
            .globals
            .iter()
            .filter_map(|(name, global)| {
                let value = Reflect::get(global, &"value".into()).ok()?;
                let value = match value.as_f64() {
                    Some(n) => Global::Number(n),
                    None => Global::BigInt(
                        i64::try_from(value.dyn_into::<js_sys::BigInt>().ok()?).ok()?,
                    ),
                };
                Some((name.clone(), value))
            })
            .collect();
        let office = s.office.borrow();
        Snapshot {
            memory,
            globals,
            inbox: office
                .boxes
                .queued(s.id)
                .map(|e| serde_bytes::ByteBuf::from(e.clone()))
                .collect(),
            counts: office.counts.get(&s.id).copied().unwrap_or_default(),
        }
    }

    /// Overwrites the fresh instance with a snapshot, then queues what arrived after it.
    fn restore(&self, restore: Restore) -> Result<(), AbiError> {
        let s = &self.state;
        let Restore {
            snapshot,
            replay,
            suppress,
            counts,
        } = restore;
        if let Some(snapshot) = &snapshot {
            self.restore_state(snapshot)?;
        }
        let mut office = s.office.borrow_mut();
        for envelope in snapshot.into_iter().flat_map(|snap| snap.inbox) {
            office.boxes.requeue(s.id, envelope.into_vec());
        }
        for d in replay {
            office.boxes.requeue(
                s.id,
                Inbound {
                    from: d.from,
                    body: d.body,
                }
                .encode(),
            );
        }
        office.counts.insert(s.id, counts);
        s.suppress.set(suppress);
        Ok(())
    }

    /// Memory and globals from a snapshot.
    fn restore_state(&self, snapshot: &Snapshot) -> Result<(), AbiError> {
        let s = &self.state;
        let bad = |what: String| AbiError::Malformed(format!("cannot restore snapshot: {what}"));
        let memory = s.memory.borrow();
        let memory = memory.as_ref().ok_or_else(|| bad("no memory".into()))?;
        let have = Uint8Array::new(&memory.buffer()).length();
        let want = u32::try_from(snapshot.memory.len()).map_err(|_| bad("too large".into()))?;
        if want > have {
            // `Memory.grow` throws when it cannot grow; call it so the throw is an error here.
            let grow: Function = Reflect::get(memory, &"grow".into())
                .ok()
                .and_then(|f| f.dyn_into().ok())
                .ok_or_else(|| bad("no Memory.grow".into()))?;
            grow.call1(memory, &((want - have).div_ceil(PAGE)).into())
                .map_err(|_| bad(format!("cannot grow memory to {want} bytes")))?;
        }
        Uint8Array::new(&memory.buffer()).copy_from(&snapshot.memory);
        for (name, value) in &snapshot.globals {
            let global = self
                .globals
                .get(name)
                .ok_or_else(|| bad(format!("no mutable global {name}")))?;
            let value: JsValue = match value {
                Global::Number(n) => (*n).into(),
                Global::BigInt(n) => js_sys::BigInt::from(*n).into(),
            };
            Reflect::set(global, &"value".into(), &value)
                .map_err(|e| bad(format!("global {name}: {}", js_error_message(&e))))?;
        }
        Ok(())
    }

    pub fn id(&self) -> TaskId {
        self.state.id
    }

    /// Why the task failed while serving a call, once (the core reports and drops it).
    pub fn take_call_failure(&self) -> Option<String> {
        self.state.failed.borrow_mut().take()
    }

    /// Runs this task's call handler for task `from`: the host writes the request where
    /// `coreplay_alloc` says, calls `coreplay_call`, and copies the response out.
    fn handle_call(&self, from: TaskId, request: &[u8]) -> Result<Vec<u8>, CallError> {
        let s = &self.state;
        if s.running.get() {
            return Err(CallError::Busy);
        }
        if s.failed.borrow().is_some() {
            return Err(CallError::NoTask);
        }
        let (alloc, call) = self.serves.as_ref().ok_or(CallError::NotServed)?;
        s.running.set(true);
        // If the handler never returns, the main thread reads who to blame from here.
        let outer = s.signal.serve(s.id);
        let result = (|| -> Result<Option<Vec<u8>>, String> {
            let len = request.len() as u32;
            let ptr = alloc
                .call1(&JsValue::UNDEFINED, &len.into())
                .map_err(|e| js_error_message(&e))?
                .as_f64()
                .ok_or("coreplay_alloc returned no pointer")? as u32;
            s.write("coreplay_alloc", ptr, request)
                .map_err(|e| e.to_string())?;
            let answer = call
                .call3(&JsValue::UNDEFINED, &from.into(), &ptr.into(), &len.into())
                .map_err(|e| js_error_message(&e))?;
            let answer = answer
                .dyn_into::<js_sys::BigInt>()
                .ok()
                .and_then(|b| i64::try_from(b).ok())
                .ok_or("coreplay_call returned no i64")?;
            let Some((ptr, len)) = abi::split_call_result(answer) else {
                return Ok(None);
            };
            s.read("coreplay_call", ptr, len, abi::MAX_MESSAGE_BYTES)
                .map(Some)
                .map_err(|e| e.to_string())
        })();
        s.signal.serve(outer);
        s.running.set(false);
        let exit = s.exit.borrow_mut().take();
        match (result, exit) {
            (_, Some((status, reason))) => {
                *s.failed.borrow_mut() = Some(format!(
                    "exited with status {status} in a call from task {from}: {reason}"
                ));
                Err(CallError::Failed)
            }
            (Ok(Some(response)), None) => Ok(response),
            (Ok(None), None) => Err(CallError::NotServed),
            (Err(reason), None) => {
                *s.failed.borrow_mut() =
                    Some(format!("trapped in a call from task {from}: {reason}"));
                Err(CallError::Failed)
            }
        }
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
            .print(String::from_utf8_lossy(&bytes).into_owned());
        Ok(())
    });
    let s = state.clone();
    let should_yield = Closure::new(move || -> i32 {
        s.yield_checks.set(s.yield_checks.get() + 1);
        let raised = s.signal.raised();
        if raised && s.seen_at.get().is_none() {
            s.seen_at.set(Some(now_ms()));
        }
        i32::from(raised)
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
        let mut office = s.office.borrow_mut();
        let Some(next) = office.boxes.peek(s.id) else {
            return Ok(0);
        };
        let result = abi::next_message_result(next.len(), cap);
        if result > 0 {
            s.write("next_message", ptr, next).map_err(trap)?;
            office.boxes.pop(s.id);
            s.read.set(s.read.get() + 1);
        }
        Ok(result)
    });
    let s = state.clone();
    let send_message = Closure::new(move |ptr: u32, len: u32| -> Result<(), JsValue> {
        let bytes = s
            .read("send_message", ptr, len, abi::MAX_MESSAGE_BYTES)
            .map_err(trap)?;
        let out = abi::decode_outbound(&bytes).map_err(trap)?;
        s.send(out.to, out.body).map_err(trap)
    });
    let s = state.clone();
    let call_task = Closure::new(
        move |target_ptr: u32,
              call_ptr: u32,
              call_len: u32,
              result_ptr: u32,
              result_cap: u32|
              -> Result<i32, JsValue> {
            let target = s.read("call_task", target_ptr, 4, 4).map_err(trap)?;
            let target = u32::from_le_bytes([target[0], target[1], target[2], target[3]]);
            let request = s
                .read("call_task", call_ptr, call_len, abi::MAX_MESSAGE_BYTES)
                .map_err(trap)?;
            // A bad result buffer traps the caller before the callee runs.
            abi::checked_range("call_task", result_ptr, result_cap, s.view().length())
                .map_err(trap)?;
            let callee = s
                .registry
                .upgrade()
                .and_then(|r| r.borrow().get(&target).cloned());
            let response = match callee {
                Some(callee) => callee.handle_call(s.id, &request),
                None => Err(CallError::NoTask),
            };
            match response {
                Ok(bytes) if bytes.len() as u32 <= result_cap => {
                    s.write("call_task", result_ptr, &bytes).map_err(trap)?;
                    Ok(bytes.len() as i32)
                }
                Ok(_) => Ok(CallError::TooLarge.code()),
                Err(err) => Ok(err.code()),
            }
        },
    );
    (
        print,
        should_yield,
        task_exit,
        next_message,
        send_message,
        call_task,
    )
}

impl HostState {
    /// Delivers at once on this core, to the host's list, or out to the main thread.
    fn send(&self, to: TaskId, body: Vec<u8>) -> Result<(), AbiError> {
        let mut office = self.office.borrow_mut();
        let from = self.id;
        if self.suppress.get() > 0 {
            self.suppress.set(self.suppress.get() - 1);
        } else if to == abi::HOST_TASK {
            let mut to_host = self.to_host.borrow_mut();
            if to_host.len() >= abi::MAX_INBOX {
                return Err(AbiError::InboxFull(to));
            }
            to_host.push(Delivery { from, to, body });
        } else if office.boxes.has(to) {
            office.boxes.deliver(from, to, body.clone())?;
            office.counts.entry(to).or_default().local_in += 1;
            self.local.borrow_mut().push(Delivery { from, to, body });
        } else {
            // The receiver's inbox is on another core; more than its capacity in one slice
            // is a flood whatever the receiver does meanwhile.
            let mut sent = self.remote_sent.borrow_mut();
            let n = sent.entry(to).or_default();
            if *n >= abi::MAX_INBOX {
                return Err(AbiError::InboxFull(to));
            }
            *n += 1;
            (office.route)(Routed {
                from,
                to,
                body,
                sent_at: now_ms() + time_origin(),
            });
        }
        office.counts.entry(from).or_default().sent += 1;
        Ok(())
    }

    /// A view of the task's memory. Kept between calls: each call into JS costs microseconds
    /// on the cold path right after a long slice, and the first one after a yield is on the
    /// clock of the yield latency. Growing the memory detaches the old buffer, which leaves
    /// the view empty, so an empty view is made anew.
    fn view(&self) -> Ref<'_, Uint8Array> {
        let fresh = self.view.borrow().as_ref().is_none_or(|v| v.length() == 0);
        if fresh {
            *self.view.borrow_mut() = Some(self.memory.borrow().as_ref().map_or_else(
                || Uint8Array::new_with_length(0),
                |m| Uint8Array::new(&m.buffer()),
            ));
        }
        Ref::map(self.view.borrow(), |v| v.as_ref().expect("set above"))
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

thread_local! {
    /// Compiled modules by content: a second miner on this core reuses the first one's code,
    /// already tiered up by V8, instead of starting again in the baseline compiler.
    static MODULES: RefCell<HashMap<u64, WebAssembly::Module>> = RefCell::new(HashMap::new());
}

fn compile(bytes: &[u8]) -> Result<WebAssembly::Module, AbiError> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let key = hasher.finish();
    if let Some(module) = MODULES.with(|m| m.borrow().get(&key).cloned()) {
        return Ok(module);
    }
    let module = WebAssembly::Module::new(&Uint8Array::from(bytes).into())
        .map_err(|e| AbiError::Malformed(js_error_message(&e)))?;
    MODULES.with(|m| m.borrow_mut().insert(key, module.clone()));
    Ok(module)
}

/// Turns an ABI violation into an exception that traps the calling task (and only it).
fn trap(err: AbiError) -> JsValue {
    js_sys::Error::new(&err.to_string()).into()
}

fn set(target: &Object, key: &str, value: &JsValue) {
    // Setting a plain data property on a fresh object cannot fail.
    let _ = Reflect::set(target, &key.into(), value);
}

fn string_field(object: &JsValue, key: &str) -> String {
    Reflect::get(object, &key.into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
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

/// Milliseconds since this worker (or page) started.
pub fn now_ms() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or_else(js_sys::Date::now, |p| p.now()))
}

/// Add to [`now_ms`] for ms since the Unix epoch, comparable across workers.
pub fn time_origin() -> f64 {
    PERFORMANCE.with(|p| p.as_ref().map_or(0.0, |p| p.time_origin()))
}
