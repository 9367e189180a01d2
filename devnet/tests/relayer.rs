//! The supervisor and auto-relayer against real anvil chains and the real contracts: full runs
//! on 2 and 4 chains, kills and restarts in the middle of 100 messages (some between a relay's
//! broadcast and its block; in process, and the devnet binary SIGKILLed over a config file), a
//! chain that goes down and comes back, a message that always reverts (dead-lettered), a
//! stranger's message no block can hold (parked), one to a chain the relayer does not know
//! (parked), chains that were reset, and chains taken from a config file.

use std::{
    path::Path,
    time::{Duration, Instant},
};

use alloy::{
    consensus::Transaction as _,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use interplay_contracts::{
    CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger,
    client::connect,
    deploy::{CROSS_L2_INBOX, L2_TO_L2_MESSENGER},
    interop::SentMessage,
    send_mined, start_run, with_gas_margin,
};
use interplay_devnet::{
    ChainsFile, Config, Devnet, RELAYER_ACCOUNT, RelayerHandle,
    chains_file::{Attest, FileChain},
    relayer::RelayerConfig,
};
use interplay_pow::Work;

mod common;
use common::*;

async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Starts a run on chain 0 over every chain; returns its id.
async fn run_on(
    pow: &InteropPoW::InteropPoWInstance<DynProvider>,
    worker: Address,
    chains: &[u64],
) -> U256 {
    start_run(pow, worker, chains).await.expect("run").0
}

/// Every chain's results of `run` are the native search of the seed it reported.
async fn check_results(
    pow: &InteropPoW::InteropPoWInstance<DynProvider>,
    a: &DynProvider,
    run: U256,
    chains: &[u64],
) {
    let filter = Filter::new()
        .address(*pow.address())
        .event_signature(InteropPoW::ResultsReported::SIGNATURE_HASH)
        .topic1(run)
        .from_block(0);
    let logs = a.get_logs(&filter).await.expect("logs");
    assert_eq!(logs.len(), chains.len(), "one report per chain");
    let mut expected = Vec::new();
    for &chain in chains {
        let report = logs
            .iter()
            .filter_map(|l| l.log_decode::<InteropPoW::ResultsReported>().ok())
            .find(|r| r.inner.data.chainId == U256::from(chain))
            .expect("report of every chain");
        expected.extend(
            Work::default_for(report.inner.data.seed.0)
                .search()
                .concat(),
        );
    }
    let all = pow.allResults_0(run).call().await.expect("allResults");
    assert_eq!(all.to_vec(), expected);
}

/// A run over every chain of `devnet` completes, with every result right, and its relayer
/// relayed each message once without a failure.
async fn full_run_on(devnet: &Devnet) {
    let OnA {
        a,
        pow,
        worker,
        ids,
    } = on_chain_a(devnet);
    let run = run_on(&pow, worker, &ids).await;
    wait_for("every chain to report", Duration::from_secs(60), || async {
        reported(&pow, run).await == ids.len() as u32
    })
    .await;
    check_results(&pow, &a, run, &ids).await;
    // Its status is published after each relay round, right after the report lands.
    let expected = 2 * (ids.len() as u64 - 1);
    wait_for("the relayer's count", Duration::from_secs(10), || {
        let relayed = devnet.relayer_status().map(|s| s.relayed);
        async move { relayed == Some(expected) }
    })
    .await;
    assert_eq!(devnet.relayer_status().map(|s| s.failures), Some(0));
}

#[tokio::test]
async fn a_run_on_two_chains_delivers_every_result() {
    let devnet = interplay_devnet::spawn(Config::test().with_chains(2).with_block_time(0))
        .await
        .expect("devnet");
    // The relayer is no account the app's burner wallet may use.
    let relayer = &devnet
        .manifest()
        .contracts
        .as_ref()
        .expect("contracts")
        .relayer;
    assert!(
        devnet
            .manifest()
            .accounts
            .iter()
            .all(|a| !a.address.eq_ignore_ascii_case(relayer)),
        "the relayer {relayer} is not a published account"
    );
    full_run_on(&devnet).await;
    // The app reads the relayer's report from another origin.
    let response = reqwest::get(devnet.relayer_url())
        .await
        .expect("GET /relayer");
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "*",
        "CORS for the app"
    );
    let report: interplay_manifest::RelayerReport = response.json().await.expect("json");
    assert!(report.running);
    assert_eq!((report.relayed, report.seen), (2, 2), "{report:?}");
    assert!(report.pending.is_empty() && report.parked.is_empty() && report.dead.is_empty());
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_run_on_four_chains_delivers_every_result() {
    let devnet = interplay_devnet::spawn(Config::test().with_chains(4).with_block_time(0))
        .await
        .expect("devnet");
    full_run_on(&devnet).await;
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_devnet_from_a_config_file_relays_between_chains_it_did_not_start() {
    // Bare chains: no predeploys, no contracts, no supervisor, no relayer.
    let bare = interplay_devnet::spawn(Config::test().with_chains(2).with_block_time(0).bare())
        .await
        .expect("bare chains");
    assert!(bare.manifest().contracts.is_none());
    let m = bare.manifest();
    let file = ChainsFile {
        chains: m
            .chains
            .iter()
            .map(|c| FileChain {
                chain_id: c.chain_id,
                rpc_url: c.rpc_url.clone(),
                name: Some(format!("external {}", c.chain_id)),
            })
            .collect(),
        relayer_key: m.accounts[RELAYER_ACCOUNT].private_key.clone(),
        deployer_key: None,
        supervisor_key: None,
        attest: Attest::Auto,
        install_predeploys: true,
        contracts: Default::default(),
        // Published for the app's burner wallet: all but the relayer's.
        accounts: m
            .accounts
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != RELAYER_ACCOUNT)
            .map(|(_, a)| a.clone())
            .collect(),
        block_time: 0,
    };
    // Two roles on one key are refused before any chain is touched.
    let supervisor_is_relayer = ChainsFile {
        supervisor_key: Some(file.relayer_key.clone()),
        ..file.clone()
    };
    let relayer_is_published = ChainsFile {
        accounts: m.accounts.clone(),
        ..file.clone()
    };
    for (bad, roles) in [
        (supervisor_is_relayer, "supervisor_key and relayer_key"),
        (relayer_is_published, "relayer_key and a published account"),
    ] {
        let err = interplay_devnet::spawn(Config::test().with_chains_file(bad))
            .await
            .expect_err("shared key refused");
        assert!(err.to_string().contains(roles), "{err}");
    }
    // A config naming an address with some other code there is refused, not trusted.
    let impostor = Address::repeat_byte(0x77);
    for c in &m.chains {
        let chain = ProviderBuilder::new()
            .connect_http(c.rpc_url.parse().expect("url"))
            .erased();
        let _: () = chain
            .raw_request("anvil_setCode".into(), (impostor, "0x6001600055"))
            .await
            .expect("anvil_setCode");
    }
    let mut named = file.clone();
    named.contracts.interop_pow = Some(impostor);
    let err = interplay_devnet::spawn(Config::test().with_chains_file(named))
        .await
        .expect_err("foreign code refused");
    assert!(
        err.to_string().contains("not this build's InteropPoW"),
        "{err}"
    );
    let devnet = interplay_devnet::spawn(Config::test().with_chains_file(file))
        .await
        .expect("devnet on the bare chains");
    let served: interplay_manifest::Manifest = reqwest::get(devnet.manifest_url())
        .await
        .expect("GET manifest")
        .json()
        .await
        .expect("json");
    assert_eq!(served.chains[1].name, "external 902");
    assert_eq!(served.chains[1].rpc_url, m.chains[1].rpc_url);
    assert!(served.contracts.is_some());
    full_run_on(&devnet).await;
    devnet.shutdown().await;
    bare.shutdown().await;
}

#[tokio::test]
async fn with_no_relay_the_supervisor_still_attests_so_anyone_can_relay_by_hand() {
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_time(0)
            .attest_only(),
    )
    .await
    .expect("devnet");
    let OnA {
        a,
        pow,
        worker,
        ids,
    } = on_chain_a(&devnet);
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let request = message_in(&a, &receipt, ids[0]).await;
    let b = user(&devnet, 1, 3);
    let inbox = CrossL2Inbox::new(CROSS_L2_INBOX, b.clone());
    wait_for(
        "the supervisor's attestation",
        Duration::from_secs(30),
        || async {
            inbox
                .attested(request.attestation_key())
                .call()
                .await
                .unwrap_or(false)
        },
    )
    .await;
    // Nothing relays it; an ordinary account can.
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, b.clone());
    assert!(
        !messenger
            .successfulMessages(request.hash)
            .call()
            .await
            .expect("call")
    );
    send_mined(
        messenger
            .relayMessage(request.id(), request.payload.clone())
            .access_list(request.access_list()),
    )
    .await
    .expect("relayed by hand");
    let status = devnet.relayer_status().expect("supervisor runs");
    assert_eq!(status.relayed, 0, "{status:?}");
    assert!(status.attested >= 1, "{status:?}");
    assert_eq!(
        reported(&pow, run).await,
        1,
        "B's report waits for a relay too"
    );
    devnet.shutdown().await;
}

