//! The devnet against real anvil processes: startup, manifest, liveness, and clean shutdown.

use std::{
    net::TcpStream,
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use alloy::providers::{Provider, ProviderBuilder};
use interplay_devnet::Config;
use interplay_manifest::Manifest;

fn port_of(rpc_url: &str) -> u16 {
    rpc_url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("rpc url has a port")
}

fn answers(port: u16) -> bool {
    TcpStream::connect(("127.0.0.1", port)).is_ok()
}

/// Polls `cond` until it holds or `timeout` passes.
fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}

#[tokio::test]
async fn starts_chains_serves_the_manifest_and_stops_cleanly() {
    let devnet = interplay_devnet::spawn(Config::test().with_chains(3))
        .await
        .expect("devnet starts");
    let manifest = devnet.manifest().clone();
    assert_eq!(
        manifest
            .chains
            .iter()
            .map(|c| c.chain_id)
            .collect::<Vec<_>>(),
        [901, 902, 903]
    );
    assert!(
        manifest.accounts.len() >= 2,
        "anvil's dev accounts are listed"
    );

    let served: Manifest = reqwest::get(devnet.manifest_url())
        .await
        .expect("GET manifest")
        .json()
        .await
        .expect("json");
    assert_eq!(served, manifest);

    for chain in &manifest.chains {
        let provider = ProviderBuilder::new().connect_http(chain.rpc_url.parse().expect("url"));
        assert_eq!(
            provider.get_chain_id().await.expect("chain id"),
            chain.chain_id
        );
        let first = provider.get_block_number().await.expect("block");
        let mut advanced = false;
        for _ in 0..60 {
            if provider.get_block_number().await.expect("block") > first {
                advanced = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(advanced, "chain {} produces blocks", chain.chain_id);
    }

    let ports: Vec<u16> = manifest
        .chains
        .iter()
        .map(|c| port_of(&c.rpc_url))
        .collect();
    devnet.shutdown().await;
    for port in ports {
        assert!(!answers(port), "chain on port {port} stopped");
    }
}

#[tokio::test]
async fn a_busy_port_is_a_clear_error_and_leaves_nothing_running() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port();
    let mut config = Config::test().with_chains(1);
    config.first_rpc_port = port;
    let err = interplay_devnet::spawn(config)
        .await
        .expect_err("port is taken");
    let text = err.to_string();
    assert!(text.contains("901"), "error names the chain: {text}");
}

#[tokio::test]
async fn a_missing_anvil_is_a_clear_error() {
    let err = interplay_devnet::spawn(Config::test().with_anvil("/nonexistent/anvil"))
        .await
        .expect_err("no anvil");
    assert!(err.to_string().contains("/nonexistent/anvil"), "{err}");
}

/// anvil may answer RPC before its `--config-out` file exists, and write that file in pieces
/// (seen on a cold CI machine). A wrapper that delays the file, and writes half of it first,
/// must not fail the start.
#[tokio::test]
async fn an_anvil_that_writes_its_accounts_late_still_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let anvil = Config::default().anvil;
    let anvil = std::fs::canonicalize(&anvil).unwrap_or(anvil);
    let wrapper = dir.path().join("late-anvil");
    let script = format!(
        r#"#!/usr/bin/env bash
args=(); out=""
while [ $# -gt 0 ]; do
  if [ "$1" = --config-out ]; then out="$2"; shift 2; else args+=("$1"); shift; fi
done
if [ -n "$out" ]; then
  args+=(--config-out "$out.late")
  ( while [ ! -s "$out.late" ]; do sleep 0.05; done
    sleep 1
    head -c 100 "$out.late" > "$out"
    sleep 0.5
    cp "$out.late" "$out" ) &
fi
exec "{anvil}" "${{args[@]}}"
"#,
        anvil = anvil.display()
    );
    std::fs::write(&wrapper, script).expect("write wrapper");
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let mut config = Config::test().with_chains(1).with_anvil(&wrapper);
    config.deploy = false;
    config.supervise = false;
    config.relay = false;
    let devnet = interplay_devnet::spawn(config)
        .await
        .expect("a late accounts file is waited for");
    assert!(
        devnet.manifest().accounts.len() >= 10,
        "every dev account is read, not half the file: {}",
        devnet.manifest().accounts.len()
    );
    devnet.shutdown().await;
}

/// Runs the `devnet` binary on free ports and waits for its manifest file.
fn start_binary(dir: &Path) -> (Child, Manifest) {
    let manifest_path = dir.join("manifest.json");
    let child = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .args([
            "--chains",
            "2",
            "--port",
            "0",
            "--admin-port",
            "0",
            "--block-time",
            "1",
        ])
        .arg("--manifest-out")
        .arg(&manifest_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet binary starts");
    assert!(
        wait_until(Duration::from_secs(30), || manifest_path.exists()),
        "manifest written"
    );
    let manifest = serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("read"))
        .expect("parse");
    (child, manifest)
}

#[tokio::test]
async fn a_second_devnet_on_the_same_ports_is_refused_and_the_first_keeps_running() {
    let first = interplay_devnet::spawn(Config::test().with_chains(1))
        .await
        .expect("first devnet");
    let port = port_of(&first.manifest().chains[0].rpc_url);
    let mut config = Config::test().with_chains(1);
    config.first_rpc_port = port;
    let err = interplay_devnet::spawn(config)
        .await
        .expect_err("second devnet");
    assert!(
        matches!(err, interplay_devnet::DevnetError::PortInUse { port: p, .. } if p == port),
        "{err}"
    );
    assert!(answers(port), "the first devnet is untouched");
    first.shutdown().await;
}

#[test]
fn sigterm_stops_the_binary_and_its_chains() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, manifest) = start_binary(dir.path());
    let ports: Vec<u16> = manifest
        .chains
        .iter()
        .map(|c| port_of(&c.rpc_url))
        .collect();
    assert!(ports.iter().all(|&p| answers(p)));

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().expect("wait");
    assert!(status.success(), "clean exit on SIGTERM, got {status}");
    for port in ports {
        assert!(
            wait_until(Duration::from_secs(5), || !answers(port)),
            "chain on {port} stopped"
        );
    }
}

