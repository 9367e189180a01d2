//! Every ABI error path, with hand-written modules that do exactly one wrong thing.

use coreplay_abi::{AbiError, Inbound, MAX_MESSAGE_BYTES, MAX_PRINT_BYTES, Outbound};
use coreplay_native_host::{HostConfig, NativeHost, SliceOutcome};
use parity_scale_codec::Encode;

/// A task module whose `service` body is `body` (which must leave an i32), with `imports`.
fn module(imports: &str, body: &str) -> Vec<u8> {
    module_with(imports, body, 1)
}

fn module_with(imports: &str, body: &str, version: i32) -> Vec<u8> {
    let text = format!(
        r#"(module
            {imports}
            (memory (export "memory") 1)
            (data (i32.const 16) "hello")
            (func (export "coreplay_abi_version") (result i32) (i32.const {version}))
            (func (export "service") (result i32) {body}))"#
    );
    wat::parse_str(text).expect("valid wat")
}

const PRINT: &str = r#"(import "env" "print" (func $print (param i32 i32)))"#;
const SEND: &str = r#"(import "env" "send_message" (func $send (param i32 i32)))"#;
const NEXT: &str = r#"(import "env" "next_message" (func $next (param i32 i32) (result i32)))"#;

fn run_once(wasm: &[u8]) -> SliceOutcome {
    let mut host = NativeHost::new(HostConfig::default());
    let id = host.spawn("probe", wasm).expect("module is accepted");
    host.run_slice(id).expect("runnable").outcome
}

