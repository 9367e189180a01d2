//! `devnet`: run Interplay's local Superchain until Ctrl-C, SIGTERM, or the parent exits.

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use interplay_devnet::{ChainsFile, Config};
use tokio::signal::unix::{SignalKind, signal};

/// Start N local anvil chains (ids 901, 902, …; RPC ports 9545, 9546, …), install the interop
/// predeploys, deploy InteropPoW + Worker, supervise and relay messages, and serve the manifest.
/// With --config, do the same for chains that already run.
#[derive(Debug, Parser)]
#[command(version, about, after_long_help = CONFIG_HELP)]
struct Args {
    /// Number of chains.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=64))]
    chains: u16,
    /// Seconds between blocks, fractions allowed (0 = mine on each transaction only).
    #[arg(long, default_value_t = 2.0, value_parser = parse_seconds)]
    block_time: f64,
    /// Use the chains listed in this file (.toml, or .json) instead of starting anvils; see
    /// the file format below (--help).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["chains", "block_time", "port", "bare", "anvil", "base_fees"])]
    config: Option<PathBuf>,
    /// Interface to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// RPC port of the first chain (0 = pick free ports).
    #[arg(long, default_value_t = interplay_manifest::FIRST_RPC_PORT)]
    port: u16,
    /// Port of the admin server that serves /manifest.json.
    #[arg(long, default_value_t = interplay_manifest::DEFAULT_ADMIN_PORT)]
    admin_port: u16,
    /// Also write the manifest to this file.
    #[arg(long)]
    manifest_out: Option<PathBuf>,
    /// The anvil executable (default: the project's npm install, then PATH).
    #[arg(long, env = "ANVIL")]
    anvil: Option<PathBuf>,
    /// Chains only: no predeploys, no contracts, no relayer.
    #[arg(long)]
    bare: bool,
    /// Run no auto-relayer: the supervisor still attests each message, so anyone can relay it
    /// (by hand, or with another relayer).
    #[arg(long, conflicts_with = "bare")]
    no_relay: bool,
    /// Where the relayer keeps its state (cursors and pending messages) between runs.
    #[arg(long)]
    relayer_state: Option<PathBuf>,
    /// Each chain's base fee in gwei, in chain order (e.g. 2,0.5,1), held there block after
    /// block so that chains cost differently; chains past the list follow EIP-1559 as usual.
    #[arg(long, value_name = "GWEI,…", value_delimiter = ',', value_parser = parse_gwei)]
    base_fees: Vec<u128>,
}

const CONFIG_HELP: &str = r#"Config file (--config chains.toml; JSON with the same fields also works):

  relayer_key = "0x…"      # required: sends relays, funded on every chain (anyone may relay)
  deployer_key = "0x…"     # optional: deploys missing contracts (default: relayer_key)
  supervisor_key = "0x…"   # optional: attests on inboxes that need it (default: a random key,
                           #   funded with anvil_setBalance; never published)
  attest = "auto"          # auto: only inboxes that are the devnet's (found by their code);
                           #   supersim's own inbox validates messages itself | always | never
  install_predeploys = true  # chains without the messenger get the devnet's (anvil only)
  block_time = 2           # seconds, for the manifest

  [contracts]              # optional; missing ones are deployed by CREATE2, as the app would
  interop_pow = "0x…"
  worker = "0x…"

  [[chains]]               # one table per chain
  chain_id = 901
  rpc_url = "http://127.0.0.1:9545"
  name = "OP chain A"      # optional

  [[accounts]]             # optional: published in the manifest for the app's burner wallet
  address = "0x…"
  private_key = "0x…""#;

/// Gwei (fractions allowed) to wei.
fn parse_gwei(s: &str) -> Result<u128, String> {
    match s.trim().parse::<f64>() {
        Ok(v) if (0.0..1e12).contains(&v) => Ok((v * 1e9).round() as u128),
        _ => Err(format!("{s:?} is not a base fee in gwei")),
    }
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds")),
    }
}

impl Args {
    fn into_config(self) -> anyhow::Result<Config> {
        let mut config = Config::default()
            .with_chains(self.chains)
            .with_block_interval(std::time::Duration::from_secs_f64(self.block_time));
        if let Some(path) = &self.config {
            config = config.with_chains_file(ChainsFile::load(path)?);
        }
        config.host = self.host;
        config.first_rpc_port = self.port;
        config.admin_port = self.admin_port;
        config.manifest_out = self.manifest_out;
        config.relayer_state = self.relayer_state;
        config.base_fees = self.base_fees;
        if self.bare {
            config = config.bare();
        } else if self.no_relay {
            config = config.attest_only();
        }
        if let Some(anvil) = self.anvil {
            config = config.with_anvil(anvil);
        }
        Ok(config)
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    exit_with_parent();
    let config = Args::parse().into_config()?;

    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let devnet = tokio::select! {
        devnet = interplay_devnet::spawn(config) => devnet.context("starting the devnet")?,
        _ = tokio::signal::ctrl_c() => return Ok(()),
        _ = term.recv() => return Ok(()),
    };
    for chain in &devnet.manifest().chains {
        tracing::info!(target: "devnet", chain_id = chain.chain_id, rpc = %chain.rpc_url, "ready");
    }
    tracing::info!(target: "devnet", manifest = %devnet.manifest_url(), "devnet ready; Ctrl-C to stop");

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!(target: "devnet", "shutting down");
    devnet.shutdown().await;
    Ok(())
}

/// A test runner that dies (or is killed) must not leave a devnet behind: ask the kernel for a
/// SIGTERM when our parent exits, which the handler above turns into a clean shutdown.
fn exit_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with constant arguments has no memory effects.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
    }
}