#[test]
fn chains_die_with_a_killed_devnet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, manifest) = start_binary(dir.path());
    let ports: Vec<u16> = manifest
        .chains
        .iter()
        .map(|c| port_of(&c.rpc_url))
        .collect();
    // SIGKILL: no handler runs; the kernel's parent-death signal must take the chains down.
    child.kill().expect("kill");
    child.wait().expect("wait");
    for port in ports {
        assert!(
            wait_until(Duration::from_secs(5), || !answers(port)),
            "chain on {port} outlived the devnet"
        );
    }
}

#[tokio::test]
async fn the_binary_supervises_chains_from_a_config_file() {
    let help = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .arg("--help")
        .output()
        .expect("devnet --help");
    let help = String::from_utf8_lossy(&help.stdout);
    for field in ["relayer_key", "supervisor_key", "[[chains]]", "attest"] {
        assert!(help.contains(field), "--help documents {field}:\n{help}");
    }

    let bare = interplay_devnet::spawn(Config::test().with_chains(2).bare())
        .await
        .expect("bare chains");
    let m = bare.manifest().clone();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("chains.toml");
    let mut toml = format!(
        "relayer_key = \"{}\"\nblock_time = 1\n",
        m.accounts[interplay_devnet::RELAYER_ACCOUNT].private_key
    );
    for chain in &m.chains {
        toml += &format!(
            "\n[[chains]]\nchain_id = {}\nrpc_url = \"{}\"\nname = \"ext-{}\"\n",
            chain.chain_id, chain.rpc_url, chain.chain_id
        );
    }
    std::fs::write(&config, toml).expect("write config");
    let manifest_path = dir.path().join("manifest.json");
    let mut child = Command::new(env!("CARGO_BIN_EXE_devnet"))
        .arg("--config")
        .arg(&config)
        .args(["--admin-port", "0"])
        .arg("--manifest-out")
        .arg(&manifest_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("devnet --config starts");
    assert!(
        wait_until(Duration::from_secs(30), || manifest_path.exists()),
        "manifest written"
    );
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(&manifest_path).expect("read"))
            .expect("parse");
    let names: Vec<_> = manifest.chains.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["ext-901", "ext-902"]);
    assert_eq!(manifest.chains[0].rpc_url, m.chains[0].rpc_url);
    assert_eq!(manifest.block_time, 1);
    let contracts = manifest
        .contracts
        .expect("contracts deployed on the bare chains");
    let provider = ProviderBuilder::new().connect_http(m.chains[1].rpc_url.parse().expect("url"));
    let worker = contracts.worker.parse().expect("address");
    assert!(!provider.get_code_at(worker).await.expect("code").is_empty());

    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert!(child.wait().expect("wait").success());
    // It stops what it started, nothing more: the chains it was given keep running.
    assert!(answers(port_of(&m.chains[0].rpc_url)));
    bare.shutdown().await;
}

#[tokio::test]
async fn a_configured_base_fee_is_held_block_after_block_and_the_others_follow_eip1559() {
    const HELD: u128 = 3_000_000_000;
    let devnet = interplay_devnet::spawn(
        Config::test()
            .with_chains(2)
            .bare()
            .with_base_fees(vec![HELD]),
    )
    .await
    .expect("devnet starts");
    let providers: Vec<_> = devnet
        .manifest()
        .chains
        .iter()
        .map(|c| ProviderBuilder::new().connect_http(c.rpc_url.parse().expect("url")))
        .collect();
    // Empty 1 s blocks: unheld, a base fee loses an eighth a block (1 gwei → 0.34 after 8).
    let start = providers[0].get_block_number().await.expect("head");
    loop {
        let head = providers[0].get_block_number().await.expect("head");
        if head >= start + 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let head = providers[0].get_block_number().await.expect("head");
    let mut held = Vec::new();
    for n in head - 4..=head {
        held.push(base_fee(&providers[0], n).await);
    }
    held.sort();
    // A block the keeper missed (a stalled machine) is an eighth lower; most are exact.
    assert_eq!(held[2], HELD, "median of the last 5 blocks: {held:?}");
    assert!(held[0] >= HELD / 8 * 7 * 7 / 8, "{held:?}");
    let other_head = providers[1].get_block_number().await.expect("head");
    let other = base_fee(&providers[1], other_head).await;
    assert!(other < HELD / 6, "an unheld chain's fee sinks: {other}");
    devnet.shutdown().await;
}

async fn base_fee(p: &impl Provider, n: u64) -> u128 {
    p.get_block_by_number(n.into())
        .await
        .expect("block")
        .expect("block exists")
        .header
        .base_fee_per_gas
        .expect("EIP-1559 block")
        .into()
}
