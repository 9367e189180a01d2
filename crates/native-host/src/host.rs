//! The wasmi host: instantiation with ABI checks, the `env` imports, slices, round robin.

use std::{
    cell::RefCell,
    collections::{BTreeMap, BTreeSet},
    fmt,
    rc::{Rc, Weak},
};

use coreplay_abi::{self as abi, AbiError, CallError, Inbound, Mailboxes, TaskId};
use parity_scale_codec::DecodeAll;
use wasmi::{
    Caller, Config, Engine, Extern, ExternType, Linker, Memory, Module, ResourceLimiter, Store,
    StoreLimits, StoreLimitsBuilder, TypedFunc, ValType,
};

use wasmi_core::LimiterError;

/// How the native host runs slices.
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// `should_yield` returns 1 from this check on, within each slice. Counting checks instead
    /// of time makes native runs deterministic.
    pub yield_after_checks: u64,
    /// Fuel (≈ instructions) per slice. A task that burns it all without returning ignored the
    /// flag and is preempted by force.
    pub fuel_per_slice: u64,
    /// Largest linear memory a task may grow to, in bytes.
    pub memory_limit: usize,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            yield_after_checks: 1_000,
            fuel_per_slice: 200_000_000,
            memory_limit: 64 << 20,
        }
    }
}

/// Where a task stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaskStatus {
    Ready,
    /// Blocked in `recv`; runnable again once a message is waiting.
    Waiting,
    Done,
    Failed(String),
    /// Ran past its slice without yielding and was stopped by force.
    Preempted(String),
}

/// How one slice ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SliceOutcome {
    Yielded,
    Waiting,
    Done,
    Failed(String),
    Preempted(String),
}

/// What one slice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SliceReport {
    pub task: TaskId,
    pub outcome: SliceOutcome,
    /// `should_yield` calls during the slice.
    pub yield_checks: u64,
    /// Fuel the slice consumed.
    pub fuel_used: u64,
    pub console: Vec<String>,
    /// Linear memory size after the slice.
    pub memory_bytes: usize,
}

/// Per-instance host state, reached by the imports through `Caller`.
struct TaskState {
    id: TaskId,
    mailboxes: Rc<RefCell<Mailboxes>>,
    /// The other tasks, for `call_task`.
    tasks: Weak<Tasks>,
    fuel_per_slice: u64,
    yield_after: u64,
    checks: u64,
    console: abi::SliceConsole,
    exit: Option<(i32, String)>,
    limits: MemoryCap,
}

/// wasmi's limits, plus a record of a refused growth so the failure can say why.
struct MemoryCap {
    limits: StoreLimits,
    limit: usize,
    refused: Option<usize>,
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        let allowed = self.limits.memory_growing(current, desired, maximum);
        if !matches!(allowed, Ok(true)) {
            self.refused = Some(desired);
        }
        allowed
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}

/// Errors the imports raise to unwind out of the task.
#[derive(Debug)]
enum Unwind {
    Abi(AbiError),
    Exit,
}

impl fmt::Display for Unwind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Abi(err) => err.fmt(f),
            Self::Exit => f.write_str("task exited"),
        }
    }
}

impl wasmi::errors::HostError for Unwind {}

fn unwind(err: AbiError) -> wasmi::Error {
    wasmi::Error::host(Unwind::Abi(err))
}

struct Task {
    name: String,
    store: Store<TaskState>,
    memory: Memory,
    service: TypedFunc<(), i32>,
    serves: Option<CallExports>,
    status: TaskStatus,
}

/// `coreplay_alloc` and `coreplay_call` of a task that serves calls.
type CallExports = (TypedFunc<u32, u32>, TypedFunc<(u32, u32, u32), i64>);

/// Every task, and which are running now (in a slice or a call): a running task is taken out
/// of `all`, so it cannot be re-entered.
#[derive(Default)]
struct Tasks {
    all: RefCell<BTreeMap<TaskId, Task>>,
    running: RefCell<BTreeSet<TaskId>>,
}

impl Tasks {
    fn take(&self, id: TaskId) -> Option<Task> {
        let task = self.all.borrow_mut().remove(&id)?;
        self.running.borrow_mut().insert(id);
        Some(task)
    }

    fn put_back(&self, id: TaskId, task: Task) {
        self.running.borrow_mut().remove(&id);
        self.all.borrow_mut().insert(id, task);
    }
}

