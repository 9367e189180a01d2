//! Interplay's local Superchain. Starts N `anvil` chains with supersim's ids and ports, waits
//! until each answers, publishes a [`Manifest`] (file and HTTP), and stops every chain when its
//! handle is shut down or dropped, so no test or Ctrl-C leaves a chain behind.

mod admin;
mod anvil;
pub mod chains_file;
mod config;
mod fees;
pub mod relayer;
mod setup;

use std::{net::SocketAddr, path::PathBuf, sync::Arc};

pub use anvil::AnvilChain;
use chains_file::{Attest, FileChain};
pub use chains_file::{ChainsFile, ChainsFileError};
pub use config::Config;
use interplay_manifest::{Chain, DevAccount, MANIFEST_VERSION, Manifest};
use relayer::RelayerConfig;
pub use relayer::RelayerStatus;
use tokio::{sync::watch, task::JoinHandle};

/// Everything that can stop a devnet from starting.
#[derive(Debug, thiserror::Error)]
pub enum DevnetError {
    #[error("could not start `{program}` (run the setup script to install anvil): {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("chain {chain_id} exited during startup ({status}): {stderr}")]
    ChainExited {
        chain_id: u64,
        status: String,
        stderr: String,
    },
    #[error("chain {chain_id} did not answer in time: {reason}")]
    Timeout { chain_id: u64, reason: String },
    #[error("{url} answers as chain {got}, expected {expected}: is another node on that port?")]
    WrongChain {
        url: String,
        expected: u64,
        got: u64,
    },
    #[error("cannot bind the {what} on port {port} (already in use?): {source}")]
    Bind {
        what: &'static str,
        port: u16,
        source: std::io::Error,
    },
    #[error("port {port} for chain {chain_id} is already in use (is another devnet running?)")]
    PortInUse { chain_id: u64, port: u16 },
    #[error("invalid RPC url {0}")]
    BadUrl(String),
    #[error("anvil's account list at {path}: {reason}")]
    Accounts { path: PathBuf, reason: String },
    #[error("writing the manifest to {path}: {source}")]
    WriteManifest {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("deploying to chain {chain_id}: {reason}")]
    Deploy { chain_id: u64, reason: String },
    #[error("invalid {what}: {reason}")]
    Key { what: &'static str, reason: String },
    #[error("chain {chain_id} has no L2ToL2CrossDomainMessenger and install_predeploys is off")]
    NoMessenger { chain_id: u64 },
    #[error(
        "chain {chain_id}'s inbox takes attestations from {supervisor}, not from this devnet's \
         supervisor: give that account's key as supervisor_key, or set attest = \"never\""
    )]
    ForeignSupervisor {
        chain_id: u64,
        supervisor: alloy::primitives::Address,
    },
    #[error("{roles} share a key: give each role its own")]
    SharedKey { roles: &'static str },
    #[error(transparent)]
    Relayer(#[from] relayer::RelayerError),
    #[error(transparent)]
    Wait(std::io::Error),
}

/// A running devnet. Call [`Devnet::shutdown`] to stop it gracefully; dropping it kills the
/// chains anyway.
#[derive(Debug)]
pub struct Devnet {
    manifest: Arc<Manifest>,
    admin_addr: SocketAddr,
    chains: Vec<AnvilChain>,
    stop_admin: watch::Sender<bool>,
    admin: JoinHandle<()>,
    relayer: Option<RelayerHandle>,
    fees: Option<fees::FeeKeeper>,
    supervisor_key: Option<String>,
    _scratch: tempfile::TempDir,
}

/// A dev account tests relay with when they run a relayer of their own. The devnet's relayer
/// has a key of its own (generated, funded with `anvil_setBalance`), like the supervisor.
pub const RELAYER_ACCOUNT: usize = 8;
/// The dev account that deploys the contracts on the devnet's own chains.
pub const DEPLOYER_ACCOUNT: usize = 7;

/// The auto-relayer running inside the devnet.
#[derive(Debug)]
pub struct RelayerHandle {
    stop: watch::Sender<bool>,
    task: JoinHandle<RelayerStatus>,
    pub status: watch::Receiver<RelayerStatus>,
}

impl RelayerHandle {
    /// Starts the relayer on a tokio task; refused while another relayer uses its state file.
    pub fn start(config: RelayerConfig) -> Result<Self, relayer::RelayerError> {
        let lock = relayer::StateLock::acquire(&config.state)?;
        let (stop, stop_rx) = watch::channel(false);
        let (status_tx, status) = watch::channel(RelayerStatus::default());
        let task = tokio::spawn(relayer::run(config, lock, stop_rx, status_tx));
        Ok(Self { stop, task, status })
    }

    /// Asks it to stop after the current round and waits.
    pub async fn stop(self) -> RelayerStatus {
        let _ = self.stop.send(true);
        self.task.await.unwrap_or_default()
    }

    /// Kills it where it stands (as a crash would), without saving anything more; returns once
    /// it is gone (its state file free for the next).
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

impl Devnet {
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Where the manifest is served.
    pub fn manifest_url(&self) -> String {
        format!("http://{}/manifest.json", self.admin_addr)
    }

    /// Where the relayer's report is served (`GET /relayer`, see devnet/README.md).
    pub fn relayer_url(&self) -> String {
        format!("http://{}/relayer", self.admin_addr)
    }

    /// The supervisor's key, for tests that attest themselves. Not in the manifest: whoever
    /// holds it can make any message relayable.
    pub fn supervisor_key(&self) -> Option<&str> {
        self.supervisor_key.as_deref()
    }

    /// The auto-relayer's progress, if it runs.
    pub fn relayer_status(&self) -> Option<RelayerStatus> {
        self.relayer.as_ref().map(|r| r.status.borrow().clone())
    }

    /// Stops the admin server, the relayer and every chain, waiting for each to exit.
    pub async fn shutdown(self) {
        if let Some(relayer) = self.relayer {
            relayer.stop().await;
        }
        if let Some(fees) = self.fees {
            fees.stop().await;
        }
        let _ = self.stop_admin.send(true);
        let _ = self.admin.await;
        for chain in self.chains {
            chain.stop().await;
        }
    }
}

/// Starts every chain of `config` concurrently (or connects to those of its chains file),
/// readies them for runs, starts the supervisor and relayer, then the admin server.
pub async fn spawn(config: Config) -> Result<Devnet, DevnetError> {
    let scratch = tempfile::Builder::new()
        .prefix("interplay-devnet-")
        .tempdir()
        .map_err(DevnetError::Wait)?;
    let (chains, file) = match &config.chains_file {
        Some(file) => {
            setup::check_keys(file)?;
            let waits = file
                .chains
                .iter()
                .map(|c| setup::wait_for_chain(&c.rpc_url, c.chain_id, config.startup_timeout));
            for result in futures::future::join_all(waits).await {
                result?;
            }
            (Vec::new(), file.clone())
        }
        None => {
            let accounts_file = scratch.path().join("anvil-accounts.json");
            let chains = start_anvils(&config, &accounts_file).await?;
            let accounts = chains
                .first()
                .map(|c| c.dev_accounts.clone())
                .unwrap_or_default();
            let file = local_chains_file(&config, &chains, accounts);
            match file {
                Ok(file) => (chains, file),
                Err(err) => {
                    for chain in chains {
                        chain.stop().await;
                    }
                    return Err(err);
                }
            }
        }
    };
    // From here on, dropping `chains` on an error kills the anvils.
    let prepared = if config.deploy {
        Some(setup::prepare(&file, config.chains_file.is_none()).await?)
    } else {
        None
    };
    let relayer = match &prepared {
        Some(p) if config.supervise => Some(RelayerHandle::start(RelayerConfig {
            chains: p.relay_chains.clone(),
            supervisor_key: p.supervisor_key.clone(),
            relayer_key: file.relayer_key.clone(),
            relay: config.relay,
            state: config
                .relayer_state
                .clone()
                .unwrap_or_else(|| scratch.path().join("relayer-state.json")),
            poll: config.relay_poll(),
            batch: relayer::DEFAULT_BATCH,
            max_attempts: relayer::DEFAULT_MAX_ATTEMPTS,
        })?),
        _ => None,
    };
    // Only the devnet's own anvils: a chain of `--config` is someone else's to price.
    let held: Vec<(String, u128)> = chains
        .iter()
        .enumerate()
        .filter_map(|(i, c)| config.base_fee(i).map(|wei| (c.rpc_url.clone(), wei)))
        .collect();
    let fees = (!held.is_empty()).then(|| fees::FeeKeeper::start(held, config.relay_poll()));
    let manifest = Arc::new(Manifest {
        version: MANIFEST_VERSION,
        chains: file
            .chains
            .iter()
            .map(|c| Chain {
                chain_id: c.chain_id,
                name: c
                    .name
                    .clone()
                    .unwrap_or_else(|| format!("devnet-{}", c.chain_id)),
                rpc_url: c.rpc_url.clone(),
            })
            .collect(),
        block_time: file.block_time,
        accounts: file.accounts.clone(),
        contracts: prepared.as_ref().map(|p| p.contracts.clone()),
    });
    if let Some(path) = &config.manifest_out {
        write_manifest(path, &manifest)?;
    }
    let (stop_admin, stop_rx) = watch::channel(false);
    let (admin_addr, admin) = admin::serve(
        &config.host,
        config.admin_port,
        manifest.clone(),
        relayer.as_ref().map(|r| r.status.clone()),
        stop_rx,
    )
    .await?;
    tracing::info!(target: "devnet", url = %format!("http://{admin_addr}/manifest.json"), "manifest served");
    Ok(Devnet {
        manifest,
        admin_addr,
        chains,
        stop_admin,
        admin,
        relayer,
        fees,
        supervisor_key: prepared.and_then(|p| p.supervisor_key),
        _scratch: scratch,
    })
}

/// Starts the anvils of `config`. Free ports are picked then released, so another process may
/// take one in between: with picked ports, a busy port means picking again.
async fn start_anvils(
    config: &Config,
    accounts_file: &std::path::Path,
) -> Result<Vec<AnvilChain>, DevnetError> {
    let mut attempt = 1;
    loop {
        match start_anvils_once(config, accounts_file).await {
            Err(DevnetError::PortInUse { .. } | DevnetError::ChainExited { .. })
                if config.first_rpc_port == 0 && attempt < 3 =>
            {
                attempt += 1;
            }
            result => return result,
        }
    }
}

/// Starts the anvils of `config` once; on any failure, stops those that started.
async fn start_anvils_once(
    config: &Config,
    accounts_file: &std::path::Path,
) -> Result<Vec<AnvilChain>, DevnetError> {
    let ports = config.rpc_ports().map_err(DevnetError::Wait)?;
    // A node already on a port would answer our readiness check in the new chain's place.
    for (chain_id, &port) in config.chain_ids().zip(&ports) {
        if std::net::TcpListener::bind((config.host.as_str(), port)).is_err() {
            return Err(DevnetError::PortInUse { chain_id, port });
        }
    }
    let starts = config
        .chain_ids()
        .zip(&ports)
        .enumerate()
        .map(|(i, (chain_id, &port))| {
            let spec = anvil::AnvilSpec {
                anvil: &config.anvil,
                chain_id,
                host: &config.host,
                port,
                block_time: config.block_time,
                config_out: (i == 0).then_some(accounts_file),
                base_fee: config.base_fee(i),
            };
            AnvilChain::start(spec, config.startup_timeout)
        });
    let mut chains = Vec::with_capacity(ports.len());
    let mut first_error = None;
    for result in futures::future::join_all(starts).await {
        match result {
            Ok(chain) => chains.push(chain),
            Err(err) => first_error = first_error.or(Some(err)),
        }
    }
    if let Some(err) = first_error {
        for chain in chains {
            chain.stop().await;
        }
        return Err(err);
    }
    Ok(chains)
}

/// The devnet's own chains as a chains file: anvil's dev account #7 deploys (public, as anyone
/// may deploy); the relayer's key is random, the supervisor's is `config`'s or random.
fn local_chains_file(
    config: &Config,
    chains: &[AnvilChain],
    accounts: Vec<DevAccount>,
) -> Result<ChainsFile, DevnetError> {
    let key = |i: usize| {
        accounts
            .get(i)
            .map(|a| a.private_key.clone())
            .ok_or_else(|| DevnetError::Key {
                what: "anvil dev accounts",
                reason: format!("expected at least {} accounts", i + 1),
            })
    };
    Ok(ChainsFile {
        chains: chains
            .iter()
            .map(|c| FileChain {
                chain_id: c.chain_id,
                rpc_url: c.rpc_url.clone(),
                name: None,
            })
            .collect(),
        // Not a dev account: the app's burner wallet may use any of those, and would take the
        // relayer's nonces from under it.
        relayer_key: alloy::signers::local::PrivateKeySigner::random()
            .to_bytes()
            .to_string(),
        deployer_key: Some(key(DEPLOYER_ACCOUNT)?),
        supervisor_key: config.supervisor_key.clone(),
        attest: Attest::Auto,
        install_predeploys: true,
        contracts: Default::default(),
        block_time: config.block_time_secs(),
        accounts,
    })
}

fn write_manifest(path: &std::path::Path, manifest: &Manifest) -> Result<(), DevnetError> {
    let err = |source| DevnetError::WriteManifest {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let json = serde_json::to_vec_pretty(manifest).map_err(|e| err(e.into()))?;
    // Write then rename, so a reader never sees half a manifest.
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, json).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}