/// How often each message was relayed on `chain`, and how many were sent to it.
async fn relay_counts(
    provider: &DynProvider,
    sent_from: &DynProvider,
    chain: u64,
) -> (usize, usize, usize) {
    let relayed = provider
        .get_logs(
            &Filter::new()
                .address(L2_TO_L2_MESSENGER)
                .event_signature(L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .expect("logs");
    let mut hashes: Vec<_> = relayed.iter().map(|l| l.topics()[3]).collect();
    let total = hashes.len();
    hashes.sort();
    hashes.dedup();
    let sent = sent_from
        .get_logs(
            &Filter::new()
                .address(L2_TO_L2_MESSENGER)
                .event_signature(L2ToL2CrossDomainMessenger::SentMessage::SIGNATURE_HASH)
                .topic1(U256::from(chain))
                .from_block(0),
        )
        .await
        .expect("logs")
        .len();
    (sent, total, hashes.len())
}

/// Transactions `from` sent to `to` over the whole chain: (all, reverted).
async fn transactions(provider: &DynProvider, from: Address, to: Address) -> (usize, usize) {
    let head = provider.get_block_number().await.expect("head");
    let (mut all, mut reverted) = (0, 0);
    for n in 0..=head {
        let receipts = provider
            .get_block_receipts(n.into())
            .await
            .expect("receipts")
            .expect("block");
        for r in receipts {
            if r.from == from && r.to == Some(to) {
                all += 1;
                reverted += usize::from(!r.status());
            }
        }
    }
    (all, reverted)
}

fn address_of(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}

#[tokio::test]
async fn killed_and_restarted_three_times_in_100_messages_it_loses_and_doubles_nothing() {
    // Blocks every 250 ms: a relay waits in the mempool long enough for a kill to land
    // between its broadcast and its block.
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_interval(Duration::from_millis(250))
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
    let b = user(&devnet, 1, 0);
    // 50 runs: 50 requests A → B and 50 reports B → A. Broadcast together, then awaited.
    let runs = start_runs(&pow, worker, &ids, 50).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    // Small batches: each life relays few messages, so 100 leave room for lives whose kill
    // came too late.
    let small_batches = |devnet: &Devnet, state: &Path| RelayerConfig {
        batch: 4,
        ..relayer_config(devnet, state, relay_chains(devnet))
    };
    // Three kills that land between a relay's broadcast and the save of its outcome. Whether a
    // kill did is read from the chains and the state file afterwards, not assumed from timing:
    // a kill that came too late (its round already saved) does not count, and another life
    // tries again.
    let mut mid_flight = 0;
    let mut lives = 0;
    let mut found = Vec::new();
    let mut previous_left = 0;
    while mid_flight < 3 {
        lives += 1;
        assert!(
            lives <= 12,
            "no 3 kills between a broadcast and its block in 12 lives"
        );
        let relayer = RelayerHandle::start(small_batches(&devnet, &state)).expect("relayer");
        if lives == 1 {
            // Two relayers on one state file would overwrite each other's saves.
            let second = RelayerHandle::start(small_batches(&devnet, &state));
            assert!(
                second
                    .as_ref()
                    .err()
                    .is_some_and(|e| e.to_string().contains("another relayer")),
                "a second relayer on the same state file is refused"
            );
        }
        let mut status = relayer.status.clone();
        wait_for(
            "a relay broadcast and not mined yet",
            Duration::from_secs(60),
            || {
                let s = status.borrow_and_update().clone();
                async move { s.relayed >= 3 && s.in_flight > 0 }
            },
        )
        .await;
        let watch = relayer.status.clone();
        relayer.kill().await;
        // What this life found relayed of what its predecessor left in flight.
        if previous_left > 0 {
            found.push(watch.borrow().already_relayed);
        }
        previous_left = left_in_flight(&state, &[(ids[0], &a), (ids[1], &b)]).await;
        mid_flight += usize::from(previous_left > 0);
    }
    let relayer = RelayerHandle::start(small_batches(&devnet, &state)).expect("relayer");
    for run in &runs {
        wait_for(
            "every run to complete",
            Duration::from_secs(120),
            || async { reported(&pow, *run).await == 2 },
        )
        .await;
    }
    let status = relayer.stop().await;
    found.push(status.already_relayed);
    assert!(
        found.iter().all(|&n| n > 0),
        "each relayer after a kill mid-flight found its predecessor's relays done: {found:?}"
    );
    let (to_b, relayed_b, unique_b) = relay_counts(&b, &a, ids[1]).await;
    let (to_a, relayed_a, unique_a) = relay_counts(&a, &b, ids[0]).await;
    assert_eq!((to_b, to_a), (50, 50), "100 messages");
    assert_eq!(
        (relayed_b, unique_b),
        (50, 50),
        "every request relayed exactly once"
    );
    assert_eq!(
        (relayed_a, unique_a),
        (50, 50),
        "every report relayed exactly once"
    );
    // The contract refuses a second relay, so events alone would not show one: count the
    // transactions. One relay and one attestation per message, none reverted.
    let relayer_at = address_of(&devnet.manifest().accounts[RELAYER_ACCOUNT].private_key);
    let supervisor_at = address_of(devnet.supervisor_key().expect("supervisor"));
    for (provider, name) in [(&a, "A"), (&b, "B")] {
        assert_eq!(
            transactions(provider, relayer_at, L2_TO_L2_MESSENGER).await,
            (50, 0),
            "relay transactions on {name}: 50, none reverted"
        );
        assert_eq!(
            transactions(provider, supervisor_at, CROSS_L2_INBOX).await,
            (50, 0),
            "attestations on {name}: 50, none reverted"
        );
    }
    check_results(&pow, &a, runs[49], &ids).await;
    println!("after 3 kills mid-flight in {lives} lives, the last relayer: {status:?}");
    devnet.shutdown().await;
}

/// Sends `n` runs on `ids` together, then waits for each: their run ids, in order.
async fn start_runs(
    pow: &InteropPoW::InteropPoWInstance<DynProvider>,
    worker: Address,
    ids: &[u64],
    n: usize,
) -> Vec<U256> {
    let mut sent = Vec::new();
    for _ in 0..n {
        let call = pow.run(worker, ids.iter().map(|&c| U256::from(c)).collect());
        sent.push(
            with_gas_margin(call)
                .await
                .expect("estimate")
                .send()
                .await
                .expect("send run"),
        );
    }
    let mut runs = Vec::new();
    for tx in sent {
        let receipt = tx.get_receipt().await.expect("receipt");
        assert!(receipt.status(), "run mined");
        runs.extend(
            receipt
                .inner
                .logs()
                .iter()
                .filter_map(|l| l.log_decode::<InteropPoW::RunStarted>().ok())
                .map(|l| l.inner.data.runId),
        );
    }
    assert_eq!(runs.len(), n);
    runs
}

/// How many messages still pending in the saved state are relayed on their destination once
/// every relay in the txpools is mined: those whose relay a kill left in flight.
async fn left_in_flight(state: &Path, chains: &[(u64, &DynProvider)]) -> usize {
    for (_, chain) in chains {
        wait_for("the txpool to drain", Duration::from_secs(30), || async {
            let status: serde_json::Value = chain
                .raw_request("txpool_status".into(), ())
                .await
                .expect("txpool_status");
            status["pending"] == "0x0" && status["queued"] == "0x0"
        })
        .await;
    }
    let saved = saved_state(state);
    let mut n = 0;
    for p in saved["pending"].as_array().expect("pending") {
        let destination = p["destination"].as_u64().expect("destination");
        let hash: alloy::primitives::B256 =
            serde_json::from_value(p["message"]["hash"].clone()).expect("hash");
        let (_, chain) = chains
            .iter()
            .find(|(id, _)| *id == destination)
            .expect("a known chain");
        let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, *chain);
        n += usize::from(
            messenger
                .successfulMessages(hash)
                .call()
                .await
                .expect("call"),
        );
    }
    n
}

#[tokio::test]
async fn a_message_that_always_reverts_is_dead_lettered_unattested_and_holds_up_nothing() {
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
    // A report for a run that does not exist on B: its relay reverts with UnknownRun, forever.
    let poison = send_message(&a, ids[0], ids[1], *pow.address(), unknown_run_report()).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    let mut status = relayer.status.clone();
    wait_for(
        "the poison message to be dead-lettered",
        Duration::from_secs(30),
        || {
            let s = status.borrow_and_update().clone();
            async move { s.dead.len() == 1 }
        },
    )
    .await;
    // Past one scan window (500 blocks): the cursor must not stay at the poison's block.
    let _: () = a
        .raw_request("anvil_mine".into(), (U256::from(600),))
        .await
        .expect("mine");
    let run = run_on(&pow, worker, &ids).await;
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    let first = relayer.stop().await;
    assert_eq!(first.seen, 3, "poison, request, report: {first:?}");
    assert_eq!(first.relayed, 2, "{first:?}");
    assert_eq!(first.failures, 3, "tried the most times allowed: {first:?}");
    let dead = &first.dead[0];
    assert_eq!(dead.hash, poison.hash.to_string());
    assert_eq!(dead.kind.as_deref(), Some("retries_exhausted"));
    assert!(
        dead.reason
            .as_deref()
            .is_some_and(|r| r.contains("UnknownRun")),
        "the reason names the revert: {dead:?}"
    );
    // Dry runs caught the revert before any attestation was paid for it.
    let b = user(&devnet, 1, 0);
    let inbox = CrossL2Inbox::new(CROSS_L2_INBOX, b.clone());
    assert!(
        !inbox
            .attested(poison.attestation_key())
            .call()
            .await
            .expect("call"),
        "the poison was never attested"
    );
    let saved = saved_state(&state);
    let head = a.get_block_number().await.expect("head");
    assert!(
        saved["cursors"][ids[0].to_string()]["next_block"].as_u64() > Some(600),
        "the cursor moved past the poison: {saved}"
    );
    assert_eq!(
        saved["pending"].as_array().map(Vec::len),
        Some(0),
        "{saved}"
    );
    assert_eq!(saved["dead"].as_array().map(Vec::len), Some(1), "{saved}");
    assert!(head > 600);

    // After a restart the dead letter stays dead: not retried, not reported as new.
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    let run = run_on(&pow, worker, &ids).await;
    wait_for(
        "the second run to complete",
        Duration::from_secs(60),
        || async { reported(&pow, run).await == 2 },
    )
    .await;
    let second = relayer.stop().await;
    assert_eq!(
        (second.seen, second.failures, second.dead.len()),
        (2, 0, 1),
        "{second:?}"
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_message_to_a_chain_the_relayer_does_not_know_is_parked_until_one_does() {
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_time(0)
            .without_relayer(),
    )
    .await
    .expect("devnet");
    let OnA {
        pow, worker, ids, ..
    } = on_chain_a(&devnet);
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    // A relayer of chain A alone: the request to B has nowhere to go.
    let only_a = relay_chains(&devnet)[..1].to_vec();
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, only_a)).expect("relayer");
    let mut status = relayer.status.clone();
    let run = run_on(&pow, worker, &ids).await;
    wait_for("the request to be parked", Duration::from_secs(30), || {
        let s = status.borrow_and_update().clone();
        async move { s.parked.len() == 1 }
    })
    .await;
    let s = relayer.stop().await;
    assert_eq!(s.parked[0].kind.as_deref(), Some("unknown_chain"), "{s:?}");
    assert_eq!(s.parked[0].destination, ids[1].to_string());
    // A relayer that knows B takes it up, though its cursor on A is past the request.
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    let s = relayer.stop().await;
    assert!(s.parked.is_empty(), "{s:?}");
    assert_eq!(s.relayed, 2, "{s:?}");
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_cursor_beyond_the_head_of_a_reset_chain_rescans_it_from_block_0() {
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
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let run_block = receipt.block_number.expect("mined");
    // State left by a relayer of chains that have since been restarted from scratch.
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let stale = serde_json::json!({
        "version": 2,
        "cursors": {
            ids[0].to_string(): { "next_block": 10_000, "last_hash": null },
            ids[1].to_string(): { "next_block": 10_000, "last_hash": null },
        },
        "pending": [],
    });
    std::fs::write(&state, stale.to_string()).expect("write state");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    relayer.stop().await;
    let saved = saved_state(&state);
    let head = a.get_block_number().await.expect("head");
    let next = saved["cursors"][ids[0].to_string()]["next_block"]
        .as_u64()
        .expect("cursor");
    assert!(
        (run_block + 1..=head + 1).contains(&next),
        "rescanned past the run's block {run_block}, up to the head {head}: {saved}"
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_chain_that_goes_down_is_reported_and_retried_not_skipped() {
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
    let mut proxy = Proxy::start(&devnet.manifest().chains[1].rpc_url).await;
    let mut chains = relay_chains(&devnet);
    chains[1].rpc_url = proxy.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &dir.path().join("c.json"), chains))
        .expect("relayer");
    let mut status = relayer.status.clone();

    proxy.down();
    let run = run_on(&pow, worker, &ids).await;
    wait_for(
        "chain B reported unreachable and the relay retried",
        Duration::from_secs(30),
        || {
            let s = status.borrow_and_update().clone();
            let b = ids[1];
            async move { s.unreachable.contains_key(&b) && s.failures >= 2 && s.pending >= 1 }
        },
    )
    .await;
    assert_eq!(reported(&pow, run).await, 1, "only the local report so far");

    proxy.up().await;
    wait_for(
        "the run to complete once B is back",
        Duration::from_secs(60),
        || async { reported(&pow, run).await == 2 },
    )
    .await;
    let s = relayer.stop().await;
    assert!(s.unreachable.is_empty(), "{s:?}");
    assert_eq!(s.relayed, 2);
    check_results(&pow, &a, run, &ids).await;
    devnet.shutdown().await;
}

/// Whether `account` has nothing waiting in `chain`'s txpool: its pending nonce is its mined one.
async fn txpool_empty_for(chain: &DynProvider, account: Address) -> bool {
    let pending = chain
        .get_transaction_count(account)
        .pending()
        .await
        .expect("nonce");
    let mined = chain
        .get_transaction_count(account)
        .latest()
        .await
        .expect("nonce");
    let status: serde_json::Value = chain
        .raw_request("txpool_status".into(), ())
        .await
        .expect("txpool_status");
    pending == mined && status["pending"] == "0x0" && status["queued"] == "0x0"
}

#[tokio::test]
async fn a_stranger_s_message_that_a_block_cannot_hold_delays_nothing_and_is_parked() {
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
    let b = user(&devnet, 1, 0);
    let burner = install_burner(&b).await;
    // ~26 M gas: fits a 30 M block, but not with a 50 % margin on top (the node refuses such a
    // transaction, and a nonce taken for it must not be lost). ~39 M gas: fits no block.
    let heavy = send_burner(&a, ids[0], ids[1], burner, 1_000_000).await;
    let too_big = send_burner(&a, ids[0], ids[1], burner, 1_500_000).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    let run = run_on(&pow, worker, &ids).await;
    wait_for(
        "the honest run to complete",
        Duration::from_secs(60),
        || async { reported(&pow, run).await == 2 },
    )
    .await;
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, b.clone());
    wait_for(
        "the heavy message to be relayed",
        Duration::from_secs(30),
        || async {
            messenger
                .successfulMessages(heavy.hash)
                .call()
                .await
                .unwrap_or(false)
        },
    )
    .await;
    let mut status = relayer.status.clone();
    wait_for(
        "the oversized message to be parked",
        Duration::from_secs(30),
        || {
            let s = status.borrow_and_update().clone();
            async move { s.parked.iter().any(|p| p.hash == too_big.hash.to_string()) }
        },
    )
    .await;
    let s = relayer.stop().await;
    let parked = s
        .parked
        .iter()
        .find(|p| p.hash == too_big.hash.to_string())
        .expect("parked");
    assert_eq!(parked.kind.as_deref(), Some("unrelayable"), "{parked:?}");
    assert!(
        parked
            .reason
            .as_deref()
            .is_some_and(|r| r.contains("block")),
        "the reason names the block gas limit: {parked:?}"
    );
    assert_eq!(s.pending, 0, "{s:?}");
    let relayer_at = address_of(&devnet.manifest().accounts[RELAYER_ACCOUNT].private_key);
    let supervisor_at = address_of(devnet.supervisor_key().expect("supervisor"));
    for account in [relayer_at, supervisor_at] {
        assert!(
            txpool_empty_for(&b, account).await,
            "no relayer tx left queued on B"
        );
    }
    let saved = saved_state(&state);
    assert_eq!(saved["parked"].as_array().map(Vec::len), Some(1), "{saved}");
    devnet.shutdown().await;
}

