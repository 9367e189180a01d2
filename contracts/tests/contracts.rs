//! Contract tests against real anvil chains from the devnet: the search is the shared native
//! one, a run across two chains delivers every result through the real messenger and inbox, and
//! forged, replayed and unauthorized messages are refused.

use std::process::Command;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Log, TransactionReceipt},
    signers::local::PrivateKeySigner,
    sol_types::SolError,
};
use interplay_contracts::{
    CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger, Worker,
    client::connect,
    deploy::{self, Addresses},
    interop::SentMessage,
    send_mined, start_run,
};
use interplay_devnet::{Config, Devnet};
use interplay_pow::{DEFAULT_TARGET, Work, target_for_bits};

#[test]
fn committed_artifacts_match_the_sources() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = Command::new("node")
        .args(["contracts/build.mjs", "--check"])
        .current_dir(root)
        .output()
        .expect("node must be installed (run scripts/setup.sh)");
    assert!(
        out.status.success(),
        "artifacts are stale:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A chain of the test devnet, with the predeploys installed and the app deployed.
struct TestChain {
    id: u64,
    user: DynProvider,
    supervisor: DynProvider,
    stranger: DynProvider,
}

/// `n` chains with the contracts and no relayer: the tests attest and relay themselves, with
/// the devnet's supervisor key (which only the devnet's own process knows).
async fn chains(n: u16) -> (Devnet, Vec<TestChain>) {
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(n)
            .with_block_time(0)
            .without_relayer(),
    )
    .await
    .expect("devnet starts");
    let manifest = devnet.manifest().clone();
    let supervisor_key = devnet.supervisor_key().expect("a supervisor").to_owned();
    let connect = |key: &str, url: &str| {
        let signer: PrivateKeySigner = key.parse().expect("key");
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer))
            .connect_http(url.parse().expect("rpc url"))
            .erased()
    };
    let mut out = Vec::new();
    for chain in &manifest.chains {
        let c = TestChain {
            id: chain.chain_id,
            user: connect(&manifest.accounts[0].private_key, &chain.rpc_url),
            supervisor: connect(&supervisor_key, &chain.rpc_url),
            stranger: connect(&manifest.accounts[5].private_key, &chain.rpc_url),
        };
        let pow = deploy::create2_address(&InteropPoW::BYTECODE);
        assert!(
            !c.user.get_code_at(pow).await.expect("code").is_empty(),
            "the devnet deployed the app at its CREATE2 address"
        );
        assert_eq!(
            deploy::predeploys(&c.user).await.expect("predeploys"),
            deploy::Predeploys::Devnet {
                supervisor: key_address(&supervisor_key)
            }
        );
        out.push(c);
    }
    (devnet, out)
}

fn key_address(key: &str) -> Address {
    key.parse::<PrivateKeySigner>().expect("key").address()
}

fn native(work: &Work) -> Vec<u8> {
    work.search().concat()
}

#[tokio::test]
async fn the_contract_search_is_the_native_search_for_many_seeds() {
    let (devnet, chains) = chains(1).await;
    let worker = Worker::new(Addresses::expected().worker, &chains[0].user);
    let mut works = Vec::new();
    for i in 0u64..24 {
        let mut seed = keccak256(i.to_be_bytes()).0;
        seed[31] = 0;
        works.push(Work::default_for(seed));
    }
    // Seeds whose low bytes are not zero, near the 2^256 wrap, bigger ranges, other targets.
    works.push(Work {
        seed: [0xff; 32],
        start: 0,
        end: 600,
        target: target_for_bits(4),
    });
    works.push(Work {
        seed: keccak256(b"interplay").0,
        start: 10_000,
        end: 14_000,
        target: target_for_bits(9),
    });
    works.push(Work {
        seed: [0; 32],
        start: 5,
        end: 5,
        target: DEFAULT_TARGET,
    });
    for work in &works {
        let found = worker
            .search(
                work.seed.into(),
                work.start,
                work.end,
                U256::from_be_bytes(work.target),
            )
            .call()
            .await
            .expect("search");
        assert_eq!(found.to_vec(), native(work), "seed {:x?}", work.seed);
    }
    assert!(works.iter().map(|w| w.search().len()).sum::<usize>() > 100);
    devnet.shutdown().await;
}