fn failure(outcome: SliceOutcome) -> String {
    match outcome {
        SliceOutcome::Failed(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_good_print_reaches_the_console() {
    let mut host = NativeHost::new(HostConfig::default());
    let id = host
        .spawn(
            "probe",
            &module(
                PRINT,
                "(call $print (i32.const 16) (i32.const 5)) (i32.const 1)",
            ),
        )
        .expect("ok");
    let report = host.run_slice(id).expect("runnable");
    assert_eq!(
        (report.outcome, report.console),
        (SliceOutcome::Done, vec!["hello".to_string()])
    );
}

#[test]
fn print_outside_memory_fails_the_task() {
    let reason = failure(run_once(&module(
        PRINT,
        "(call $print (i32.const 65530) (i32.const 10)) (i32.const 1)",
    )));
    let expected = AbiError::OutOfBounds {
        call: "print",
        ptr: 65530,
        len: 10,
        memory: 65536,
    };
    assert!(reason.contains(&expected.to_string()), "{reason}");
}

#[test]
fn a_pointer_that_overflows_fails_the_task() {
    let reason = failure(run_once(&module(
        PRINT,
        "(call $print (i32.const -1) (i32.const 2)) (i32.const 1)",
    )));
    assert!(reason.contains("outside linear memory"), "{reason}");
}

#[test]
fn print_over_the_limit_fails_the_task() {
    let body = format!(
        "(call $print (i32.const 0) (i32.const {})) (i32.const 1)",
        MAX_PRINT_BYTES + 1
    );
    let reason = failure(run_once(&module(PRINT, &body)));
    assert!(
        reason.contains(
            &AbiError::TooLong {
                call: "print",
                len: MAX_PRINT_BYTES + 1,
                limit: MAX_PRINT_BYTES
            }
            .to_string()
        )
    );
}

#[test]
fn an_oversized_message_fails_the_sender() {
    let body = format!(
        "(call $send (i32.const 0) (i32.const {})) (i32.const 1)",
        MAX_MESSAGE_BYTES + 1
    );
    let reason = failure(run_once(&module(SEND, &body)));
    assert!(reason.contains("send_message"), "{reason}");
    assert!(reason.contains("exceeds the limit"), "{reason}");
}

#[test]
fn a_garbage_envelope_fails_the_sender() {
    let reason = failure(run_once(&module(
        SEND,
        "(call $send (i32.const 16) (i32.const 5)) (i32.const 1)",
    )));
    assert!(reason.contains("not a SCALE-encoded envelope"), "{reason}");
}

#[test]
fn a_message_to_nobody_fails_the_sender() {
    let envelope = Outbound {
        to: 99,
        body: vec![7],
    }
    .encode();
    let bytes: String = envelope.iter().map(|b| format!("\\{b:02x}")).collect();
    let wasm = wat::parse_str(format!(
        r#"(module {SEND}
            (memory (export "memory") 1)
            (data (i32.const 100) "{bytes}")
            (func (export "coreplay_abi_version") (result i32) (i32.const 1))
            (func (export "service") (result i32) (call $send (i32.const 100) (i32.const {})) (i32.const 1)))"#,
        envelope.len()
    ))
    .expect("wat");
    let reason = failure(run_once(&wasm));
    assert!(
        reason.contains(&AbiError::NoSuchTask(99).to_string()),
        "{reason}"
    );
}

#[test]
fn next_message_reports_the_size_when_the_buffer_is_small_and_keeps_the_message() {
    // service: r = next(0, 4); store r at 200; return 0 (yield) — twice, with a big buffer the second time.
    let body = r#"
        (if (result i32) (i32.eqz (i32.load (i32.const 300)))
            (then (i32.store (i32.const 200) (call $next (i32.const 0) (i32.const 4)))
                  (i32.store (i32.const 300) (i32.const 1))
                  (i32.const 0))
            (else (i32.store (i32.const 204) (call $next (i32.const 400) (i32.const 1000)))
                  (i32.const 1)))"#;
    let mut host = NativeHost::new(HostConfig::default());
    let id = host.spawn("probe", &module(NEXT, body)).expect("ok");
    host.send(id, vec![1, 2, 3, 4, 5, 6, 7, 8]).expect("send");
    let envelope_len = Inbound {
        from: 0,
        body: vec![1, 2, 3, 4, 5, 6, 7, 8],
    }
    .encode()
    .len() as i32;
    assert_eq!(
        host.run_slice(id).map(|r| r.outcome),
        Some(SliceOutcome::Yielded)
    );
    assert_eq!(
        host.run_slice(id).map(|r| r.outcome),
        Some(SliceOutcome::Done)
    );
    let memory = host.memory(id).expect("memory");
    let word = |at: usize| i32::from_le_bytes(memory[at..at + 4].try_into().expect("4 bytes"));
    assert_eq!(word(200), -envelope_len, "too small: minus the size needed");
    assert_eq!(word(204), envelope_len, "then delivered whole");
    assert_eq!(
        &memory[400..400 + envelope_len as usize],
        Inbound {
            from: 0,
            body: vec![1, 2, 3, 4, 5, 6, 7, 8]
        }
        .encode()
    );
}

#[test]
fn next_message_into_a_buffer_outside_memory_fails_the_task() {
    let mut host = NativeHost::new(HostConfig::default());
    let id = host
        .spawn(
            "probe",
            &module(
                NEXT,
                "(drop (call $next (i32.const 65535) (i32.const 100))) (i32.const 1)",
            ),
        )
        .expect("ok");
    host.send(id, vec![9; 10]).expect("send");
    let reason = failure(host.run_slice(id).expect("runnable").outcome);
    assert!(reason.contains("next_message: range 65535+"), "{reason}");
}

#[test]
fn a_bad_service_result_fails_the_task() {
    let reason = failure(run_once(&module("", "(i32.const 7)")));
    assert!(reason.contains("service returned 7"), "{reason}");
}

#[test]
fn wrong_import_signature_is_refused() {
    let wasm = module(
        r#"(import "env" "print" (func $print (param i32)))"#,
        "(i32.const 1)",
    );
    let err = NativeHost::new(HostConfig::default())
        .spawn("probe", &wasm)
        .expect_err("refused");
    assert!(
        matches!(err, AbiError::ImportType { ref name, .. } if name == "print"),
        "{err}"
    );
}

#[test]
fn imported_memory_is_refused() {
    let wasm = wat::parse_str(
        r#"(module (import "env" "print" (memory 1))
            (func (export "coreplay_abi_version") (result i32) (i32.const 1))
            (func (export "service") (result i32) (i32.const 1)))"#,
    )
    .expect("wat");
    let err = NativeHost::new(HostConfig::default())
        .spawn("probe", &wasm)
        .expect_err("refused");
    assert!(matches!(err, AbiError::ImportKind { .. }), "{err}");
}

#[test]
fn a_missing_export_is_refused() {
    let wasm = wat::parse_str(r#"(module (memory (export "memory") 1) (func (export "coreplay_abi_version") (result i32) (i32.const 1)))"#)
        .expect("wat");
    let err = NativeHost::new(HostConfig::default())
        .spawn("probe", &wasm)
        .expect_err("refused");
    assert_eq!(err, AbiError::MissingExport("service"));
}

#[test]
fn another_abi_version_is_refused() {
    let err = NativeHost::new(HostConfig::default())
        .spawn("probe", &module_with("", "(i32.const 1)", 2))
        .expect_err("refused");
    assert_eq!(err, AbiError::Version(2));
}

const CALL: &str =
    r#"(import "env" "call_task" (func $call (param i32 i32 i32 i32 i32) (result i32)))"#;

/// A module that serves calls: answers every request with its first byte doubled, or traps
/// when that byte is 0xff.
fn callee() -> Vec<u8> {
    wat::parse_str(
        r#"(module
            (memory (export "memory") 1)
            (func (export "coreplay_abi_version") (result i32) (i32.const 1))
            (func (export "service") (result i32) (i32.const 2))
            (func (export "coreplay_alloc") (param i32) (result i32) (i32.const 1024))
            (func (export "coreplay_call") (param $from i32) (param $ptr i32) (param $len i32) (result i64)
                (if (i32.eq (i32.load8_u (i32.const 1024)) (i32.const 0xff)) (then unreachable))
                (i32.store8 (i32.const 2048) (i32.mul (i32.load8_u (i32.const 1024)) (i32.const 2)))
                (i64.or (i64.shl (i64.const 2048) (i64.const 32)) (i64.const 1))))"#,
    )
    .expect("valid wat")
}

/// A caller whose service stores `call_task(target at 0, request byte at 8, result at 16)` at 100.
fn caller(target: u32, request: u8, result_cap: u32) -> Vec<u8> {
    module(
        CALL,
        &format!(
            "(i32.store (i32.const 0) (i32.const {target}))
             (i32.store8 (i32.const 8) (i32.const {request}))
             (i32.store (i32.const 100)
                (call $call (i32.const 0) (i32.const 8) (i32.const 1) (i32.const 16) (i32.const {result_cap})))
             (i32.const 1)"
        ),
    )
}

fn call_result(host: &mut NativeHost, caller_id: u32) -> (i32, u8) {
    assert_eq!(
        host.run_slice(caller_id).map(|r| r.outcome),
        Some(SliceOutcome::Done)
    );
    let memory = host.memory(caller_id).expect("memory");
    (
        i32::from_le_bytes(memory[100..104].try_into().expect("4 bytes")),
        memory[16],
    )
}

#[test]
fn call_task_returns_the_response_or_a_code_and_never_fails_the_caller() {
    let mut host = NativeHost::new(HostConfig::default());
    let callee = host.spawn("callee", &callee()).expect("callee");
    let ok = host
        .spawn("caller", &caller(callee, 21, 8))
        .expect("caller");
    assert_eq!(call_result(&mut host, ok), (1, 42));

    let missing = host.spawn("caller", &caller(77, 1, 8)).expect("caller");
    assert_eq!(call_result(&mut host, missing).0, -1, "no such task");
    let selfish = host.spawn("caller", &caller(4, 1, 8)).expect("caller");
    assert_eq!(selfish, 4);
    assert_eq!(
        call_result(&mut host, selfish).0,
        -2,
        "calling itself: busy"
    );
    let plain = host
        .spawn("plain", &module("", "(i32.const 2)"))
        .expect("plain");
    let unserved = host.spawn("caller", &caller(plain, 1, 8)).expect("caller");
    assert_eq!(call_result(&mut host, unserved).0, -3, "serves no calls");
    let small = host.spawn("caller", &caller(callee, 1, 0)).expect("caller");
    assert_eq!(
        call_result(&mut host, small).0,
        -5,
        "no room for the response"
    );

    let crash = host
        .spawn("caller", &caller(callee, 0xff, 8))
        .expect("caller");
    assert_eq!(call_result(&mut host, crash).0, -4, "the callee trapped");
    assert!(
        matches!(host.status(callee), Some(coreplay_native_host::TaskStatus::Failed(r)) if r.contains("in a call from task")),
        "the callee fails alone"
    );
    let after = host.spawn("caller", &caller(callee, 1, 8)).expect("caller");
    assert_eq!(
        call_result(&mut host, after).0,
        -1,
        "a failed task takes no calls"
    );
}

#[test]
fn call_task_arguments_out_of_bounds_trap_the_caller() {
    let mut host = NativeHost::new(HostConfig::default());
    let callee = host.spawn("callee", &callee()).expect("callee");
    let bad_result = module(
        CALL,
        &format!(
            "(i32.store (i32.const 0) (i32.const {callee}))
             (drop (call $call (i32.const 0) (i32.const 8) (i32.const 1) (i32.const 65530) (i32.const 100)))
             (i32.const 1)"
        ),
    );
    let id = host.spawn("caller", &bad_result).expect("caller");
    let reason = failure(host.run_slice(id).expect("runnable").outcome);
    assert!(reason.contains("call_task: range 65530+100"), "{reason}");
    let bad_target = module(
        CALL,
        "(drop (call $call (i32.const 65534) (i32.const 8) (i32.const 1) (i32.const 16) (i32.const 8))) (i32.const 1)",
    );
    let id = host.spawn("caller", &bad_target).expect("caller");
    let reason = failure(host.run_slice(id).expect("runnable").outcome);
    assert!(reason.contains("call_task: range 65534+4"), "{reason}");
    assert!(matches!(
        host.status(callee),
        Some(coreplay_native_host::TaskStatus::Ready)
    ));
}