/// Runs many tasks on one thread, round robin, under task ABI v1.
pub struct NativeHost {
    engine: Engine,
    linker: Linker<TaskState>,
    config: HostConfig,
    tasks: Rc<Tasks>,
    next_id: TaskId,
    mailboxes: Rc<RefCell<Mailboxes>>,
}

impl fmt::Debug for NativeHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeHost")
            .field("config", &self.config)
            .field("tasks", &self.tasks.all.borrow().len())
            .finish()
    }
}

impl NativeHost {
    pub fn new(config: HostConfig) -> Self {
        let mut engine_config = Config::default();
        engine_config.consume_fuel(true);
        let engine = Engine::new(&engine_config);
        let linker = make_linker(&engine);
        let mailboxes = Rc::new(RefCell::new(Mailboxes::default()));
        mailboxes.borrow_mut().open(abi::HOST_TASK);
        Self {
            engine,
            linker,
            config,
            tasks: Rc::default(),
            next_id: 1,
            mailboxes,
        }
    }

    /// Checks `wasm` against the ABI and instantiates it as a new task.
    pub fn spawn(&mut self, name: &str, wasm: &[u8]) -> Result<TaskId, AbiError> {
        let module =
            Module::new(&self.engine, wasm).map_err(|e| AbiError::Malformed(e.to_string()))?;
        check_module(&module)?;
        let id = self.next_id;
        let state = TaskState {
            id,
            mailboxes: self.mailboxes.clone(),
            tasks: Rc::downgrade(&self.tasks),
            fuel_per_slice: self.config.fuel_per_slice,
            yield_after: self.config.yield_after_checks,
            checks: 0,
            console: abi::SliceConsole::default(),
            exit: None,
            limits: MemoryCap {
                limits: StoreLimitsBuilder::new()
                    .memory_size(self.config.memory_limit)
                    .trap_on_grow_failure(true)
                    .build(),
                limit: self.config.memory_limit,
                refused: None,
            },
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store
            .set_fuel(self.config.fuel_per_slice)
            .map_err(|e| AbiError::Malformed(e.to_string()))?;
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &module)
            .map_err(|e| AbiError::Malformed(e.to_string()))?;
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or(AbiError::MissingExport("memory"))?;
        let version = instance
            .get_typed_func::<(), i32>(&store, "coreplay_abi_version")
            .map_err(|_| AbiError::MissingExport("coreplay_abi_version"))?
            .call(&mut store, ())
            .map_err(|e| AbiError::Malformed(format!("coreplay_abi_version trapped: {e}")))?;
        abi::check_version(i64::from(version))?;
        let service = instance
            .get_typed_func::<(), i32>(&store, "service")
            .map_err(|_| AbiError::MissingExport("service"))?;
        let serves = instance
            .get_typed_func::<u32, u32>(&store, abi::ALLOC_EXPORT)
            .ok()
            .zip(
                instance
                    .get_typed_func::<(u32, u32, u32), i64>(&store, abi::CALL_EXPORT)
                    .ok(),
            );
        self.next_id += 1;
        self.mailboxes.borrow_mut().open(id);
        self.tasks.all.borrow_mut().insert(
            id,
            Task {
                name: name.into(),
                store,
                memory,
                service,
                serves,
                status: TaskStatus::Ready,
            },
        );
        Ok(id)
    }

    /// Sends a message from the host (task 0) to `to`.
    pub fn send(&mut self, to: TaskId, body: Vec<u8>) -> Result<(), AbiError> {
        self.mailboxes
            .borrow_mut()
            .deliver(abi::HOST_TASK, to, body)
    }

    /// Takes the messages tasks sent to the host.
    pub fn take_host_messages(&mut self) -> Vec<Inbound> {
        let mut out = Vec::new();
        let mut boxes = self.mailboxes.borrow_mut();
        while let Some(bytes) = boxes.pop(abi::HOST_TASK) {
            out.push(
                Inbound::decode_all(&mut &bytes[..]).expect("the host encodes its own envelopes"),
            );
        }
        out
    }

    pub fn status(&self, id: TaskId) -> Option<TaskStatus> {
        self.tasks.all.borrow().get(&id).map(|t| t.status.clone())
    }

    pub fn name(&self, id: TaskId) -> Option<String> {
        self.tasks.all.borrow().get(&id).map(|t| t.name.clone())
    }