/// The cursor the relayer last saved for `chain` (0 before its first save).
fn saved_cursor(state: &Path, chain: u64) -> u64 {
    std::fs::read(state)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|s| s["cursors"][chain.to_string()]["next_block"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn a_chain_reset_and_re_mined_past_the_cursor_between_two_scans_is_rescanned() {
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
    let snapshot: U256 = a
        .raw_request("evm_snapshot".into(), ())
        .await
        .expect("evm_snapshot");
    // The relayer sees A through a proxy, so the reset can happen between two of its scans.
    let mut proxy = Proxy::start(&devnet.manifest().chains[0].rpc_url).await;
    let mut chains = relay_chains(&devnet);
    chains[0].rpc_url = proxy.url();
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, chains)).expect("relayer");
    let _: () = a
        .raw_request("anvil_mine".into(), (U256::from(20),))
        .await
        .expect("mine");
    let head = a.get_block_number().await.expect("head");
    wait_for(
        "the relayer to scan A to its head",
        Duration::from_secs(30),
        || {
            let cursor = saved_cursor(&state, ids[0]);
            async move { cursor == head + 1 }
        },
    )
    .await;

    proxy.down();
    let reverted: bool = a
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .expect("evm_revert");
    assert!(reverted);
    // A run in a block the relayer had already read (before the reset), then the chain grows
    // past its cursor again.
    let run = run_on(&pow, worker, &ids).await;
    let _: () = a
        .raw_request("anvil_mine".into(), (U256::from(40),))
        .await
        .expect("mine");
    proxy.up().await;
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    relayer.stop().await;
    devnet.shutdown().await;
}

