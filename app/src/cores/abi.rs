//! Task ABI v1 as the host sees it: the exports a task must have, the imports it may use, and
//! the bounds checks on every pointer it passes. Pure logic, tested natively.

use std::ops::Range;

/// The ABI version this host runs.
pub const ABI_VERSION: u32 = 1;

/// Import module of every host function.
pub const IMPORT_MODULE: &str = "env";

/// Host functions a task may import (name, wasm signature).
pub const HOST_FUNCTIONS: &[(&str, &str)] = &[
    ("print", "(i32, i32) -> ()"),
    ("should_yield", "() -> i32"),
    ("task_exit", "(i32, i32, i32) -> ()"),
];

/// Longest console line a task may print at once.
pub const MAX_PRINT_BYTES: u32 = 64 * 1024;

/// `task_exit` status codes.
pub const EXIT_OK: i32 = 0;

/// Why the host refuses a module or fails a task.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AbiError {
    #[error("not a WebAssembly module: {0}")]
    Malformed(String),
    #[error("imports `{module}.{name}`, which task ABI v{ABI_VERSION} does not provide")]
    UnknownImport { module: String, name: String },
    #[error("imports `{module}.{name}` as a {kind}; only functions can be imported")]
    ImportKind {
        module: String,
        name: String,
        kind: String,
    },
    #[error(
        "does not export `{0}` (task ABI v{ABI_VERSION} needs `memory`, `service` and `coreplay_abi_version`)"
    )]
    MissingExport(&'static str),
    #[error("speaks task ABI v{0}; this host runs v{ABI_VERSION}")]
    Version(u32),
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
}

/// Checks that `ptr..ptr+len` lies inside a memory of `memory_len` bytes.
pub fn checked_range(
    call: &'static str,
    ptr: u32,
    len: u32,
    memory_len: u32,
) -> Result<Range<u32>, AbiError> {
    let end = ptr.checked_add(len).filter(|&end| end <= memory_len);
    end.map(|end| ptr..end).ok_or(AbiError::OutOfBounds {
        call,
        ptr,
        len,
        memory: memory_len,
    })
}

/// Validates one import of a task module.
pub fn check_import(module: &str, name: &str, kind: &str) -> Result<(), AbiError> {
    let known = module == IMPORT_MODULE && HOST_FUNCTIONS.iter().any(|(n, _)| *n == name);
    if !known {
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

/// Validates a module's export list (names only; the version is checked by calling it).
pub fn check_exports<'a>(
    exports: impl IntoIterator<Item = &'a str> + Clone,
) -> Result<(), AbiError> {
    for required in ["memory", "service", "coreplay_abi_version"] {
        if !exports.clone().into_iter().any(|e| e == required) {
            return Err(AbiError::MissingExport(required));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn only_known_env_functions_may_be_imported() {
        assert!(check_import("env", "print", "function").is_ok());
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
}