    /// The task's linear memory (between slices: its whole state).
    pub fn memory(&self, id: TaskId) -> Option<Vec<u8>> {
        self.tasks
            .all
            .borrow()
            .get(&id)
            .map(|t| t.memory.data(&t.store).to_vec())
    }

    /// Whether `id` would do something if given a slice now.
    pub fn runnable(&self, id: TaskId) -> bool {
        match self.status(id) {
            Some(TaskStatus::Ready) => true,
            Some(TaskStatus::Waiting) => self.mailboxes.borrow().pending(id) > 0,
            _ => false,
        }
    }

    /// Runs one slice of `id`. `None` if the task does not exist or is not runnable.
    pub fn run_slice(&mut self, id: TaskId) -> Option<SliceReport> {
        if !self.runnable(id) {
            return None;
        }
        let fuel = self.config.fuel_per_slice;
        let mut task = self.tasks.take(id)?;
        let report = self.slice(id, &mut task, fuel);
        self.tasks.put_back(id, task);
        report
    }

    fn slice(&mut self, id: TaskId, task: &mut Task, fuel: u64) -> Option<SliceReport> {
        task.store.data_mut().checks = 0;
        task.store.set_fuel(fuel).ok()?;
        let result = task.service.call(&mut task.store, ());
        let fuel_used = fuel - task.store.get_fuel().unwrap_or(0);
        let state = task.store.data_mut();
        let outcome = match (result, state.exit.take()) {
            (_, Some((abi::EXIT_OK, _))) => SliceOutcome::Done,
            (_, Some((status, reason))) => {
                SliceOutcome::Failed(format!("exited with status {status}: {reason}"))
            }
            (Ok(abi::SERVICE_YIELDED), None) => SliceOutcome::Yielded,
            (Ok(abi::SERVICE_WAITING), None) => SliceOutcome::Waiting,
            (Ok(abi::SERVICE_DONE), None) => SliceOutcome::Done,
            (Ok(other), None) => {
                SliceOutcome::Failed(format!("service returned {other}, expected 0, 1 or 2"))
            }
            (Err(err), None) if err.as_trap_code() == Some(wasmi::TrapCode::OutOfFuel) => {
                SliceOutcome::Preempted(format!(
                    "ignored the yield flag: still running after {fuel} fuel ({} yield checks)",
                    state.checks
                ))
            }
            (Err(_), None) if state.limits.refused.is_some() => SliceOutcome::Failed(format!(
                "out of memory: tried to grow to {} MiB, the limit is {} MiB",
                state.limits.refused.unwrap_or_default() >> 20,
                state.limits.limit >> 20
            )),
            (Err(err), None) => SliceOutcome::Failed(format!("trapped: {err}")),
        };
        task.status = match &outcome {
            SliceOutcome::Yielded => TaskStatus::Ready,
            SliceOutcome::Waiting => TaskStatus::Waiting,
            SliceOutcome::Done => TaskStatus::Done,
            SliceOutcome::Failed(r) => TaskStatus::Failed(r.clone()),
            SliceOutcome::Preempted(r) => TaskStatus::Preempted(r.clone()),
        };
        let report = SliceReport {
            task: id,
            yield_checks: task.store.data().checks,
            fuel_used,
            console: task.store.data_mut().console.take(),
            memory_bytes: task.memory.data_size(&task.store),
            outcome,
        };
        if !matches!(task.status, TaskStatus::Ready | TaskStatus::Waiting) {
            self.mailboxes.borrow_mut().close(id);
        }
        Some(report)
    }

    /// Round robin over runnable tasks until none is runnable or `max_slices` ran. Returns every
    /// slice's report in order.
    pub fn run_until_idle(&mut self, max_slices: usize) -> Vec<SliceReport> {
        let mut reports = Vec::new();
        while reports.len() < max_slices {
            let ids: Vec<TaskId> = self
                .tasks
                .all
                .borrow()
                .keys()
                .copied()
                .filter(|&id| self.runnable(id))
                .collect();
            if ids.is_empty() {
                break;
            }
            for id in ids {
                if reports.len() >= max_slices {
                    break;
                }
                reports.extend(self.run_slice(id));
            }
        }
        reports
    }
}

