//! The real task modules from `worker-tasks/`, run under the native host: the SDK, the ABI's
//! error paths, and every example and misbehaving task.

use std::{path::PathBuf, process::Command, sync::OnceLock};

use coreplay_native_host::{AbiError, HostConfig, NativeHost, SliceOutcome, TaskStatus};
use interplay_pow::{
    DEFAULT_TARGET, Work,
    messages::{MineReport, MineRequest, MinerUpdate},
};
use parity_scale_codec::{Decode, Encode};

/// Builds every task once per test run (the same command Trunk's hook runs) and returns the
/// directory with the `.wasm` files.
fn tasks_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
        let out = root.join("target/native-host-tasks");
        // Its own target dir: the outer `cargo test` holds the lock on the workspace's.
        let status = Command::new("bash")
            .arg(root.join("worker-tasks/build.sh"))
            .env("CARGO_TARGET_DIR", out.join("cargo"))
            .env("TRUNK_STAGING_DIR", &out)
            .status()
            .expect("run worker-tasks/build.sh");
        assert!(status.success(), "building the tasks failed");
        out.join("tasks")
    })
}

fn task(name: &str) -> Vec<u8> {
    std::fs::read(tasks_dir().join(format!("{name}.wasm")))
        .unwrap_or_else(|e| panic!("{name}.wasm: {e}"))
}

fn host() -> NativeHost {
    NativeHost::new(HostConfig::default())
}

#[test]
fn counter_yields_exactly_when_the_flag_rises() {
    let config = HostConfig {
        yield_after_checks: 1 << 12,
        ..HostConfig::default()
    };
    let mut host = NativeHost::new(config);
    let id = host
        .spawn("counter", &task("counter"))
        .expect("counter loads");
    for _ in 0..20 {
        let report = host.run_slice(id).expect("runnable");
        assert_eq!(report.outcome, SliceOutcome::Yielded);
        // The slice ends at the first check that sees the flag: no earlier, no later.
        assert_eq!(report.yield_checks, 1 << 12);
    }
}

fn mine(host: &mut NativeHost, miner: u32, work: Work) -> MineReport {
    host.send(miner, MineRequest::from(work).encode())
        .expect("send work");
    let reports = host.run_until_idle(1_000_000);
    assert!(
        reports
            .iter()
            .all(|r| r.outcome == SliceOutcome::Yielded || r.outcome == SliceOutcome::Waiting)
    );
    let mut progress = 0;
    let mut reports = Vec::new();
    for answer in host.take_host_messages() {
        assert_eq!(answer.from, miner);
        match MinerUpdate::decode(&mut &answer.body[..]).expect("a MinerUpdate") {
            MinerUpdate::Progress { hashes } => {
                assert!(hashes > progress, "progress only grows");
                progress = hashes;
            }
            MinerUpdate::Report(report) => reports.push(report),
        }
    }
    assert_eq!(reports.len(), 1, "one report per request");
    reports.remove(0)
}

#[test]
fn miner_matches_the_native_search_for_many_seeds_and_sizes() {
    let mut host = host();
    let miner = host.spawn("miner", &task("miner")).expect("miner loads");
    assert!(
        host.run_until_idle(10).len() == 1,
        "runs until it waits for work"
    );
    assert_eq!(host.status(miner), Some(TaskStatus::Waiting));
    let mut easier = DEFAULT_TARGET;
    easier[0] = 0x3f;
    for (n, (start, end, target)) in [
        (0, 255, DEFAULT_TARGET),
        (0, 5_000, DEFAULT_TARGET),
        (250, 700, easier),
        (10, 10, DEFAULT_TARGET),
    ]
    .into_iter()
    .enumerate()
    {
        let seed = interplay_pow::seed(901 + n as u64, 1_700_000_000 + n as u64, &[n as u8; 32]);
        let work = Work {
            seed,
            start,
            end,
            target,
        };
        let report = mine(&mut host, miner, work);
        assert_eq!(report.results, work.search(), "work {n}");
        assert_eq!(report.hashes, end - start);
    }
}

#[test]
fn ping_and_pong_exchange_messages() {
    let mut host = host();
    let ping = host.spawn("ping", &task("ping")).expect("ping loads");
    let pong = host.spawn("pong", &task("pong")).expect("pong loads");
    host.send(ping, (pong, 50u32).encode()).expect("start ping");
    host.run_until_idle(10_000);
    assert_eq!(host.status(ping), Some(TaskStatus::Done));
    assert_eq!(host.status(pong), Some(TaskStatus::Waiting));
    let done = host.take_host_messages();
    assert_eq!(done.len(), 1);
    assert_eq!(u32::decode(&mut &done[0].body[..]).expect("u32"), 50);
}

