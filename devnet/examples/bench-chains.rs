//! Issue 5's figures: time from `run` mined on chain A to every result stored there, for 2 and 4
//! chains (median of 10), and the gas of `run`, `relayMessage` and `reportResults` on its own
//! (its call frame in anvil's call tracer, inside a relay and inside a local run).
//! `scripts/bench-chains.sh` runs it (release build, real anvil chains, the devnet's relayer).

use std::time::{Duration, Instant};

use alloy::{
    primitives::{Address, TxHash},
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use interplay_contracts::{
    InteropPoW, L2ToL2CrossDomainMessenger, client::connect, deploy::L2_TO_L2_MESSENGER, start_run,
};
use interplay_devnet::Config;

const RUNS: usize = 10;

/// The true median: the middle value, or the mean of the two middle ones.
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => xs[n / 2],
        _ => (xs[n / 2 - 1] + xs[n / 2]) / 2.0,
    }
}

/// Gas used by each call to `InteropPoW.reportResults` inside transaction `tx`, from the call
/// frames of anvil's `callTracer`.
async fn report_gas(provider: &DynProvider, tx: TxHash) -> anyhow::Result<Vec<f64>> {
    let trace: serde_json::Value = provider
        .raw_request(
            "debug_traceTransaction".into(),
            (tx, serde_json::json!({ "tracer": "callTracer" })),
        )
        .await?;
    let selector = format!(
        "0x{}",
        alloy::hex::encode(InteropPoW::reportResultsCall::SELECTOR)
    );
    let mut found = Vec::new();
    let mut frames = vec![&trace];
    while let Some(frame) = frames.pop() {
        let input = frame["input"].as_str().unwrap_or_default();
        if input.starts_with(&selector) {
            let used = frame["gasUsed"].as_str().unwrap_or("0x0");
            found.push(u64::from_str_radix(used.trim_start_matches("0x"), 16)? as f64);
        }
        if let Some(calls) = frame["calls"].as_array() {
            frames.extend(calls);
        }
    }
    Ok(found)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    for chains in [2u16, 4] {
        // Blocks every second, as on the playground's devnet, so timings include block waits.
        let devnet =
            interplay_devnet::spawn(Config::test().with_chains(chains).with_block_time(1)).await?;
        let m = devnet.manifest().clone();
        let key = &m.accounts[0].private_key;
        let a = connect(&m.chains[0].rpc_url, key)?;
        let contracts = m.contracts.clone().expect("contracts");
        let pow = InteropPoW::new(contracts.interop_pow.parse::<Address>()?, a.clone());
        let worker: Address = contracts.worker.parse()?;
        let ids: Vec<u64> = m.chains.iter().map(|c| c.chain_id).collect();
        let mut latencies = Vec::new();
        let mut run_gas = Vec::new();
        let mut local_report_gas = Vec::new();
        for _ in 0..RUNS {
            let (run_id, receipt) = start_run(&pow, worker, &ids).await?;
            let mined = Instant::now();
            run_gas.push(receipt.gas_used as f64);
            local_report_gas.extend(report_gas(&a, receipt.transaction_hash).await?);
            let deadline = mined + Duration::from_secs(120);
            while pow.runs(run_id).call().await?.reported < chains {
                anyhow::ensure!(Instant::now() < deadline, "run {run_id} did not complete");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            latencies.push(mined.elapsed().as_secs_f64() * 1000.0);
        }
        // Gas of the relays on each chain: the request on B.., the reports on A.
        let mut relay_gas = Vec::new();
        let mut relayed_report_gas = Vec::new();
        for chain in &m.chains {
            let p = connect(&chain.rpc_url, key)?;
            let logs = p
                .get_logs(
                    &Filter::new()
                        .address(L2_TO_L2_MESSENGER)
                        .event_signature(L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH)
                        .from_block(0),
                )
                .await?;
            let mut gas = Vec::new();
            for log in logs {
                let hash = log.transaction_hash.expect("mined");
                if let Some(r) = p.get_transaction_receipt(hash).await? {
                    gas.push(r.gas_used as f64);
                }
                if chain.chain_id == m.chains[0].chain_id {
                    relayed_report_gas.extend(report_gas(&p, hash).await?);
                }
            }
            relay_gas.push((chain.chain_id, median(gas)));
        }
        println!(
            "{chains} chains: run mined → all results stored on A: median {:.0} ms over {RUNS} runs (min {:.0}, max {:.0}; 1 s blocks)",
            median(latencies.clone()),
            latencies.iter().copied().fold(f64::INFINITY, f64::min),
            latencies.iter().copied().fold(0.0, f64::max),
        );
        println!(
            "  gas of run({chains} chains) on A: median {:.0}",
            median(run_gas)
        );
        for (chain, gas) in relay_gas {
            let what = if chain == m.chains[0].chain_id {
                "relayMessage of the reports (incl. reportResults)"
            } else {
                "relayMessage of the request (incl. Worker.runWork)"
            };
            println!("  gas on chain {chain}: {what}: median {gas:.0}");
        }
        println!(
            "  gas of reportResults alone (its call frame; the last of a run also emits AllResults): relayed {:.0}, from the local worker {:.0} (medians)",
            median(relayed_report_gas),
            median(local_report_gas)
        );
        devnet.shutdown().await;
    }
    // A local-only run of the seed's default work, after a first run warmed the worker.
    let devnet = interplay_devnet::spawn(Config::test().with_chains(1).with_block_time(0)).await?;
    let m = devnet.manifest().clone();
    let a = connect(&m.chains[0].rpc_url, &m.accounts[0].private_key)?;
    let contracts = m.contracts.clone().expect("contracts");
    let pow = InteropPoW::new(contracts.interop_pow.parse::<Address>()?, a);
    let worker: Address = contracts.worker.parse()?;
    let mut gas = Vec::new();
    for _ in 0..RUNS {
        let (_, r) = start_run(&pow, worker, &[m.chains[0].chain_id]).await?;
        gas.push(r.gas_used as f64);
    }
    println!(
        "local run of the seed's default work: first {:.0} gas, then median {:.0} (seed contracts: 362k–708k; goal ≤ 181k)",
        gas[0],
        median(gas[1..].to_vec())
    );
    devnet.shutdown().await;
    Ok(())
}