/// The `SentMessage` logs of a transaction, ready to relay.
async fn outgoing(chain: &TestChain, logs: &[Log]) -> Vec<SentMessage> {
    let mut out = Vec::new();
    for log in logs {
        if log.address() != deploy::L2_TO_L2_MESSENGER {
            continue;
        }
        let block = chain
            .user
            .get_block_by_number(log.block_number.expect("mined").into())
            .await
            .expect("rpc")
            .expect("block");
        out.extend(SentMessage::from_log(log, chain.id, block.header.timestamp));
    }
    out
}

/// Attests the message on `to` as the supervisor, then relays it as an ordinary account.
async fn attest_and_relay(to: &TestChain, m: &SentMessage) -> TransactionReceipt {
    let inbox = CrossL2Inbox::new(deploy::CROSS_L2_INBOX, &to.supervisor);
    send_mined(inbox.attest(m.inbox_id(), keccak256(&m.payload)))
        .await
        .expect("attest");
    relay(to, &m.id(), &m.payload)
        .await
        .expect("relay succeeds")
}

async fn relay(
    to: &TestChain,
    id: &L2ToL2CrossDomainMessenger::Identifier,
    payload: &Bytes,
) -> Result<TransactionReceipt, alloy::contract::Error> {
    let messenger = L2ToL2CrossDomainMessenger::new(deploy::L2_TO_L2_MESSENGER, &to.stranger);
    let call = messenger.relayMessage(id.clone(), payload.clone());
    // eth_call first: a revert comes back with its reason.
    call.call().await?;
    Ok(send_mined(call).await.expect("relay mined"))
}

fn reverted_with<E: SolError>(result: Result<impl std::fmt::Debug, alloy::contract::Error>) {
    let err = result.expect_err("must revert");
    let data = err
        .as_revert_data()
        .unwrap_or_else(|| panic!("no revert data: {err}"));
    assert_eq!(
        &data[..4],
        &E::SELECTOR,
        "reverted with {data}, expected {}",
        E::SIGNATURE
    );
}

fn mined_seed(logs: &[Log]) -> B256 {
    logs.iter()
        .find_map(|l| l.log_decode::<Worker::Mined>().ok())
        .expect("a Mined event")
        .inner
        .data
        .seed
}