#[test]
fn a_task_that_ignores_the_flag_is_preempted() {
    let mut host = NativeHost::new(HostConfig {
        fuel_per_slice: 5_000_000,
        ..HostConfig::default()
    });
    let spin = host.spawn("bad-spin", &task("bad-spin")).expect("loads");
    let counter = host.spawn("counter", &task("counter")).expect("loads");
    let report = host.run_slice(spin).expect("runnable");
    let SliceOutcome::Preempted(reason) = &report.outcome else {
        panic!("expected preemption, got {report:?}")
    };
    assert!(reason.contains("ignored the yield flag"), "{reason}");
    assert_eq!(report.console, ["spinning without ever yielding"]);
    assert!(!host.runnable(spin));
    // Everyone else keeps running.
    assert_eq!(
        host.run_slice(counter).map(|r| r.outcome),
        Some(SliceOutcome::Yielded)
    );
}

#[test]
fn a_panicking_task_fails_with_its_message() {
    let mut host = host();
    let id = host.spawn("bad-trap", &task("bad-trap")).expect("loads");
    let outcomes: Vec<_> = host
        .run_until_idle(10)
        .into_iter()
        .map(|r| r.outcome)
        .collect();
    assert_eq!(
        outcomes.len(),
        3,
        "two good slices, then the failure: {outcomes:?}"
    );
    let SliceOutcome::Failed(reason) = &outcomes[2] else {
        panic!("{outcomes:?}")
    };
    assert!(reason.contains("deliberate panic on slice 3"), "{reason}");
    assert!(matches!(host.status(id), Some(TaskStatus::Failed(_))));
}

#[test]
fn a_task_that_hoards_memory_hits_the_limit() {
    let limit = 16 << 20;
    // One check per 1 MiB block: yield after each block.
    let config = HostConfig {
        memory_limit: limit,
        yield_after_checks: 1,
        ..HostConfig::default()
    };
    let mut host = NativeHost::new(config);
    let id = host
        .spawn("bad-memory", &task("bad-memory"))
        .expect("loads");
    let reports = host.run_until_idle(1_000);
    let last = reports.last().expect("ran");
    let SliceOutcome::Failed(reason) = &last.outcome else {
        panic!("{last:?}")
    };
    assert!(reports.len() > 5, "it ran a while before hitting the limit");
    assert!(
        last.memory_bytes <= limit,
        "never grew past the limit: {}",
        last.memory_bytes
    );
    assert!(
        reason.starts_with("out of memory") && reason.contains("the limit is 16 MiB"),
        "{reason}"
    );
    assert!(matches!(host.status(id), Some(TaskStatus::Failed(_))));
}

#[test]
fn a_flooding_task_fails_when_its_victims_inbox_is_full() {
    let mut host = NativeHost::new(HostConfig {
        yield_after_checks: 1_000_000,
        ..HostConfig::default()
    });
    let flood = host.spawn("bad-flood", &task("bad-flood")).expect("loads");
    let pong = host.spawn("pong", &task("pong")).expect("loads");
    host.send(flood, pong.encode()).expect("start");
    let report = host.run_slice(flood).expect("runnable");
    let SliceOutcome::Failed(reason) = &report.outcome else {
        panic!("{report:?}")
    };
    assert!(
        reason.contains(&AbiError::InboxFull(pong).to_string()),
        "{reason}"
    );
    // The victim still works through what it got.
    assert!(host.runnable(pong));
}