/// Refuses modules that do not match task ABI v1 before anything of them runs.
fn check_module(module: &Module) -> Result<(), AbiError> {
    for import in module.imports() {
        let kind = match import.ty() {
            ExternType::Func(_) => "function",
            ExternType::Memory(_) => "memory",
            ExternType::Table(_) => "table",
            ExternType::Global(_) => "global",
        };
        abi::check_import(import.module(), import.name(), kind)?;
        if let ExternType::Func(ty) = import.ty() {
            let (params, results) = abi::host_function_type(import.name()).expect("checked above");
            let same = |ours: &[abi::ValType], theirs: &[ValType]| {
                ours.len() == theirs.len() && theirs.iter().all(|t| *t == ValType::I32)
            };
            if !same(params, ty.params()) || !same(results, ty.results()) {
                return Err(AbiError::ImportType {
                    name: import.name().into(),
                    found: format!("{:?} -> {:?}", ty.params(), ty.results()),
                    expected: abi::host_function_signature(import.name()).unwrap_or("?"),
                });
            }
        }
    }
    abi::check_exports(module.exports().map(|e| e.name()))
}

fn memory_of(caller: &Caller<'_, TaskState>) -> Result<Memory, wasmi::Error> {
    caller
        .get_export("memory")
        .and_then(Extern::into_memory)
        .ok_or_else(|| unwind(AbiError::MissingExport("memory")))
}

fn read(
    caller: &Caller<'_, TaskState>,
    call: &'static str,
    ptr: u32,
    len: u32,
    limit: u32,
) -> Result<Vec<u8>, wasmi::Error> {
    abi::check_len(call, len, limit).map_err(unwind)?;
    let memory = memory_of(caller)?;
    let data = memory.data(caller);
    let range = abi::checked_range(call, ptr, len, data.len() as u32).map_err(unwind)?;
    Ok(data[range].to_vec())
}

fn make_linker(engine: &Engine) -> Linker<TaskState> {
    let mut linker = Linker::new(engine);
    let defined = (|| -> Result<(), wasmi::errors::LinkerError> {
        linker.func_wrap(
            "env",
            "print",
            |mut caller: Caller<'_, TaskState>, ptr: u32, len: u32| {
                let bytes = read(&caller, "print", ptr, len, abi::MAX_PRINT_BYTES)?;
                caller
                    .data_mut()
                    .console
                    .print(String::from_utf8_lossy(&bytes).into_owned());
                Ok(())
            },
        )?;
        linker.func_wrap(
            "env",
            "should_yield",
            |mut caller: Caller<'_, TaskState>| -> i32 {
                let state = caller.data_mut();
                state.checks += 1;
                i32::from(state.checks >= state.yield_after)
            },
        )?;
        linker.func_wrap(
            "env",
            "task_exit",
            |mut caller: Caller<'_, TaskState>,
             status: i32,
             ptr: u32,
             len: u32|
             -> Result<(), wasmi::Error> {
                let reason = read(&caller, "task_exit", ptr, len, abi::MAX_PRINT_BYTES)?;
                caller.data_mut().exit =
                    Some((status, String::from_utf8_lossy(&reason).into_owned()));
                Err(wasmi::Error::host(Unwind::Exit))
            },
        )?;
        linker.func_wrap(
            "env",
            "next_message",
            |caller: Caller<'_, TaskState>, ptr: u32, cap: u32| -> Result<i32, wasmi::Error> {
                let id = caller.data().id;
                let mailboxes = caller.data().mailboxes.clone();
                let mut boxes = mailboxes.borrow_mut();
                let Some(next) = boxes.peek(id) else {
                    return Ok(0);
                };
                let result = abi::next_message_result(next.len(), cap);
                if result < 0 {
                    return Ok(result);
                }
                let memory = memory_of(&caller)?;
                let range = abi::checked_range(
                    "next_message",
                    ptr,
                    next.len() as u32,
                    memory.data_size(&caller) as u32,
                )
                .map_err(unwind)?;
                let bytes = boxes.pop(id).expect("peeked above");
                let mut caller = caller;
                memory.data_mut(&mut caller)[range].copy_from_slice(&bytes);
                Ok(result)
            },
        )?;
        linker.func_wrap(
            "env",
            "send_message",
            |caller: Caller<'_, TaskState>, ptr: u32, len: u32| -> Result<(), wasmi::Error> {
                let bytes = read(&caller, "send_message", ptr, len, abi::MAX_MESSAGE_BYTES)?;
                let out = abi::decode_outbound(&bytes).map_err(unwind)?;
                let state = caller.data();
                state
                    .mailboxes
                    .borrow_mut()
                    .deliver(state.id, out.to, out.body)
                    .map_err(unwind)
            },
        )?;
        linker.func_wrap(
            "env",
            "call_task",
            |caller: Caller<'_, TaskState>,
             target_ptr: u32,
             call_ptr: u32,
             call_len: u32,
             result_ptr: u32,
             result_cap: u32|
             -> Result<i32, wasmi::Error> {
                let target = read(&caller, "call_task", target_ptr, 4, 4)?;
                let target = u32::from_le_bytes([target[0], target[1], target[2], target[3]]);
                let request = read(
                    &caller,
                    "call_task",
                    call_ptr,
                    call_len,
                    abi::MAX_MESSAGE_BYTES,
                )?;
                let memory = memory_of(&caller)?;
                // A bad result buffer traps the caller before the callee runs.
                let out = abi::checked_range(
                    "call_task",
                    result_ptr,
                    result_cap,
                    memory.data_size(&caller) as u32,
                )
                .map_err(unwind)?;
                let from = caller.data().id;
                let response = match caller.data().tasks.upgrade() {
                    Some(tasks) => {
                        call_into(&tasks, from, target, &request, caller.data().fuel_per_slice)
                    }
                    None => Err(CallError::NoTask),
                };
                let response = match response {
                    Ok(r) if r.len() as u32 > result_cap => Err(CallError::TooLarge),
                    other => other,
                };
                match response {
                    Ok(bytes) => {
                        let mut caller = caller;
                        memory.data_mut(&mut caller)[out.start..out.start + bytes.len()]
                            .copy_from_slice(&bytes);
                        Ok(bytes.len() as i32)
                    }
                    Err(err) => Ok(err.code()),
                }
            },
        )?;
        Ok(())
    })();
    defined.expect("each host function is defined once");
    linker
}