#[tokio::test]
async fn a_run_on_two_chains_delivers_every_result_and_refuses_forgeries() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);

    let (run_id, run) = start_run(&pow, addresses.worker, &[a.id, b.id])
        .await
        .expect("run");
    let run_logs = run.inner.logs().to_vec();
    // The local worker reported inside the same transaction, with this block's seed.
    let seed_a = mined_seed(&run_logs);
    let block = a
        .user
        .get_block_by_number(run.block_number.expect("mined").into())
        .await
        .expect("rpc")
        .expect("block");
    assert_eq!(
        seed_a.0,
        interplay_pow::seed(a.id, block.header.timestamp, &block.header.parent_hash.0),
        "the contract's seed is the shared definition"
    );

    // A → B: the request to B's worker. B's worker mines and sends its report back.
    let to_b = outgoing(a, &run_logs).await;
    assert_eq!(to_b.len(), 1, "one message, to chain B");
    let on_b = attest_and_relay(b, &to_b[0]).await;
    let b_logs = on_b.inner.logs().to_vec();
    let seed_b = mined_seed(&b_logs);
    let to_a = outgoing(b, &b_logs).await;
    assert_eq!(to_a.len(), 1, "one report, back to chain A");

    // A stranger cannot report for B, and cannot run B's worker on A's behalf.
    let stranger_pow = InteropPoW::new(addresses.interop_pow, &a.stranger);
    let fake = (
        run_id,
        seed_b,
        Bytes::from(vec![0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    )
        .abi_encode_params_for_test();
    reverted_with::<InteropPoW::NotAuthorized>(stranger_pow.reportResults(fake).call().await);
    let stranger_worker = Worker::new(addresses.worker, &b.stranger);
    reverted_with::<Worker::NotCoordinator>(
        stranger_worker
            .run(run_id, addresses.interop_pow)
            .call()
            .await,
    );

    // A forged report: B's payload with other results, never attested by the supervisor.
    let mut forged = to_a[0].payload.to_vec();
    let last = forged.len() - 40;
    forged[last] ^= 1;
    reverted_with::<CrossL2Inbox::NotAttested>(relay(a, &to_a[0].id(), &forged.into()).await);

    let on_a = attest_and_relay(a, &to_a[0]).await;
    let all = on_a
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<InteropPoW::AllResults>().ok())
        .expect("AllResults once both chains reported")
        .inner
        .data
        .results;
    let expected = [
        native(&Work::default_for(seed_a.0)),
        native(&Work::default_for(seed_b.0)),
    ]
    .concat();
    assert_eq!(all.to_vec(), expected);
    assert_eq!(
        pow.allResults_1()
            .call()
            .await
            .expect("allResults")
            .to_vec(),
        expected
    );
    let worker_b = Worker::new(addresses.worker, &b.user);
    assert_eq!(
        worker_b
            .localResultLog()
            .call()
            .await
            .expect("log")
            .to_vec(),
        native(&Work::default_for(seed_b.0))
    );

    // The same message again: attested, but already relayed.
    reverted_with::<L2ToL2CrossDomainMessenger::MessageAlreadyRelayed>(
        relay(a, &to_a[0].id(), &to_a[0].payload).await,
    );

    // Gas of a local-only run of the seed's default work (the seed spends 362k–708k).
    let (_, local) = start_run(&pow, addresses.worker, &[a.id])
        .await
        .expect("local run");
    println!(
        "gas: two-chain run on A {}, relay on B {}, relay on A {}, local-only run {}",
        run.gas_used, on_b.gas_used, on_a.gas_used, local.gas_used
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn no_published_key_can_attest_so_forged_messages_never_relay() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let manifest = devnet.manifest().clone();
    let supervisor_key = devnet.supervisor_key().expect("supervisor").to_owned();
    let supervisor = key_address(&supervisor_key);
    // The supervisor is none of the dev accounts, and its key is nowhere in the manifest (which
    // anyone may fetch).
    assert!(
        manifest
            .accounts
            .iter()
            .all(|acc| acc.address.parse::<Address>().expect("address") != supervisor)
    );
    let published = format!("{manifest:?}").to_lowercase();
    assert!(!published.contains(supervisor_key.trim_start_matches("0x")));
    assert_eq!(
        manifest.contracts.as_ref().expect("contracts").supervisor,
        supervisor.to_string()
    );

    // A real message A → B, and a forgery of it: the same request with another range.
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    let (_, run) = start_run(&pow, addresses.worker, &[a.id, b.id])
        .await
        .expect("run");
    let real = outgoing(a, run.inner.logs()).await.remove(0);
    let mut forged = real.clone();
    let mut payload = forged.payload.to_vec();
    let last = payload.len() - 40;
    payload[last] ^= 0x10;
    forged.payload = payload.into();

    // Every published key tries to attest the forgery on B: refused.
    for account in &manifest.accounts {
        let p = connect(&manifest.chains[1].rpc_url, &account.private_key).expect("provider");
        let inbox = CrossL2Inbox::new(deploy::CROSS_L2_INBOX, &p);
        reverted_with::<CrossL2Inbox::NotSupervisor>(
            inbox
                .attest(forged.inbox_id(), keccak256(&forged.payload))
                .call()
                .await,
        );
    }
    // Mined too, not just simulated: dev account #9 (once the supervisor) is refused on chain.
    let old = connect(
        &manifest.chains[1].rpc_url,
        &manifest.accounts[9].private_key,
    )
    .expect("provider");
    let inbox = CrossL2Inbox::new(deploy::CROSS_L2_INBOX, &old);
    let receipt = inbox
        .attest(forged.inbox_id(), keccak256(&forged.payload))
        .gas(200_000)
        .send()
        .await
        .expect("send")
        .get_receipt()
        .await
        .expect("receipt");
    assert!(!receipt.status(), "a dev account's attestation reverts");
    assert!(
        !inbox
            .attested(forged.attestation_key())
            .call()
            .await
            .expect("attested")
    );

    // Neither the forgery nor the real message relays before the supervisor attests.
    reverted_with::<CrossL2Inbox::NotAttested>(relay(b, &forged.id(), &forged.payload).await);
    reverted_with::<CrossL2Inbox::NotAttested>(relay(b, &real.id(), &real.payload).await);
    // The devnet's supervisor attests the real one, and only it: it relays, the forgery not.
    attest_and_relay(b, &real).await;
    reverted_with::<CrossL2Inbox::NotAttested>(relay(b, &forged.id(), &forged.payload).await);
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_run_naming_a_chain_twice_is_refused() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    for ids in [vec![b.id, b.id], vec![a.id, b.id, a.id], vec![a.id, a.id]] {
        let ids: Vec<U256> = ids.into_iter().map(U256::from).collect();
        reverted_with::<InteropPoW::DuplicateChain>(
            pow.run(addresses.worker, ids.clone()).call().await,
        );
        reverted_with::<InteropPoW::DuplicateChain>(
            pow.runWork(addresses.worker, ids, 0, 16, U256::MAX)
                .call()
                .await,
        );
    }
    // Distinct chains still run.
    start_run(&pow, addresses.worker, &[b.id, a.id])
        .await
        .expect("distinct chains");
    devnet.shutdown().await;
}

#[tokio::test]
async fn compute_is_the_native_search_of_each_blocks_seed() {
    let (devnet, chains) = chains(1).await;
    let a = &chains[0];
    let worker = Worker::new(Addresses::expected().worker, &a.user);
    // The worker exists from here on; then 40 more blocks, 7 s apart, each with its own parent
    // hash and timestamp, so its own seed.
    let first = a.user.get_block_number().await.expect("head");
    let _: () = a
        .user
        .raw_request("anvil_mine".into(), (U256::from(40), U256::from(7)))
        .await
        .expect("mine");
    let head = a.user.get_block_number().await.expect("head");
    let mut seeds = std::collections::BTreeSet::new();
    let mut results = 0;
    for n in first..=head {
        let header = a
            .user
            .get_block_by_number(n.into())
            .await
            .expect("rpc")
            .expect("block")
            .header;
        let seed = interplay_pow::seed(a.id, header.timestamp, &header.parent_hash.0);
        let found = worker
            .compute()
            .block(n.into())
            .call()
            .await
            .expect("compute");
        let expected = native(&Work::default_for(seed));
        assert_eq!(found.to_vec(), expected, "block {n}");
        seeds.insert(seed);
        results += expected.len() / 32;
    }
    assert!(
        seeds.len() as u64 == head - first + 1 && head >= first + 40,
        "{} seeds",
        seeds.len()
    );
    assert!(
        results > 40,
        "{results} results: the blocks exercised the search"
    );
    devnet.shutdown().await;
}

/// The first timestamp after `after` at which a block on `chain` whose parent is `parent`
/// gets a seed with exactly `n` results.
fn timestamp_for(n: usize, chain: u64, after: u64, parent: &[u8; 32]) -> u64 {
    (after + 1..after + 1_000_000)
        .find(|&t| {
            Work::default_for(interplay_pow::seed(chain, t, parent))
                .search()
                .len()
                == n
        })
        .unwrap_or_else(|| panic!("no seed with {n} results"))
}

#[tokio::test]
async fn a_local_run_of_the_seeds_work_costs_at_most_half_the_seeds_gas() {
    let (devnet, chains) = chains(1).await;
    let a = &chains[0];
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    // Gas depends on the state and on the seed's number of results. Pick the seeds: none, the
    // typical four, and eleven, the most whose offsets still fit the report's one slot (twelve
    // or more, about one seed in 1,400, spill into a second). The first run of a deployment is
    // among them: it must not pay extra for fresh slots.
    let mut gas = Vec::new();
    for n in [11, 0, 4, 4, 11, 7] {
        let head = a
            .user
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .expect("rpc")
            .expect("head");
        let t = timestamp_for(n, a.id, head.header.timestamp, &head.header.hash.0);
        let _: () = a
            .user
            .raw_request("evm_setNextBlockTimestamp".into(), (t,))
            .await
            .expect("set timestamp");
        let (_, receipt) = start_run(&pow, addresses.worker, &[a.id])
            .await
            .expect("local run");
        let mined = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| l.log_decode::<Worker::Mined>().ok())
            .expect("mined")
            .inner
            .data;
        assert_eq!(mined.results, U256::from(n), "the chosen seed");
        gas.push((n, receipt.gas_used));
    }
    println!("gas of local runs (results, gas): {gas:?}");
    // The seed's contracts spend 362k on the same work.
    for (n, used) in gas {
        assert!(
            used <= 181_000,
            "a local run with {n} results cost {used} gas"
        );
    }
    devnet.shutdown().await;
}

