//! The supervisor and auto-relayer against real anvil chains and the real contracts: full runs
//! on 2 and 4 chains, kills and restarts in the middle of 100 messages, and a chain that goes
//! down and comes back.

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, U256},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use interplay_contracts::{
    InteropPoW, L2ToL2CrossDomainMessenger, client::connect, deploy::L2_TO_L2_MESSENGER, start_run,
};
use interplay_devnet::{
    Config, Devnet, RelayerHandle,
    relayer::{RelayerConfig, roles},
};
use interplay_pow::Work;
use tokio::{net::TcpListener, task::JoinSet};

fn user(devnet: &Devnet, chain: usize, account: usize) -> DynProvider {
    let m = devnet.manifest();
    connect(&m.chains[chain].rpc_url, &m.accounts[account].private_key).expect("provider")
}

fn addresses(devnet: &Devnet) -> (Address, Address) {
    let c = devnet
        .manifest()
        .contracts
        .as_ref()
        .expect("contracts deployed");
    (
        c.interop_pow.parse().expect("address"),
        c.worker.parse().expect("address"),
    )
}

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

async fn reported(pow: &InteropPoW::InteropPoWInstance<DynProvider>, run: U256) -> u32 {
    pow.runs(run)
        .call()
        .await
        .map(|r| u32::from(r.reported))
        .unwrap_or(0)
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

async fn full_run(chains: u16) {
    let devnet = interplay_devnet::spawn(Config::test().with_chains(chains).with_block_time(0))
        .await
        .expect("devnet");
    let (pow_at, worker) = addresses(&devnet);
    let a = user(&devnet, 0, 0);
    let pow = InteropPoW::new(pow_at, a.clone());
    let ids: Vec<u64> = devnet
        .manifest()
        .chains
        .iter()
        .map(|c| c.chain_id)
        .collect();
    let run = run_on(&pow, worker, &ids).await;
    wait_for("every chain to report", Duration::from_secs(60), || async {
        reported(&pow, run).await == u32::from(chains)
    })
    .await;
    check_results(&pow, &a, run, &ids).await;
    // Its status is published after each relay, right after the report lands.
    let expected = 2 * (u64::from(chains) - 1);
    wait_for("the relayer's count", Duration::from_secs(10), || {
        let relayed = devnet.relayer_status().map(|s| s.relayed);
        async move { relayed == Some(expected) }
    })
    .await;
    assert_eq!(devnet.relayer_status().map(|s| s.failures), Some(0));
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_run_on_two_chains_delivers_every_result() {
    full_run(2).await;
}

#[tokio::test]
async fn a_run_on_four_chains_delivers_every_result() {
    full_run(4).await;
}

fn relayer_config(
    devnet: &Devnet,
    state: &std::path::Path,
    rpc: Vec<(u64, String)>,
) -> RelayerConfig {
    let roles = roles(&devnet.manifest().accounts).expect("dev accounts");
    RelayerConfig {
        chains: rpc,
        supervisor_key: devnet.supervisor_key().expect("supervisor").to_owned(),
        relayer_key: roles.relayer,
        state: state.to_path_buf(),
        poll: Duration::from_millis(50),
    }
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

#[tokio::test]
async fn killed_and_restarted_three_times_in_100_messages_it_loses_and_doubles_nothing() {
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .with_block_time(0)
            .without_relayer(),
    )
    .await
    .expect("devnet");
    let (pow_at, worker) = addresses(&devnet);
    let (a, b) = (user(&devnet, 0, 0), user(&devnet, 1, 0));
    let pow = InteropPoW::new(pow_at, a.clone());
    let ids: Vec<u64> = devnet
        .manifest()
        .chains
        .iter()
        .map(|c| c.chain_id)
        .collect();
    // 50 runs: 50 requests A → B and 50 reports B → A.
    let mut runs = Vec::new();
    for _ in 0..50 {
        runs.push(run_on(&pow, worker, &ids).await);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path().join("cursors.json");
    let rpc: Vec<(u64, String)> = devnet
        .manifest()
        .chains
        .iter()
        .map(|c| (c.chain_id, c.rpc_url.clone()))
        .collect();
    for kill in 0..3 {
        let relayer = RelayerHandle::start(relayer_config(&devnet, &state, rpc.clone()));
        let mut status = relayer.status.clone();
        let target = 5 + kill;
        wait_for(
            "some relays before the kill",
            Duration::from_secs(60),
            || {
                let relayed = status.borrow_and_update().relayed;
                async move { relayed >= target }
            },
        )
        .await;
        relayer.kill();
    }
    let relayer = RelayerHandle::start(relayer_config(&devnet, &state, rpc));
    for run in &runs {
        wait_for(
            "every run to complete",
            Duration::from_secs(120),
            || async { reported(&pow, *run).await == 2 },
        )
        .await;
    }
    let status = relayer.stop().await;
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
    check_results(&pow, &a, runs[49], &ids).await;
    println!("after 3 kills, the last relayer: {status:?}");
    devnet.shutdown().await;
}

/// A TCP forwarder in front of a chain's RPC that the test can take down and bring back.
struct Proxy {
    port: u16,
    target: String,
    tasks: JoinSet<()>,
}

impl Proxy {
    async fn start(target: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let mut proxy = Self {
            port,
            target: target.trim_start_matches("http://").to_string(),
            tasks: JoinSet::new(),
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let target = self.target.clone();
        self.tasks.spawn(async move {
            let mut conns = JoinSet::new();
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                conns.spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
    }

    /// Closes the port and every open connection.
    fn down(&mut self) {
        self.tasks.abort_all();
    }

    async fn up(&mut self) {
        let listener = TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind");
        self.serve(listener);
    }
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
    let (pow_at, worker) = addresses(&devnet);
    let a = user(&devnet, 0, 0);
    let pow = InteropPoW::new(pow_at, a.clone());
    let chains = &devnet.manifest().chains;
    let ids: Vec<u64> = chains.iter().map(|c| c.chain_id).collect();
    let mut proxy = Proxy::start(&chains[1].rpc_url).await;
    let rpc = vec![
        (ids[0], chains[0].rpc_url.clone()),
        (ids[1], format!("http://127.0.0.1:{}", proxy.port)),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let relayer = RelayerHandle::start(relayer_config(&devnet, &dir.path().join("c.json"), rpc));
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