/// Runs task `target`'s call handler with `request` from task `from`.
fn call_into(
    tasks: &Tasks,
    from: TaskId,
    target: TaskId,
    request: &[u8],
    fuel: u64,
) -> Result<Vec<u8>, CallError> {
    if tasks.running.borrow().contains(&target) {
        return Err(CallError::Busy);
    }
    let mut callee = tasks.take(target).ok_or(CallError::NoTask)?;
    let result = call_handler(&mut callee, from, request, fuel);
    if let Err(CallError::Failed) = result {
        let out_of_fuel = callee.store.get_fuel().is_ok_and(|f| f == 0);
        let reason = callee.store.data_mut().exit.take().map_or_else(
            || {
                if out_of_fuel {
                    format!(
                        "its call handler, serving task {from}, never returned: still running after {fuel} fuel"
                    )
                } else {
                    format!("trapped in a call from task {from}")
                }
            },
            |(status, reason)| {
                format!("exited with status {status} in a call from task {from}: {reason}")
            },
        );
        callee.status = TaskStatus::Failed(reason);
        callee.store.data().mailboxes.borrow_mut().close(target);
    }
    tasks.put_back(target, callee);
    result
}

fn call_handler(
    callee: &mut Task,
    from: TaskId,
    request: &[u8],
    fuel: u64,
) -> Result<Vec<u8>, CallError> {
    if !matches!(callee.status, TaskStatus::Ready | TaskStatus::Waiting) {
        return Err(CallError::NoTask);
    }
    let (alloc, call) = callee.serves.ok_or(CallError::NotServed)?;
    callee.store.set_fuel(fuel).map_err(|_| CallError::Failed)?;
    let ptr = alloc
        .call(&mut callee.store, request.len() as u32)
        .map_err(|_| CallError::Failed)?;
    let range = abi::checked_range(
        "coreplay_alloc",
        ptr,
        request.len() as u32,
        callee.memory.data_size(&callee.store) as u32,
    )
    .map_err(|_| CallError::Failed)?;
    callee.memory.data_mut(&mut callee.store)[range].copy_from_slice(request);
    let result = call
        .call(&mut callee.store, (from, ptr, request.len() as u32))
        .map_err(|_| CallError::Failed)?;
    if callee.store.data().exit.is_some() {
        return Err(CallError::Failed);
    }
    let (ptr, len) = abi::split_call_result(result).ok_or(CallError::NotServed)?;
    let data = callee.memory.data(&callee.store);
    let range = abi::checked_range("coreplay_call", ptr, len, data.len() as u32)
        .map_err(|_| CallError::Failed)?;
    Ok(data[range].to_vec())
}