trait ForTest {
    fn abi_encode_params_for_test(&self) -> Bytes;
}

impl ForTest for (U256, B256, Bytes) {
    fn abi_encode_params_for_test(&self) -> Bytes {
        use alloy::sol_types::SolValue;
        self.abi_encode_params().into()
    }
}

#[tokio::test]
async fn a_run_is_refused_for_big_chain_ids_no_worker_too_many_chains_or_too_much_work() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    let ids = |ids: &[U256]| ids.to_vec();
    // 2^64 + B is B once truncated to 64 bits: it must be refused, not asked as B.
    for big in [
        U256::from(1u8) << 64,
        (U256::from(1u8) << 64) + U256::from(b.id),
        U256::MAX,
    ] {
        reverted_with::<InteropPoW::ChainIdTooLarge>(
            pow.run(addresses.worker, ids(&[U256::from(b.id), big]))
                .call()
                .await,
        );
    }
    // The largest 64-bit id is as good a chain id as any.
    pow.run(
        addresses.worker,
        ids(&[U256::from(b.id), U256::from(u64::MAX)]),
    )
    .call()
    .await
    .expect("a run naming chain 2^64 - 1");
    reverted_with::<InteropPoW::NoWorker>(
        pow.run(Address::ZERO, ids(&[U256::from(b.id)]))
            .call()
            .await,
    );
    let many: Vec<U256> = (0..33u64).map(|i| U256::from(10_000 + i)).collect();
    reverted_with::<InteropPoW::TooManyChains>(pow.run(addresses.worker, many).call().await);
    reverted_with::<InteropPoW::RangeTooLarge>(
        pow.runWork(
            addresses.worker,
            ids(&[U256::from(a.id)]),
            0,
            1025,
            U256::MAX,
        )
        .call()
        .await,
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn the_largest_work_a_run_may_ask_fits_a_block_even_if_every_index_is_a_result() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    let ids = vec![U256::from(a.id), U256::from(b.id)];
    let receipt = send_mined(pow.runWork(addresses.worker, ids, 0, 1024, U256::MAX))
        .await
        .expect("the largest run");
    let request = outgoing(a, receipt.inner.logs()).await;
    assert_eq!(request.len(), 1);
    let on_b = attest_and_relay(b, &request[0]).await;
    let report = outgoing(b, on_b.inner.logs()).await;
    let on_a = attest_and_relay(a, &report[0]).await;
    let block = a
        .user
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .expect("rpc")
        .expect("block");
    let limit = block.header.gas_limit;
    let gas = [receipt.gas_used, on_b.gas_used, on_a.gas_used];
    println!("gas of the largest run, its relay to B, the report's relay to A: {gas:?}");
    for used in gas {
        assert!(used < limit / 4, "{used} gas of a block's {limit}");
    }
    let run = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<InteropPoW::RunStarted>().ok())
        .expect("RunStarted")
        .inner
        .data
        .runId;
    let all = pow.allResults_0(run).call().await.expect("allResults");
    assert_eq!(all.len(), 2 * 1024 * 32, "every index of both chains");
    devnet.shutdown().await;
}

