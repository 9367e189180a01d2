//! Coreplay task ABI v1, as code: what a task module must export, what it may import, the limits
//! and bounds checks every host applies, and the SCALE envelopes of messages. The SDK (in the
//! task), the browser host (in a Web Worker) and the native host (in `cargo test`) all use this
//! one definition, so they cannot drift apart. `worker-tasks/ABI.md` is the prose version.

mod console;
mod mailbox;

use std::ops::Range;

pub use console::{MAX_CONSOLE_BYTES_PER_SLICE, SliceConsole};
pub use mailbox::Mailboxes;

use parity_scale_codec::{Decode, DecodeAll, Encode};

/// The ABI version tasks export from `coreplay_abi_version` and hosts accept.
pub const ABI_VERSION: u32 = 1;

/// Import module of every host function.
pub const IMPORT_MODULE: &str = "env";

/// Exports every task must have.
pub const REQUIRED_EXPORTS: [&str; 3] = ["memory", "service", "coreplay_abi_version"];

/// Host functions a task may import.
pub const HOST_FUNCTIONS: [&str; 6] = [
    "print",
    "should_yield",
    "task_exit",
    "next_message",
    "send_message",
    "call_task",
];

/// Optional exports of a task that serves synchronous calls (`call_task`): the host asks
/// `coreplay_alloc(len) -> ptr` for room for the request, then calls
/// `coreplay_call(from, ptr, len) -> i64`, which returns `ptr << 32 | len` of the response in
/// the callee's memory, or a negative value if the task serves no calls.
pub const ALLOC_EXPORT: &str = "coreplay_alloc";
pub const CALL_EXPORT: &str = "coreplay_call";

/// `service` result: the task yielded and wants the next slice.
pub const SERVICE_YIELDED: i32 = 0;
/// `service` result: the task finished; the host must not call `service` again.
pub const SERVICE_DONE: i32 = 1;
/// `service` result: the task waits for a message; schedule it again once one arrives.
pub const SERVICE_WAITING: i32 = 2;

/// `task_exit` status of a task that finished normally; any other status is a failure.
pub const EXIT_OK: i32 = 0;
/// `task_exit` status the SDK uses for panics and errors.
pub const EXIT_FAILED: i32 = 1;

/// Longest console line a task may print at once.
pub const MAX_PRINT_BYTES: u32 = 64 * 1024;
/// Largest encoded message (envelope included) a task may send or receive. The UI shows it.
pub const MAX_MESSAGE_BYTES: u32 = 64 * 1024;
/// Messages a task may have waiting in its inbox; a sender past this fails (flood control).
pub const MAX_INBOX: usize = 1024;

/// Identifies a task on the whole playground.
pub type TaskId = u32;

/// The host's own id: it sends tasks their work and receives their reports.
pub const HOST_TASK: TaskId = 0;

/// What a task passes to `send_message`: where to, and the SCALE-encoded body.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Outbound {
    pub to: TaskId,
    pub body: Vec<u8>,
}

/// What `next_message` hands a task: who from, and the body as sent.
#[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
pub struct Inbound {
    pub from: TaskId,
    pub body: Vec<u8>,
}

/// Why a host refuses a module or fails a task. The text is shown to users as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    #[error("not a valid WebAssembly module: {0}")]
    Malformed(String),
    #[error("imports `{module}.{name}`, which task ABI v{ABI_VERSION} does not provide")]
    UnknownImport { module: String, name: String },
    #[error("imports `{module}.{name}` as a {kind}; only functions can be imported")]
    ImportKind {
        module: String,
        name: String,
        kind: String,
    },
    #[error("imports `{name}` with type {found}; task ABI v{ABI_VERSION} defines it as {expected}")]
    ImportType {
        name: String,
        found: String,
        expected: &'static str,
    },
    #[error(
        "does not export `{0}` (task ABI v{ABI_VERSION} needs `memory`, `service` and `coreplay_abi_version`)"
    )]
    MissingExport(&'static str),
    #[error("needs {needed_mib} MiB of memory at start; tasks may use at most {limit_mib} MiB")]
    MemoryTooLarge { needed_mib: u64, limit_mib: u64 },
    #[error("ran out of memory: tasks may use at most {limit_mib} MiB")]
    OutOfMemory { limit_mib: u64 },
    #[error("speaks task ABI v{0}; this host runs v{ABI_VERSION}")]
    Version(i64),
    #[error(
        "has a start function; a task's code may only run inside `service` and its calls, where the yield watchdog sees it"
    )]
    StartFunction,
    #[error("`coreplay_abi_version` must just return a constant (`i32.const` then `end`)")]
    VersionNotConstant,
    #[error("{call}: range {ptr}+{len} is outside linear memory ({memory} bytes)")]
    OutOfBounds {
        call: &'static str,
        ptr: u32,
        len: u32,
        memory: u32,
    },
    #[error("{call}: {len} bytes exceeds the limit of {limit}")]
    TooLong {
        call: &'static str,
        len: u32,
        limit: u32,
    },
    #[error("send_message: not a SCALE-encoded envelope: {0}")]
    BadEnvelope(String),
    #[error("send_message: no task {0}")]
    NoSuchTask(TaskId),
    #[error("send_message: task {0}'s inbox is full ({MAX_INBOX} messages)")]
    InboxFull(TaskId),
}