/// Runs a task that behaves for one slice and then breaks the ABI; returns why it failed.
fn second_slice_failure(name: &str) -> String {
    let mut host = host();
    let id = host.spawn(name, &task(name)).expect("loads");
    let reports = host.run_until_idle(10);
    assert_eq!(reports.len(), 2, "one good slice, then the failure");
    assert_eq!(reports[0].outcome, SliceOutcome::Yielded);
    assert!(matches!(host.status(id), Some(TaskStatus::Failed(_))));
    // It was stopped at the bad call: the line after it never printed.
    assert!(reports[1].console.is_empty(), "{:?}", reports[1].console);
    match &reports[1].outcome {
        SliceOutcome::Failed(reason) => reason.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_pointer_outside_memory_fails_the_task_that_passed_it() {
    let reason = second_slice_failure("bad-pointer");
    assert!(
        reason.contains("print: range 4294967040+64 is outside linear memory"),
        "{reason}"
    );
}

#[test]
fn a_message_over_the_size_limit_fails_its_sender() {
    let reason = second_slice_failure("bad-oversize");
    assert!(
        // The envelope: a 4-byte id, a 4-byte compact length, the 65 537-byte body.
        reason.contains("send_message: 65545 bytes exceeds the limit of 65536"),
        "{reason}"
    );
}

#[test]
fn a_call_handler_that_never_returns_fails_the_callee_and_the_caller_hears_of_it() {
    let mut host = NativeHost::new(HostConfig {
        fuel_per_slice: 5_000_000,
        ..HostConfig::default()
    });
    let server = host.spawn("bad-serve", &task("bad-serve")).expect("loads");
    let client = host
        .spawn("calc-client", &task("calc-client"))
        .expect("loads");
    host.run_until_idle(10);
    host.send(client, (server, 3u64).encode()).expect("start");
    host.run_until_idle(10);
    let Some(TaskStatus::Failed(reason)) = host.status(server) else {
        panic!("{:?}", host.status(server))
    };
    assert!(
        reason.contains(&format!(
            "its call handler, serving task {client}, never returned"
        )),
        "{reason}"
    );
    let Some(TaskStatus::Failed(reason)) = host.status(client) else {
        panic!("{:?}", host.status(client))
    };
    assert!(
        reason.contains("call 0: expected 0, got Err(Call(Failed))"),
        "{reason}"
    );
}

#[test]
fn every_well_formed_library_task_passes_the_browser_s_module_check() {
    let refused = ["bad-malformed", "bad-imports"];
    for entry in std::fs::read_dir(tasks_dir()).expect("tasks dir") {
        let path = entry.expect("entry").path();
        let Some(name) = path.file_stem().and_then(|n| n.to_str()) else {
            continue;
        };
        if path.extension().is_none_or(|e| e != "wasm") || refused.contains(&name) {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read");
        let prepared = coreplay_module::prepare(&bytes, 128 << 20)
            .unwrap_or_else(|e| panic!("{name} refused: {e}"));
        // The capped module still runs here.
        host()
            .spawn(name, &prepared.bytes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn modules_that_break_the_abi_are_refused_with_a_reason() {
    let mut host = host();
    let err = host
        .spawn("bad-malformed", &task("bad-malformed"))
        .expect_err("refused");
    assert!(matches!(err, AbiError::Malformed(_)), "{err}");
    let err = host
        .spawn("bad-imports", &task("bad-imports"))
        .expect_err("refused");
    assert_eq!(
        err,
        AbiError::UnknownImport {
            module: "env".into(),
            name: "launch_missiles".into()
        }
    );
    assert!(err.to_string().contains("launch_missiles"));
    let err = host.spawn("empty", b"").expect_err("refused");
    assert!(matches!(err, AbiError::Malformed(_)));
}

#[test]
fn calc_client_calls_calc_synchronously_and_every_sum_is_right() {
    let mut host = host();
    let calc = host.spawn("calc", &task("calc")).expect("calc loads");
    let client = host
        .spawn("calc-client", &task("calc-client"))
        .expect("client loads");
    host.run_until_idle(10);
    host.send(client, (calc, 300u64).encode()).expect("start");
    host.run_until_idle(100_000);
    assert_eq!(host.status(client), Some(TaskStatus::Done));
    let answers = host.take_host_messages();
    assert_eq!(answers.len(), 1);
    assert_eq!(u64::decode(&mut &answers[0].body[..]).ok(), Some(300));
    // The calls ran inside calc without a slice of its own: its state counted them.
    host.send(calc, vec![]).expect("ask calc");
    host.run_until_idle(10);
    let answers = host.take_host_messages();
    assert_eq!(u64::decode(&mut &answers[0].body[..]).ok(), Some(300));
    assert_eq!(host.status(calc), Some(TaskStatus::Waiting));
}

#[test]
fn a_call_to_a_task_that_serves_none_or_does_not_exist_fails_the_caller_with_the_reason() {
    let mut host = host();
    let counter = host.spawn("counter", &task("counter")).expect("counter");
    let client = host
        .spawn("calc-client", &task("calc-client"))
        .expect("client");
    host.run_until_idle(10);
    // The counter has the SDK's call exports but never called `serve`.
    host.send(client, (counter, 1u64).encode()).expect("start");
    let reports = host.run_until_idle(10);
    let failed = reports
        .iter()
        .find(|r| r.task == client)
        .map(|r| &r.outcome);
    assert!(
        matches!(failed, Some(SliceOutcome::Failed(r)) if r.contains("NotServed")),
        "{failed:?}"
    );
    assert!(matches!(host.status(counter), Some(TaskStatus::Ready)));

    let client = host
        .spawn("calc-client", &task("calc-client"))
        .expect("client");
    host.run_until_idle(10);
    host.send(client, (999u32, 1u64).encode()).expect("start");
    let reports = host.run_until_idle(10);
    let failed = reports
        .iter()
        .find(|r| r.task == client)
        .map(|r| &r.outcome);
    assert!(
        matches!(failed, Some(SliceOutcome::Failed(r)) if r.contains("NoTask")),
        "{failed:?}"
    );
}