/// A job on two chains: each mines its own part of the job's seed (not its block's), and the
/// parts put together are the native search of the whole range.
#[tokio::test]
async fn a_job_gives_each_chain_its_part_of_one_seed_and_the_parts_are_the_whole_search() {
    let (devnet, chains) = chains(2).await;
    let (a, b) = (&chains[0], &chains[1]);
    let addresses = Addresses::expected();
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    let seed = keccak256(b"a job");
    let target = U256::from_be_bytes(target_for_bits(4));
    let ids = vec![U256::from(a.id), U256::from(b.id)];
    // B first in the range, A after it: a part's place is its own, not its chain's order.
    let (starts, ends) = (vec![300u64, 100], vec![700u64, 300]);
    let receipt = send_mined(pow.runJob(
        addresses.worker,
        seed,
        ids.clone(),
        starts.clone(),
        ends.clone(),
        target,
    ))
    .await
    .expect("a job");
    let logs = receipt.inner.logs();
    let started = logs
        .iter()
        .find_map(|l| l.log_decode::<InteropPoW::RunStarted>().ok())
        .expect("RunStarted")
        .inner
        .data;
    assert_eq!((started.start, started.end), (100, 700), "the parts' span");
    let job = logs
        .iter()
        .find_map(|l| l.log_decode::<InteropPoW::JobStarted>().ok())
        .expect("JobStarted")
        .inner
        .data;
    assert_eq!((job.seed, job.starts, job.ends), (seed, starts, ends));
    assert_eq!(mined_seed(logs), seed, "A mined the job's seed");
    let request = outgoing(a, logs).await;
    let on_b = attest_and_relay(b, &request[0]).await;
    assert_eq!(
        mined_seed(on_b.inner.logs()),
        seed,
        "B mined the job's seed"
    );
    let report = outgoing(b, on_b.inner.logs()).await;
    attest_and_relay(a, &report[0]).await;
    let part = |start, end| Work {
        seed: seed.0,
        start,
        end,
        target: target_for_bits(4),
    };
    let on = |chain: u64| pow.results(started.runId, U256::from(chain));
    assert_eq!(
        on(a.id).call().await.expect("A's").to_vec(),
        native(&part(300, 700))
    );
    assert_eq!(
        on(b.id).call().await.expect("B's").to_vec(),
        native(&part(100, 300))
    );
    let mut merged = [native(&part(100, 300)), native(&part(300, 700))].concat();
    merged.sort();
    let mut whole = native(&part(100, 700));
    whole.sort();
    assert_eq!(merged, whole);
    // One part per chain, and no part larger than a run may ask.
    let job = |starts: Vec<u64>, ends: Vec<u64>| {
        pow.runJob(addresses.worker, seed, ids.clone(), starts, ends, target)
    };
    reverted_with::<InteropPoW::PartsMismatch>(job(vec![0], vec![1, 2]).call().await);
    reverted_with::<InteropPoW::RangeTooLarge>(job(vec![0, 2000], vec![10, 3025]).call().await);
    reverted_with::<InteropPoW::RangeTooLarge>(job(vec![10, 0], vec![5, 10]).call().await);
    // A stranger cannot have B's worker mine a part as if A's coordinator had asked.
    let stranger_worker = Worker::new(addresses.worker, &b.stranger);
    reverted_with::<Worker::NotCoordinator>(
        stranger_worker
            .runJob(started.runId, addresses.interop_pow, seed, 0, 10, target)
            .call()
            .await,
    );
    devnet.shutdown().await;
}

