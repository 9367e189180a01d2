//! Seeded chaos for the relayer: each seed drives a random schedule of honest runs, a stranger's
//! spam (relayable, always reverting, too big for any block), chains whose RPC goes down and comes
//! back, relayer kills and restarts on the same state file, and chains reverted to earlier
//! snapshots (source and destination alike). Afterwards every message that still exists on its
//! source chain must be relayed exactly once on its destination (counted on chain) or set aside
//! with a reason in the relayer's report, and every run on chain A must have all its reports.
//!
//! A failure names its seed and prints the schedule: `cargo test -p interplay-devnet --test
//! chaos seed_<n>` replays it (the timing between steps is seeded too, the chains' and the
//! relayer's is not, so a rare interleaving may need a few tries).

use std::{
    collections::{BTreeMap, BTreeSet},
    fmt::Write as _,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, U256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use interplay_contracts::{
    InteropPoW, L2ToL2CrossDomainMessenger, deploy::L2_TO_L2_MESSENGER, interop::SentMessage,
    send_mined,
};
use interplay_devnet::{Config, Devnet, RelayerHandle, relayer::RelayerConfig};
use interplay_manifest::RelayerReport;
use rand::{Rng, SeedableRng, rngs::StdRng};

mod common;
use common::*;

/// Steps in one schedule: enough for every kind of trouble to show up a few times, few enough
/// for a seed to finish in seconds.
const STEPS: usize = 24;
/// The longest one step of the schedule may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);
/// The longest the relayer may take to settle once the trouble stops.
const SETTLE: Duration = Duration::from_secs(60);
/// Turns of the gas burner a relayable spam message asks for: a small set, so that after a source
/// reset the stranger sends messages with the same hash as ones already relayed.
const SPAM_TURNS: [u64; 3] = [500, 1_000, 2_000];
/// About 39 M gas: no block holds it.
const OVERSIZED_TURNS: u64 = 1_500_000;

#[tokio::test]
async fn seed_1() {
    chaos(1).await;
}

#[tokio::test]
async fn seed_7() {
    chaos(7).await;
}

#[tokio::test]
async fn seed_42() {
    chaos(42).await;
}

#[tokio::test]
async fn seed_2024() {
    chaos(2024).await;
}

/// Any other seed: `CHAOS_SEED=123 cargo test -p interplay-devnet --test chaos -- --ignored`.
#[tokio::test]
#[ignore = "runs the seed in CHAOS_SEED"]
async fn seed_from_env() {
    let seed = std::env::var("CHAOS_SEED")
        .expect("CHAOS_SEED")
        .parse()
        .expect("a u64");
    chaos(seed).await;
}

/// One chain of the schedule: the test's own provider (straight to anvil), the relayer's way in
/// (a proxy the schedule takes down), and the snapshots it may revert to.
struct Chain {
    id: u64,
    provider: DynProvider,
    stranger: DynProvider,
    /// Installed before the first snapshot, so no revert removes it.
    burner: Address,
    proxy: Proxy,
    down: bool,
    snapshots: Vec<U256>,
}

/// What the schedule does between two checks of the invariant.
struct Chaos {
    seed: u64,
    rng: StdRng,
    devnet: Devnet,
    /// InteropPoW on chain A (as dev account 0) and the Worker.
    pow: InteropPoW::InteropPoWInstance<DynProvider>,
    worker: Address,
    chains: Vec<Chain>,
    config: RelayerConfig,
    relayer: Option<RelayerHandle>,
    /// Each run gets work no earlier run had, so no request repeats an old one's hash, even
    /// after chain A was reverted and hands out the same run id and messenger nonce again.
    next_work: u64,
    /// The steps taken, printed with any failure.
    log: String,
}

async fn chaos(seed: u64) {
    // The relayer's log, shown with a failure.
    let _ = tracing_subscriber::fmt()
        .with_env_filter("relayer=info")
        .with_test_writer()
        .try_init();
    let started = Instant::now();
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_time(0)
            .without_relayer(),
    )
    .await
    .expect("devnet");
    let OnA {
        a,
        pow,
        worker,
        ids,
    } = on_chain_a(&devnet);
    let mut chains = Vec::new();
    for (i, (provider, id)) in [a, user(&devnet, 1, 0)].into_iter().zip(ids).enumerate() {
        let burner = install_burner(&provider).await;
        let snapshot = snapshot(&provider).await;
        chains.push(Chain {
            id,
            provider,
            stranger: user(&devnet, i, 5),
            burner,
            proxy: Proxy::start(&devnet.manifest().chains[i].rpc_url).await,
            down: false,
            snapshots: vec![snapshot],
        });
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut relay_via = relay_chains(&devnet);
    for (relay, chain) in relay_via.iter_mut().zip(&chains) {
        relay.rpc_url = chain.proxy.url();
    }
    let config = relayer_config(&devnet, &dir.path().join("relayer.json"), relay_via);
    let mut chaos = Chaos {
        seed,
        rng: StdRng::seed_from_u64(seed),
        relayer: Some(RelayerHandle::start(config.clone()).expect("relayer")),
        devnet,
        pow,
        worker,
        chains,
        config,
        next_work: 0,
        log: String::new(),
    };
    for step in 0..STEPS {
        // A step is one or two transactions: one that hangs is a failure, not a stuck suite.
        if tokio::time::timeout(STEP_TIMEOUT, chaos.step(step))
            .await
            .is_err()
        {
            panic!(
                "seed {seed}: step {step} took over {STEP_TIMEOUT:?}\nschedule:\n{}",
                chaos.log
            );
        }
        // The schedule's own timing (seeded), so trouble lands at different points of a round.
        let pause = chaos.rng.random_range(0..120);
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
    let summary = chaos.settle().await;
    println!(
        "seed {seed}: {summary} in {:.1} s\n{}",
        started.elapsed().as_secs_f64(),
        chaos.log
    );
    chaos.devnet.shutdown().await;
}

async fn snapshot(chain: &DynProvider) -> U256 {
    chain
        .raw_request("evm_snapshot".into(), ())
        .await
        .expect("evm_snapshot")
}

impl Chaos {
    async fn step(&mut self, step: usize) {
        let c = self.rng.random_range(0..self.chains.len());
        let other = (c + 1) % self.chains.len();
        let (id, to) = (self.chains[c].id, self.chains[other].id);
        let what = match self.rng.random_range(0..100) {
            0..30 => self.run().await,
            30..55 => self.spam(c, other).await,
            55..67 => {
                let chain = &mut self.chains[c];
                if chain.down {
                    chain.proxy.up().await;
                } else {
                    chain.proxy.down();
                }
                chain.down = !chain.down;
                format!("RPC of {id} {}", if chain.down { "down" } else { "up" })
            }
            67..79 => match self.relayer.take() {
                Some(relayer) => {
                    relayer.kill().await;
                    if self.rng.random_bool(0.5) {
                        self.start_relayer();
                        "relayer killed and restarted".into()
                    } else {
                        "relayer killed".into()
                    }
                }
                None => {
                    self.start_relayer();
                    "relayer restarted".into()
                }
            },
            79..87 => {
                let taken = snapshot(&self.chains[c].provider).await;
                self.chains[c].snapshots.push(taken);
                format!("snapshot of {id}")
            }
            _ => {
                let chain = &mut self.chains[c];
                // Reverting to a snapshot deletes it and every later one.
                let back = self.rng.random_range(0..chain.snapshots.len());
                let target = chain.snapshots[back];
                chain.snapshots.truncate(back);
                let reverted: bool = chain
                    .provider
                    .raw_request("evm_revert".into(), (target,))
                    .await
                    .expect("evm_revert");
                assert!(reverted, "seed {}: evm_revert {target}", self.seed);
                if chain.snapshots.is_empty() {
                    let again = snapshot(&chain.provider).await;
                    chain.snapshots.push(again);
                }
                // Our providers cache nonces, which the revert took back.
                chain.provider = user(&self.devnet, c, 0);
                chain.stranger = user(&self.devnet, c, 5);
                if c == 0 {
                    self.pow = InteropPoW::new(*self.pow.address(), chain.provider.clone());
                }
                let head = chain.provider.get_block_number().await.expect("head");
                format!("{id} reverted to snapshot {target} (head {head}); messages to {to} too")
            }
        };
        let _ = writeln!(self.log, "  {step:2}: {what}");
    }

    fn start_relayer(&mut self) {
        let relayer = RelayerHandle::start(self.config.clone());
        self.relayer = Some(relayer.unwrap_or_else(|e| panic!("seed {}: {e}", self.seed)));
    }

    /// An honest run from chain A over a random choice of chains, with a small range of work.
    async fn run(&mut self) -> String {
        let (a, b) = (self.chains[0].id, self.chains[1].id);
        let asked = match self.rng.random_range(0..3) {
            0 => vec![a, b],
            1 => vec![b, a],
            _ => vec![b],
        };
        let start = self.next_work * 16;
        let end = start + self.rng.random_range(1..=8);
        self.next_work += 1;
        let call = self.pow.runWork(
            self.worker,
            asked.iter().map(|&c| U256::from(c)).collect(),
            start,
            end,
            U256::MAX,
        );
        let receipt = send_mined(call)
            .await
            .unwrap_or_else(|e| panic!("seed {}: run: {e}", self.seed));
        format!(
            "run over {asked:?}, indices {start}..{end}, in block {}",
            receipt.block_number.unwrap_or_default()
        )
    }

    /// A stranger's message from chain `from` to chain `to`.
    async fn spam(&mut self, from: usize, to: usize) -> String {
        let (source, dest) = (self.chains[from].id, self.chains[to].id);
        let stranger = self.chains[from].stranger.clone();
        let (message, what): (SentMessage, String) = match self.rng.random_range(0..100) {
            0..60 => {
                let turns = SPAM_TURNS[self.rng.random_range(0..SPAM_TURNS.len())];
                let burner = self.chains[to].burner;
                let m = send_burner(&stranger, source, dest, burner, turns).await;
                (m, format!("{turns} turns"))
            }
            60..85 => {
                let pow_at = *self.pow.address();
                let m = send_message(&stranger, source, dest, pow_at, unknown_run_report()).await;
                (m, "always reverts".into())
            }
            _ => {
                let burner = self.chains[to].burner;
                let m = send_burner(&stranger, source, dest, burner, OVERSIZED_TURNS).await;
                (m, "too big for a block".into())
            }
        };
        format!("spam {source} → {dest} ({what}) in block {}", message.block)
    }

    /// Ends the trouble (every RPC up, a relayer running), waits until the invariant holds and
    /// checks it once more against what the stopped relayer saved. A summary for the log.
    async fn settle(&mut self) -> String {
        for chain in &mut self.chains {
            if chain.down {
                chain.proxy.up().await;
                chain.down = false;
            }
        }
        if self.relayer.is_none() {
            self.start_relayer();
        }
        let _ = writeln!(self.log, "  then every RPC up and a relayer running");
        let status = self.relayer.as_ref().expect("relayer").status.clone();
        let deadline = Instant::now() + SETTLE;
        let mut last;
        loop {
            let report = status.borrow().report();
            last = self.check(&report).await;
            let busy = !report.pending.is_empty() || !report.unreachable.is_empty();
            if last.violations.is_empty() && !busy {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "seed {}: not settled after {SETTLE:?}: {:#?}\nrelayer: pending {:#?}, unreachable {:?}\nschedule:\n{}",
                self.seed,
                last.violations,
                report.pending,
                report.unreachable,
                self.log
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let relayer = self.relayer.take().expect("relayer");
        let report = relayer.stop().await.report();
        let last = self.check(&report).await;
        assert!(
            last.violations.is_empty(),
            "seed {}: after the relayer stopped: {:#?}\nschedule:\n{}",
            self.seed,
            last.violations,
            self.log
        );
        // The report is what the state file holds: a restart would set aside the same messages.
        let saved = saved_state(&self.config.state);
        let hashes = |list: &str| -> BTreeSet<String> {
            saved[list]
                .as_array()
                .expect("list")
                .iter()
                .map(|p| p["message"]["hash"].as_str().expect("hash").to_owned())
                .collect()
        };
        let reported = |list: &[interplay_manifest::RelayMessage]| -> BTreeSet<String> {
            list.iter().map(|m| m.hash.clone()).collect()
        };
        assert_eq!(
            (hashes("dead"), hashes("parked")),
            (reported(&report.dead), reported(&report.parked)),
            "seed {}: the state file sets aside what the report says\nschedule:\n{}",
            self.seed,
            self.log
        );
        assert_eq!(
            saved["pending"].as_array().map(Vec::len),
            Some(0),
            "seed {}",
            self.seed
        );
        format!(
            "{} messages: {} relayed, {} dead, {} parked; {} runs complete",
            last.messages,
            last.relayed,
            report.dead.len(),
            report.parked.len(),
            last.runs
        )
    }

    /// The invariant, read from the chains and the relayer's report.
    async fn check(&self, report: &RelayerReport) -> Checked {
        let mut checked = Checked::default();
        // How often each message hash was relayed, per chain.
        let mut relayed: BTreeMap<u64, BTreeMap<B256, usize>> = BTreeMap::new();
        for chain in &self.chains {
            let logs = chain
                .provider
                .get_logs(
                    &Filter::new()
                        .address(L2_TO_L2_MESSENGER)
                        .event_signature(L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH)
                        .from_block(0),
                )
                .await
                .expect("RelayedMessage logs");
            let counts = relayed.entry(chain.id).or_default();
            for log in logs {
                *counts.entry(log.topics()[3]).or_default() += 1;
            }
        }
        let set_aside: BTreeMap<&str, &interplay_manifest::RelayMessage> = report
            .dead
            .iter()
            .chain(&report.parked)
            .map(|m| (m.hash.as_str(), m))
            .collect();
        let mut on_chain = BTreeSet::new();
        for chain in &self.chains {
            let logs = chain
                .provider
                .get_logs(
                    &Filter::new()
                        .address(L2_TO_L2_MESSENGER)
                        .event_signature(L2ToL2CrossDomainMessenger::SentMessage::SIGNATURE_HASH)
                        .from_block(0),
                )
                .await
                .expect("SentMessage logs");
            for log in &logs {
                let m = SentMessage::from_log(log, chain.id, 0).expect("a SentMessage");
                checked.messages += 1;
                on_chain.insert((m.source, m.block, m.log_index, m.hash.to_string()));
                let dest = u64::try_from(m.destination).expect("a devnet chain");
                let times = relayed
                    .get(&dest)
                    .and_then(|c| c.get(&m.hash))
                    .copied()
                    .unwrap_or(0);
                let hash = m.hash.to_string();
                let aside = set_aside.get(hash.as_str());
                let at = format!("{} → {dest} in block {} ({hash})", chain.id, m.block);
                match (times, aside) {
                    (1, None) => checked.relayed += 1,
                    (1, Some(p)) => checked
                        .violations
                        .push(format!("{at}: relayed, yet set aside: {p:?}")),
                    (0, Some(p))
                        if p.kind.is_some() && p.reason.as_ref().is_some_and(|r| !r.is_empty()) => {
                    }
                    (0, Some(p)) => checked
                        .violations
                        .push(format!("{at}: set aside without a reason: {p:?}")),
                    (0, None) => checked.violations.push(format!("{at}: never relayed")),
                    (n, _) => checked.violations.push(format!("{at}: relayed {n} times")),
                }
            }
        }
        // What is set aside is still there: a stale entry means a reset the relayer missed.
        for p in set_aside.values() {
            let at = (p.source, p.block, p.log_index, p.hash.clone());
            if !on_chain.contains(&at) {
                checked
                    .violations
                    .push(format!("set aside, but gone from its source: {p:?}"));
            }
        }
        // Every run that exists on chain A has every report it asked for.
        let runs = self
            .pow
            .provider()
            .get_logs(
                &Filter::new()
                    .address(*self.pow.address())
                    .event_signature(InteropPoW::RunStarted::SIGNATURE_HASH)
                    .from_block(0),
            )
            .await
            .expect("RunStarted logs");
        for log in runs {
            let run = log
                .log_decode::<InteropPoW::RunStarted>()
                .expect("RunStarted")
                .inner
                .data;
            let got = reported(&self.pow, run.runId).await as usize;
            if got == run.chainIds.len() {
                checked.runs += 1;
            } else {
                checked.violations.push(format!(
                    "run {} over {:?} (block {:?}): {got} of {} reports",
                    run.runId,
                    run.chainIds,
                    log.block_number,
                    run.chainIds.len()
                ));
            }
        }
        checked
    }
}

/// What one check of the invariant found.
#[derive(Debug, Default)]
struct Checked {
    messages: usize,
    relayed: usize,
    runs: usize,
    violations: Vec<String>,
}