/// Signature of each host function, as `(params, results)` in wasm value types.
pub fn host_function_type(name: &str) -> Option<(&'static [ValType], &'static [ValType])> {
    use ValType::I32;
    Some(match name {
        "print" => (&[I32, I32], &[]),
        "should_yield" => (&[], &[I32]),
        "task_exit" => (&[I32, I32, I32], &[]),
        "next_message" => (&[I32, I32], &[I32]),
        "send_message" => (&[I32, I32], &[]),
        "call_task" => (&[I32, I32, I32, I32, I32], &[I32]),
        _ => return None,
    })
}

/// A host function's signature as text, for error messages.
pub fn host_function_signature(name: &str) -> Option<&'static str> {
    Some(match name {
        "print" | "send_message" => "(i32, i32) -> ()",
        "should_yield" => "() -> i32",
        "task_exit" => "(i32, i32, i32) -> ()",
        "next_message" => "(i32, i32) -> i32",
        "call_task" => "(i32, i32, i32, i32, i32) -> i32",
        _ => return None,
    })
}

/// The wasm value types the ABI uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    I32,
}

/// Checks that `ptr..ptr+len` lies inside a memory of `memory_len` bytes.
pub fn checked_range(
    call: &'static str,
    ptr: u32,
    len: u32,
    memory_len: u32,
) -> Result<Range<usize>, AbiError> {
    match ptr.checked_add(len) {
        Some(end) if end <= memory_len => Ok(ptr as usize..end as usize),
        _ => Err(AbiError::OutOfBounds {
            call,
            ptr,
            len,
            memory: memory_len,
        }),
    }
}

/// Checks a length against a call's limit.
pub fn check_len(call: &'static str, len: u32, limit: u32) -> Result<(), AbiError> {
    if len > limit {
        Err(AbiError::TooLong { call, len, limit })
    } else {
        Ok(())
    }
}

/// Validates one import of a task module (its module, name and kind).
pub fn check_import(module: &str, name: &str, kind: &str) -> Result<(), AbiError> {
    if module != IMPORT_MODULE || !HOST_FUNCTIONS.contains(&name) {
        return Err(AbiError::UnknownImport {
            module: module.into(),
            name: name.into(),
        });
    }
    if kind != "function" {
        return Err(AbiError::ImportKind {
            module: module.into(),
            name: name.into(),
            kind: kind.into(),
        });
    }
    Ok(())
}

/// Validates a module's export names (the version is checked by calling it).
pub fn check_exports<'a>(exports: impl IntoIterator<Item = &'a str>) -> Result<(), AbiError> {
    let names: Vec<&str> = exports.into_iter().collect();
    match REQUIRED_EXPORTS.into_iter().find(|r| !names.contains(r)) {
        Some(missing) => Err(AbiError::MissingExport(missing)),
        None => Ok(()),
    }
}

/// Validates the value `coreplay_abi_version` returned.
pub fn check_version(version: i64) -> Result<(), AbiError> {
    if version == i64::from(ABI_VERSION) {
        Ok(())
    } else {
        Err(AbiError::Version(version))
    }
}

/// Decodes a task's `send_message` bytes, refusing trailing garbage.
pub fn decode_outbound(bytes: &[u8]) -> Result<Outbound, AbiError> {
    Outbound::decode_all(&mut &bytes[..]).map_err(|e| AbiError::BadEnvelope(e.to_string()))
}

/// Why a synchronous call failed. `call_task` returns the response length (≥ 0) or one of
/// these codes; the caller is not failed by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("no such task on this core (calls reach only tasks on the caller's core)")]
    NoTask,
    #[error("the task is busy: it is the caller, or already in this call chain")]
    Busy,
    #[error("the task serves no calls")]
    NotServed,
    #[error("the task failed while handling the call")]
    Failed,
    #[error("the response does not fit the caller's buffer")]
    TooLarge,
}

impl CallError {
    pub const fn code(self) -> i32 {
        match self {
            Self::NoTask => -1,
            Self::Busy => -2,
            Self::NotServed => -3,
            Self::Failed => -4,
            Self::TooLarge => -5,
        }
    }

