//! Prepares a task module before any host instantiates it: validates it, checks its imports and
//! exports against task ABI v1 (names and signatures), and rewrites its memory's maximum so that
//! a task growing without bound hits a limit inside the engine (`memory.grow` fails) instead of
//! taking the browser tab down with it. The app runs this on the main thread, so a bad upload is
//! refused before a worker sees it.

use coreplay_abi::{self as abi, AbiError};
use wasm_encoder::{MemorySection, Module, RawSection};
use wasmparser::{
    ExternalKind, FuncType, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

const PAGE: u64 = 64 * 1024;
const MIB: u64 = 1024 * 1024;

/// A checked module with its memory capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prepared {
    pub bytes: Vec<u8>,
    /// The cap written into the module, in bytes.
    pub memory_limit: u64,
}

/// Checks `bytes` against task ABI v1 and caps its memory at `memory_limit` bytes (a multiple
/// of 64 KiB).
pub fn prepare(bytes: &[u8], memory_limit: u64) -> Result<Prepared, AbiError> {
    let malformed = |e: wasmparser::BinaryReaderError| AbiError::Malformed(e.to_string());
    Validator::new_with_features(WasmFeatures::default())
        .validate_all(bytes)
        .map_err(malformed)?;
    let limit_pages = memory_limit / PAGE;
    let mut out = Module::new();
    let mut types: Vec<FuncType> = Vec::new();
    let mut exports: Vec<String> = Vec::new();
    // Function indices count imports first; the version function is found by its export.
    let mut imported_functions = 0u32;
    let mut version_function = None;
    let mut version = None;
    let mut defined = 0u32;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(malformed)?;
        match &payload {
            Payload::TypeSection(reader) => {
                for ty in reader.clone().into_iter_err_on_gc_types() {
                    types.push(ty.map_err(malformed)?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.clone().into_imports() {
                    let import = import.map_err(malformed)?;
                    let kind = match import.ty {
                        TypeRef::Func(_) => "function",
                        TypeRef::Memory(_) => "memory",
                        TypeRef::Table(_) => "table",
                        TypeRef::Global(_) => "global",
                        _ => "tag",
                    };
                    abi::check_import(import.module, import.name, kind)?;
                    if let TypeRef::Func(index) = import.ty {
                        check_signature(import.name, types.get(index as usize))?;
                        imported_functions += 1;
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader.clone() {
                    let export = export.map_err(malformed)?;
                    let wanted = match export.name {
                        "memory" => ExternalKind::Memory,
                        "service" | "coreplay_abi_version" => ExternalKind::Func,
                        _ => export.kind,
                    };
                    if export.kind == wanted {
                        exports.push(export.name.to_owned());
                        if export.name == "coreplay_abi_version" {
                            version_function = Some(export.index);
                        }
                    }
                }
            }
            Payload::MemorySection(reader) => {
                let mut section = MemorySection::new();
                for memory in reader.clone() {
                    let memory = memory.map_err(malformed)?;
                    if memory.initial > limit_pages {
                        return Err(AbiError::MemoryTooLarge {
                            needed_mib: (memory.initial * PAGE).div_ceil(MIB),
                            limit_mib: memory_limit / MIB,
                        });
                    }
                    section.memory(wasm_encoder::MemoryType {
                        minimum: memory.initial,
                        maximum: Some(memory.maximum.map_or(limit_pages, |m| m.min(limit_pages))),
                        memory64: memory.memory64,
                        shared: memory.shared,
                        page_size_log2: memory.page_size_log2,
                    });
                }
                out.section(&section);
                continue;
            }
            // Code before the first slice would run outside the watchdog's reach: a start
            // function, or a version function that does more than return its number.
            Payload::StartSection { .. } => return Err(AbiError::StartFunction),
            Payload::CodeSectionEntry(body) => {
                if version_function == Some(imported_functions + defined) {
                    version = Some(constant_result(body).ok_or(AbiError::VersionNotConstant)?);
                }
                defined += 1;
            }
            _ => {}
        }
        if let Some((id, range)) = payload.as_section() {
            out.section(&RawSection {
                id,
                data: &bytes[range.start as usize..range.end as usize],
            });
        }
    }
    abi::check_exports(exports.iter().map(String::as_str))?;
    // An exported import has no body to read; it could do anything when called.
    abi::check_version(version.ok_or(AbiError::VersionNotConstant)?)?;
    Ok(Prepared {
        bytes: out.finish(),
        memory_limit: limit_pages * PAGE,
    })
}

/// The value a function body returns if it is exactly `i32.const N; end`.
fn constant_result(body: &wasmparser::FunctionBody<'_>) -> Option<i64> {
    use wasmparser::Operator;
    let mut ops = body.get_operators_reader().ok()?;
    let Operator::I32Const { value } = ops.read().ok()? else {
        return None;
    };
    matches!(ops.read().ok()?, Operator::End).then_some(i64::from(value))
}

fn check_signature(name: &str, found: Option<&FuncType>) -> Result<(), AbiError> {
    let Some((params, results)) = abi::host_function_type(name) else {
        return Ok(());
    };
    let i32s = |types: &[ValType]| -> Option<usize> {
        types
            .iter()
            .all(|t| *t == ValType::I32)
            .then_some(types.len())
    };
    let matches = found.is_some_and(|f| {
        i32s(f.params()) == Some(params.len()) && i32s(f.results()) == Some(results.len())
    });
    if matches {
        return Ok(());
    }
    let show = |types: &[ValType]| {
        types
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(AbiError::ImportType {
        name: name.to_owned(),
        found: found.map_or("unknown".into(), |f| {
            format!("({}) -> ({})", show(f.params()), show(f.results()))
        }),
        expected: abi::host_function_signature(name).unwrap_or("?"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u64 = 16 * MIB;

    fn task(extra: &str, memory: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(module
                (import "env" "should_yield" (func (result i32)))
                {extra}
                (memory (export "memory") {memory})
                (func (export "service") (result i32) i32.const 1)
                (func (export "coreplay_abi_version") (result i32) i32.const 1))"#
        ))
        .expect("valid wat")
    }

    fn memory_of(bytes: &[u8]) -> wasmparser::MemoryType {
        Parser::new(0)
            .parse_all(bytes)
            .find_map(|p| match p.expect("parses") {
                Payload::MemorySection(r) => r.into_iter().next().map(|m| m.expect("memory")),
                _ => None,
            })
            .expect("a memory")
    }

    #[test]
    fn caps_an_unbounded_memory_and_keeps_the_rest() {
        let original = task("", "1");
        let prepared = prepare(&original, LIMIT).expect("accepted");
        assert_eq!(memory_of(&prepared.bytes).maximum, Some(LIMIT / PAGE));
        assert_eq!(memory_of(&prepared.bytes).initial, 1);
        assert_eq!(prepared.memory_limit, LIMIT);
        // Every other section is byte for byte the same, and the result is still a valid task.
        prepare(&prepared.bytes, LIMIT).expect("still a valid task");
        let others = |bytes: &[u8]| -> Vec<(u8, Vec<u8>)> {
            Parser::new(0)
                .parse_all(bytes)
                .filter_map(|p| p.expect("parses").as_section())
                .filter(|(id, _)| *id != 5)
                .map(|(id, r)| (id, bytes[r.start as usize..r.end as usize].to_vec()))
                .collect()
        };
        assert_eq!(others(&prepared.bytes), others(&original));
    }

    #[test]
    fn keeps_a_smaller_maximum() {
        let prepared = prepare(&task("", "1 4"), LIMIT).expect("accepted");
        assert_eq!(memory_of(&prepared.bytes).maximum, Some(4));
    }

    #[test]
    fn refuses_a_memory_larger_than_the_limit_at_start() {
        let err = prepare(&task("", "300"), LIMIT).expect_err("too big");
        assert_eq!(
            err,
            AbiError::MemoryTooLarge {
                needed_mib: 19,
                limit_mib: 16
            }
        );
    }

    #[test]
    fn refuses_malformed_bytes_unknown_imports_and_wrong_signatures() {
        assert!(matches!(
            prepare(b"\0asm\x01\0\0\0\x01\xff", LIMIT),
            Err(AbiError::Malformed(_))
        ));
        assert!(matches!(
            prepare(b"not wasm at all", LIMIT),
            Err(AbiError::Malformed(_))
        ));
        let err = prepare(&task(r#"(import "env" "open_socket" (func))"#, "1"), LIMIT)
            .expect_err("unknown import");
        assert!(err.to_string().contains("env.open_socket"), "{err}");
        let err = prepare(
            &task(r#"(import "env" "print" (func (param i64)))"#, "1"),
            LIMIT,
        )
        .expect_err("wrong signature");
        assert_eq!(
            err.to_string(),
            "imports `print` with type (i64) -> (); task ABI v1 defines it as (i32, i32) -> ()"
        );
    }

    #[test]
    fn refuses_code_that_would_run_before_the_first_slice() {
        let spin = r#"(func $spin (loop $l br $l))"#;
        let bytes = task(&format!("{spin} (start $spin)"), "1");
        assert_eq!(prepare(&bytes, LIMIT), Err(AbiError::StartFunction));
        let bytes = wat::parse_str(
            r#"(module
                (memory (export "memory") 1)
                (func (export "service") (result i32) i32.const 1)
                (func (export "coreplay_abi_version") (result i32) (loop $l br $l) i32.const 1))"#,
        )
        .expect("wat");
        assert_eq!(prepare(&bytes, LIMIT), Err(AbiError::VersionNotConstant));
    }

    #[test]
    fn checks_the_version_before_any_host_runs_the_module() {
        let bytes = wat::parse_str(
            r#"(module
                (import "env" "print" (func (param i32 i32)))
                (memory (export "memory") 1)
                (func (export "service") (result i32) i32.const 1)
                (func (export "coreplay_abi_version") (result i32) i32.const 2))"#,
        )
        .expect("wat");
        assert_eq!(prepare(&bytes, LIMIT), Err(AbiError::Version(2)));
    }

    #[test]
    fn refuses_a_module_without_the_required_exports() {
        let bytes = wat::parse_str(r#"(module (memory (export "memory") 1))"#).expect("wat");
        assert_eq!(
            prepare(&bytes, LIMIT),
            Err(AbiError::MissingExport("service"))
        );
    }
}