#[tokio::test]
async fn a_chain_reports_once_even_when_it_found_nothing_and_malformed_reports_are_refused() {
    let (devnet, chains) = chains(1).await;
    let a = &chains[0];
    let addresses = Addresses::expected();
    // A worker of the requester's choosing: code that accepts any call, driven by hand.
    let worker = Address::repeat_byte(0x77);
    let _: () = a
        .user
        .raw_request("anvil_setCode".into(), (worker, "0x00"))
        .await
        .expect("anvil_setCode");
    let _: () = a
        .user
        .raw_request(
            "anvil_setBalance".into(),
            (worker, U256::from(10u128.pow(18))),
        )
        .await
        .expect("anvil_setBalance");
    let _: () = a
        .user
        .raw_request("anvil_impersonateAccount".into(), (worker,))
        .await
        .expect("impersonate");
    let pow = InteropPoW::new(addresses.interop_pow, &a.user);
    let (run, _) = start_run(&pow, worker, &[a.id]).await.expect("run");
    let url = devnet.manifest().chains[0].rpc_url.parse().expect("url");
    let as_worker = ProviderBuilder::new().connect_http(url).erased();
    let pow_as_worker = InteropPoW::new(addresses.interop_pow, &as_worker);
    // `found` must hold a start and whole offsets: what is stored doubles as the reported flag.
    for malformed in [&[][..], &[0u8; 7], &[0u8; 9]] {
        let report =
            (run, B256::ZERO, Bytes::copy_from_slice(malformed)).abi_encode_params_for_test();
        reverted_with::<InteropPoW::MalformedReport>(
            pow_as_worker
                .reportResults(report)
                .from(worker)
                .call()
                .await,
        );
    }
    // Nothing found: the start alone.
    let nothing = (run, B256::ZERO, Bytes::from(7u64.to_be_bytes())).abi_encode_params_for_test();
    let call = pow_as_worker.reportResults(nothing.clone()).from(worker);
    send_mined(call).await.expect("the first report");
    reverted_with::<InteropPoW::AlreadyReported>(
        pow_as_worker
            .reportResults(nothing)
            .from(worker)
            .call()
            .await,
    );
    let r = pow.runs(run).call().await.expect("runs");
    assert_eq!((r.chains, r.reported), (1, 1));
    devnet.shutdown().await;
}