    /// The error a negative `call_task` result stands for.
    pub const fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            -1 => Self::NoTask,
            -2 => Self::Busy,
            -3 => Self::NotServed,
            -4 => Self::Failed,
            -5 => Self::TooLarge,
            _ => return None,
        })
    }
}

/// Splits `coreplay_call`'s result into the response's `(ptr, len)`; `None` for "not served".
pub fn split_call_result(result: i64) -> Option<(u32, u32)> {
    (result >= 0).then_some(((result >> 32) as u32, result as u32))
}

/// `next_message`'s return value for a message of `len` bytes and a buffer of `cap`: the length
/// when it fits, else minus the length needed (the message stays queued). 0 means no message;
/// envelopes are never empty, so 0 is unambiguous.
pub fn next_message_result(len: usize, cap: u32) -> i32 {
    let len = len as i32;
    if len as u32 <= cap { len } else { -len }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_codes_round_trip_and_results_split() {
        for e in [
            CallError::NoTask,
            CallError::Busy,
            CallError::NotServed,
            CallError::Failed,
            CallError::TooLarge,
        ] {
            assert_eq!(CallError::from_code(e.code()), Some(e));
        }
        assert_eq!(CallError::from_code(0), None);
        assert_eq!(split_call_result((7 << 32) | 5), Some((7, 5)));
        assert_eq!(split_call_result(-1), None);
    }

    #[test]
    fn ranges_inside_memory_pass() {
        assert_eq!(checked_range("print", 0, 10, 10), Ok(0..10));
        assert_eq!(checked_range("print", 10, 0, 10), Ok(10..10));
    }

    #[test]
    fn ranges_past_the_end_or_overflowing_fail() {
        assert!(matches!(
            checked_range("print", 5, 6, 10),
            Err(AbiError::OutOfBounds { .. })
        ));
        assert!(matches!(
            checked_range("print", 11, 0, 10),
            Err(AbiError::OutOfBounds { .. })
        ));
        let overflow = checked_range("print", u32::MAX, 2, u32::MAX);
        assert!(matches!(
            overflow,
            Err(AbiError::OutOfBounds {
                ptr: u32::MAX,
                len: 2,
                ..
            })
        ));
    }

    #[test]
    fn lengths_over_the_limit_fail() {
        assert!(check_len("print", MAX_PRINT_BYTES, MAX_PRINT_BYTES).is_ok());
        assert_eq!(
            check_len("print", MAX_PRINT_BYTES + 1, MAX_PRINT_BYTES),
            Err(AbiError::TooLong {
                call: "print",
                len: MAX_PRINT_BYTES + 1,
                limit: MAX_PRINT_BYTES
            })
        );
    }

    #[test]
    fn only_known_env_functions_may_be_imported() {
        for name in HOST_FUNCTIONS {
            assert!(check_import("env", name, "function").is_ok());
            assert!(host_function_type(name).is_some());
        }
        assert!(matches!(
            check_import("env", "fd_write", "function"),
            Err(AbiError::UnknownImport { .. })
        ));
        assert!(matches!(
            check_import("wasi", "print", "function"),
            Err(AbiError::UnknownImport { .. })
        ));
        assert!(matches!(
            check_import("env", "print", "memory"),
            Err(AbiError::ImportKind { .. })
        ));
    }

    #[test]
    fn required_exports_are_named_in_the_error() {
        assert!(check_exports(["memory", "service", "coreplay_abi_version"]).is_ok());
        assert_eq!(
            check_exports(["memory", "coreplay_abi_version"]),
            Err(AbiError::MissingExport("service"))
        );
    }

    #[test]
    fn versions_other_than_one_are_refused() {
        assert!(check_version(1).is_ok());
        assert_eq!(check_version(2), Err(AbiError::Version(2)));
    }

    #[test]
    fn envelopes_round_trip_and_garbage_is_refused() {
        let out = Outbound {
            to: 7,
            body: vec![1, 2, 3],
        };
        assert_eq!(decode_outbound(&out.encode()), Ok(out.clone()));
        let mut trailing = out.encode();
        trailing.push(0);
        assert!(matches!(
            decode_outbound(&trailing),
            Err(AbiError::BadEnvelope(_))
        ));
        assert!(matches!(
            decode_outbound(&[1]),
            Err(AbiError::BadEnvelope(_))
        ));
        assert!(
            !Inbound {
                from: 0,
                body: vec![]
            }
            .encode()
            .is_empty(),
            "0 from next_message means none"
        );
    }

    #[test]
    fn next_message_reports_the_needed_size_when_too_big() {
        assert_eq!(next_message_result(10, 16), 10);
        assert_eq!(next_message_result(10, 10), 10);
        assert_eq!(next_message_result(20, 16), -20);
    }
}