/// How many `RelayedMessage` logs `chain` has.
async fn relayed_on(chain: &DynProvider) -> usize {
    chain
        .get_logs(
            &Filter::new()
                .address(L2_TO_L2_MESSENGER)
                .event_signature(L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .map(|logs| logs.len())
        .unwrap_or(0)
}

#[tokio::test]
async fn the_devnet_binary_sigkilled_three_times_in_100_messages_relays_each_exactly_once() {
    // Chains started apart from the devnet binary, which supervises them from a config file.
    let bare = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_interval(Duration::from_millis(250))
            .bare(),
    )
    .await
    .expect("bare chains");
    let m = bare.manifest().clone();
    // The supervisor's key must be the same at every start (the inbox knows it); a given key
    // is not funded by the devnet.
    let supervisor = PrivateKeySigner::random();
    for chain in &m.chains {
        let provider = ProviderBuilder::new().connect_http(chain.rpc_url.parse().expect("url"));
        let _: () = provider
            .raw_request(
                "anvil_setBalance".into(),
                (supervisor.address(), U256::from(10u128.pow(20))),
            )
            .await
            .expect("fund the supervisor");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("chains.toml");
    let mut toml = format!(
        "relayer_key = \"{}\"\nsupervisor_key = \"{}\"\nblock_time = 1\n",
        m.accounts[RELAYER_ACCOUNT].private_key,
        supervisor.to_bytes()
    );
    for chain in &m.chains {
        toml += &format!(
            "\n[[chains]]\nchain_id = {}\nrpc_url = \"{}\"\n",
            chain.chain_id, chain.rpc_url
        );
    }
    std::fs::write(&config, toml).expect("write config");
    let state = dir.path().join("relayer.json");
    let manifest_path = dir.path().join("manifest.json");
    let start = || {
        let _ = std::fs::remove_file(&manifest_path);
        std::process::Command::new(env!("CARGO_BIN_EXE_devnet"))
            .arg("--config")
            .arg(&config)
            .args(["--admin-port", "0"])
            .arg("--relayer-state")
            .arg(&state)
            .arg("--manifest-out")
            .arg(&manifest_path)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("devnet --config starts")
    };
    let mut child = start();
    wait_for("the manifest", Duration::from_secs(60), || {
        let ready = std::fs::read(&manifest_path)
            .ok()
            .and_then(|b| serde_json::from_slice::<interplay_manifest::Manifest>(&b).ok())
            .is_some_and(|m| m.contracts.is_some());
        async move { ready }
    })
    .await;
    let manifest: interplay_manifest::Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    let contracts = manifest.contracts.expect("contracts");
    let ids: Vec<u64> = m.chains.iter().map(|c| c.chain_id).collect();
    let a = connect(&m.chains[0].rpc_url, &m.accounts[0].private_key).expect("provider");
    let b = connect(&m.chains[1].rpc_url, &m.accounts[0].private_key).expect("provider");
    let pow = InteropPoW::new(contracts.interop_pow.parse().expect("address"), a.clone());
    let worker: Address = contracts.worker.parse().expect("address");
    // 50 runs: 50 requests A → B and 50 reports B → A. Broadcast together, then awaited.
    let runs = start_runs(&pow, worker, &ids, 50).await;
    for kill in 0..3 {
        if kill > 0 {
            child = start();
        }
        let target = 10 + 20 * kill;
        wait_for("relays to go on", Duration::from_secs(90), || async {
            relayed_on(&a).await + relayed_on(&b).await >= target
        })
        .await;
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
    child = start();
    for run in &runs {
        wait_for(
            "every run to complete",
            Duration::from_secs(120),
            || async { reported(&pow, *run).await == 2 },
        )
        .await;
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert!(child.wait().expect("wait").success());
    let (to_b, relayed_b, unique_b) = relay_counts(&b, &a, ids[1]).await;
    let (to_a, relayed_a, unique_a) = relay_counts(&a, &b, ids[0]).await;
    assert_eq!((to_b, to_a), (50, 50), "100 messages");
    assert_eq!((relayed_b, unique_b), (50, 50), "each request relayed once");
    assert_eq!((relayed_a, unique_a), (50, 50), "each report relayed once");
    let relayer_at = address_of(&m.accounts[RELAYER_ACCOUNT].private_key);
    for (provider, name) in [(&a, "A"), (&b, "B")] {
        assert_eq!(
            transactions(provider, relayer_at, L2_TO_L2_MESSENGER).await,
            (50, 0),
            "relay transactions on {name}: 50, none reverted"
        );
        assert_eq!(
            transactions(provider, supervisor.address(), CROSS_L2_INBOX).await,
            (50, 0),
            "attestations on {name}: 50, none reverted"
        );
    }
    bare.shutdown().await;
}

/// The block of `chain` in which the message with `hash` was relayed.
async fn relayed_in(chain: &DynProvider, hash: alloy::primitives::B256) -> u64 {
    let logs = chain
        .get_logs(
            &Filter::new()
                .address(L2_TO_L2_MESSENGER)
                .event_signature(L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH)
                .topic3(hash)
                .from_block(0),
        )
        .await
        .expect("logs");
    assert_eq!(logs.len(), 1, "relayed once");
    logs[0].block_number.expect("mined")
}

#[tokio::test]
async fn a_stranger_s_flood_of_messages_does_not_queue_ahead_of_others() {
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
    let b = user(&devnet, 1, 0);
    let burner = install_burner(&b).await;
    // 20 relayable messages (~1 M gas each) from a stranger, then an honest run.
    let stranger = user(&devnet, 0, 5);
    let mut flood = Vec::new();
    for _ in 0..20 {
        flood.push(send_burner(&stranger, ids[0], ids[1], burner, 40_000).await);
    }
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let request = message_in(&a, &receipt, ids[0]).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let relayer = RelayerHandle::start(relayer_config(
        &devnet,
        &dir.path().join("r.json"),
        relay_chains(&devnet),
    ))
    .expect("relayer");
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, b.clone());
    let last = flood.last().expect("flood").hash;
    wait_for(
        "the flood to be relayed",
        Duration::from_secs(60),
        || async {
            messenger
                .successfulMessages(last)
                .call()
                .await
                .unwrap_or(false)
        },
    )
    .await;
    relayer.stop().await;
    // Batches of 8 take one message per sender in turn: the request goes in the first batch,
    // not after the 20 that were sent before it.
    let request_at = relayed_in(&b, request.hash).await;
    let mut flood_at = Vec::new();
    for m in &flood {
        flood_at.push(relayed_in(&b, m.hash).await);
    }
    let after = flood_at.iter().filter(|&&at| at > request_at).count();
    assert!(
        after >= 12,
        "the request (block {request_at}) went before most of the flood: {flood_at:?}"
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_new_message_where_an_old_one_was_seen_is_relayed_not_skipped() {
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
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let request = message_in(&a, &receipt, ids[0]).await;
    // Saved by a relayer of an earlier life of chain A: another message at the request's place.
    let old = SentMessage {
        payload: Bytes::from_static(b"an older message"),
        hash: alloy::primitives::B256::repeat_byte(0x0d),
        ..request.clone()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let stale = serde_json::json!({
        "version": 2,
        "cursors": {},
        "pending": [{ "message": old, "destination": ids[1], "attempts": 0 }],
    });
    std::fs::write(&state, stale.to_string()).expect("write state");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    let s = relayer.stop().await;
    assert!(
        s.pending_messages
            .iter()
            .chain(&s.dead)
            .all(|m| m.hash != old.hash.to_string()),
        "the old message gave way to the new: {s:?}"
    );
    devnet.shutdown().await;
}

async fn evm_snapshot(chain: &DynProvider) -> U256 {
    chain
        .raw_request("evm_snapshot".into(), ())
        .await
        .expect("evm_snapshot")
}

async fn evm_revert(chain: &DynProvider, snapshot: U256) {
    let reverted: bool = chain
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .expect("evm_revert");
    assert!(reverted, "reverted to snapshot {snapshot}");
}

async fn relayed_there(chain: &DynProvider, message: &SentMessage) -> bool {
    L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, chain.clone())
        .successfulMessages(message.hash)
        .call()
        .await
        .unwrap_or(false)
}

#[tokio::test]
async fn messages_relayed_to_a_chain_that_is_then_reset_are_relayed_again() {
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
    let b = user(&devnet, 1, 0);
    let snapshot = evm_snapshot(&b).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let request = message_in(&a, &receipt, ids[0]).await;
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    // B forgets the request's relay; A keeps the request and B's report.
    evm_revert(&b, snapshot).await;
    assert!(!relayed_there(&b, &request).await);
    wait_for(
        "the request to be relayed to B again",
        Duration::from_secs(30),
        || relayed_there(&b, &request),
    )
    .await;
    // B ran it again; its second report finds the run complete on A and is set aside.
    let mut status = relayer.status.clone();
    wait_for(
        "B's second report to be dead-lettered",
        Duration::from_secs(30),
        || {
            let s = status.borrow_and_update().clone();
            async move {
                s.dead.iter().any(|d| {
                    d.reason
                        .as_deref()
                        .is_some_and(|r| r.contains("AlreadyReported"))
                })
            }
        },
    )
    .await;
    relayer.stop().await;
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_relay_taken_by_a_reset_before_the_relayer_scanned_its_block_is_relayed_again() {
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
    let b = user(&devnet, 1, 0);
    let before = b
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("rpc")
        .expect("block");
    let snapshot = evm_snapshot(&b).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    let (run, receipt) = start_run(&pow, worker, &ids).await.expect("run");
    let request = message_in(&a, &receipt, ids[0]).await;
    wait_for("the run to complete", Duration::from_secs(60), || async {
        reported(&pow, run).await == 2
    })
    .await;
    relayer.stop().await;
    // The state as a relayer saves it right after the round that relayed the request, before
    // its next scan of B: B's cursor ends where the relay's block begins.
    let mut saved = saved_state(&state);
    saved["cursors"][ids[1].to_string()] = serde_json::json!({
        "next_block": before.header.number + 1,
        "last_hash": before.header.hash,
    });
    saved["relayed"] =
        serde_json::json!([{ "message": request, "destination": ids[1], "attempts": 0 }]);
    std::fs::write(&state, saved.to_string()).expect("write state");
    // A reset back to the block the cursor ends on: nothing the relayer scanned has changed.
    evm_revert(&b, snapshot).await;
    assert!(!relayed_there(&b, &request).await);
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, relay_chains(&devnet)))
        .expect("relayer");
    wait_for(
        "the request to be relayed to B again",
        Duration::from_secs(30),
        || relayed_there(&b, &request),
    )
    .await;
    relayer.stop().await;
    devnet.shutdown().await;
}

#[tokio::test]
async fn two_chains_reset_together_are_both_noticed() {
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_time(0)
            .without_relayer(),
    )
    .await
    .expect("devnet");
    let OnA { a, ids, .. } = on_chain_a(&devnet);
    let b = user(&devnet, 1, 0);
    let burner = install_burner(&a).await;
    let snapshots = (evm_snapshot(&a).await, evm_snapshot(&b).await);
    // A stranger's message from B that no block can hold: parked, and kept in the state file.
    let stranger = user(&devnet, 1, 5);
    let too_big = send_burner(&stranger, ids[1], ids[0], burner, 1_500_000).await;
    // A grows past its snapshot too, so its reset shows.
    let _: () = a
        .raw_request("anvil_mine".into(), (U256::from(1),))
        .await
        .expect("mine");
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("relayer.json");
    let config = relayer_config(&devnet, &state, relay_chains(&devnet));
    let relayer = RelayerHandle::start(config.clone()).expect("relayer");
    let mut status = relayer.status.clone();
    wait_for("the message to be parked", Duration::from_secs(30), || {
        let s = status.borrow_and_update().clone();
        async move { s.parked.len() == 1 }
    })
    .await;
    relayer.stop().await;
    // Both chains back to before the message; A's reset, noticed first, rescans B from block 0,
    // which must not hide that B was reset too.
    evm_revert(&a, snapshots.0).await;
    evm_revert(&b, snapshots.1).await;
    let heads = (
        a.get_block_number().await.expect("head"),
        b.get_block_number().await.expect("head"),
    );
    let relayer = RelayerHandle::start(config).expect("relayer");
    wait_for(
        "both chains rescanned and the parked message, gone from B, forgotten",
        Duration::from_secs(30),
        || {
            let scanned = saved_cursor(&state, ids[0]) == heads.0 + 1
                && saved_cursor(&state, ids[1]) == heads.1 + 1;
            let parked = saved_state(&state)["parked"].as_array().map(Vec::len);
            async move { scanned && parked == Some(0) }
        },
    )
    .await;
    let s = relayer.stop().await;
    assert!(
        s.pending_messages
            .iter()
            .chain(&s.dead)
            .all(|m| m.hash != too_big.hash.to_string()),
        "{s:?}"
    );
    devnet.shutdown().await;
}

/// Transactions waiting in `chain`'s pool, mined or not by no one yet.
async fn txpool_pending(chain: &DynProvider) -> u64 {
    let status: serde_json::Value = chain
        .raw_request("txpool_status".into(), ())
        .await
        .expect("txpool_status");
    let pending = status["pending"].as_str().unwrap_or("0x0");
    u64::from_str_radix(pending.trim_start_matches("0x"), 16).expect("pending count")
}

#[tokio::test]
async fn an_attestation_and_its_relay_go_out_together_and_land_in_one_block_attestation_first() {
    // Mined on demand: chain B mines nothing until the test says so, so what the relayer sends
    // before a block is plain to see.
    let devnet = interplay_devnet::spawn(Config::test().with_block_time(0))
        .await
        .expect("devnet");
    let OnA {
        pow, worker, ids, ..
    } = on_chain_a(&devnet);
    let b = user(&devnet, 1, 0);
    let _: () = b
        .raw_request("evm_setAutomine".into(), (false,))
        .await
        .expect("automine off");
    let run = run_on(&pow, worker, &ids).await;
    // Before: the relay waited for the attestation's block, so the pool held one transaction.
    wait_for(
        "the attestation and the relay in B's pool",
        Duration::from_secs(30),
        || async { txpool_pending(&b).await == 2 },
    )
    .await;
    let _: String = b
        .raw_request("evm_mine".into(), ())
        .await
        .expect("evm_mine");
    let block = b
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .full()
        .await
        .expect("block")
        .expect("latest");
    let txs: Vec<_> = block.transactions.into_transactions().collect();
    assert_eq!(txs.len(), 2, "both in one block");
    assert_eq!(txs[0].to(), Some(CROSS_L2_INBOX), "the attestation first");
    assert_eq!(txs[1].to(), Some(L2_TO_L2_MESSENGER), "then the relay");
    for tx in &txs {
        let receipt = b
            .get_transaction_receipt(*tx.inner.tx_hash())
            .await
            .expect("receipt")
            .expect("mined");
        let to = tx.to();
        assert!(receipt.status(), "the transaction to {to:?} succeeded");
    }
    let _: () = b
        .raw_request("evm_setAutomine".into(), (true,))
        .await
        .expect("automine on");
    wait_for("every chain to report", Duration::from_secs(60), || async {
        reported(&pow, run).await == ids.len() as u32
    })
    .await;
    assert_eq!(devnet.relayer_status().map(|s| s.failures), Some(0));
    devnet.shutdown().await;
}
