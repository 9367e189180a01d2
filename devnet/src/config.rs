//! What a devnet should look like, before it exists.

use std::{net::TcpListener, path::PathBuf, time::Duration};

use interplay_manifest::{DEFAULT_ADMIN_PORT, FIRST_CHAIN_ID, FIRST_RPC_PORT};

use crate::ChainsFile;

/// How to start a devnet. Build with [`Config::default`] (supersim-compatible ports) or
/// [`Config::test`] (free ports, fast blocks) and refine with the `with_*` methods.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of chains (ids 901, 902, …).
    pub chains: u16,
    /// Existing chains to use instead of starting anvils (`--config`).
    pub chains_file: Option<ChainsFile>,
    /// Interface every server binds to.
    pub host: String,
    /// RPC port of the first chain; chain `i` listens on `first_rpc_port + i`.
    pub first_rpc_port: u16,
    /// Time between blocks (zero = mine only on transactions).
    pub block_time: Duration,
    /// The `anvil` executable.
    pub anvil: PathBuf,
    /// Port of the admin server that serves the manifest (0 = any free port).
    pub admin_port: u16,
    /// Also write the manifest to this file.
    pub manifest_out: Option<PathBuf>,
    /// How long to wait for every chain to answer.
    pub startup_timeout: std::time::Duration,
    /// Install the predeploys and deploy the contracts on every chain.
    pub deploy: bool,
    /// Run the supervisor, which attests each message on inboxes that need it (needs `deploy`).
    pub supervise: bool,
    /// Run the auto-relayer too (needs `supervise`).
    pub relay: bool,
    /// The supervisor's key (default: a random one, funded on each chain, never published).
    pub supervisor_key: Option<String>,
    /// Where the relayer keeps its cursors (default: the devnet's scratch directory).
    pub relayer_state: Option<PathBuf>,
    /// How often the relayer looks for new messages (default: four times a block, 50–250 ms).
    pub relay_poll: Option<std::time::Duration>,
    /// Base fee (wei) each of the devnet's own chains is held at, in chain order; chains past
    /// the list's end (and zeros) are left to EIP-1559.
    pub base_fees: Vec<u128>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            chains: 2,
            chains_file: None,
            host: "127.0.0.1".into(),
            first_rpc_port: FIRST_RPC_PORT,
            block_time: Duration::from_secs(2),
            anvil: default_anvil(),
            admin_port: DEFAULT_ADMIN_PORT,
            manifest_out: None,
            startup_timeout: std::time::Duration::from_secs(30),
            deploy: true,
            supervise: true,
            relay: true,
            supervisor_key: None,
            relayer_state: None,
            relay_poll: None,
            base_fees: Vec::new(),
        }
    }
}

impl Config {
    /// A devnet for tests: free ports (so tests run in parallel), one-second blocks.
    pub fn test() -> Self {
        Self {
            first_rpc_port: 0,
            admin_port: 0,
            block_time: Duration::from_secs(1),
            ..Self::default()
        }
    }

    pub fn with_chains(mut self, chains: u16) -> Self {
        self.chains = chains;
        self
    }

    pub fn with_block_time(mut self, seconds: u64) -> Self {
        self.block_time = Duration::from_secs(seconds);
        self
    }

    /// Sub-second block times, e.g. for tests that need transactions to wait for a block.
    pub fn with_block_interval(mut self, interval: Duration) -> Self {
        self.block_time = interval;
        self
    }

    /// Use the chains of a config file instead of starting anvils.
    pub fn with_chains_file(mut self, file: ChainsFile) -> Self {
        self.chains_file = Some(file);
        self
    }

    pub fn with_supervisor_key(mut self, key: impl Into<String>) -> Self {
        self.supervisor_key = Some(key.into());
        self
    }

    pub fn with_anvil(mut self, anvil: impl Into<PathBuf>) -> Self {
        self.anvil = anvil.into();
        self
    }

    /// Chains only: no contracts, no supervisor, no relayer.
    pub fn bare(mut self) -> Self {
        self.deploy = false;
        self.supervise = false;
        self.relay = false;
        self
    }

    /// Contracts deployed, but neither supervisor nor relayer: tests run their own, with
    /// [`crate::Devnet::supervisor_key`].
    pub fn without_relayer(mut self) -> Self {
        self.supervise = false;
        self.relay = false;
        self
    }

    /// The supervisor attests every message, but nothing relays them: anyone may, by hand.
    pub fn attest_only(mut self) -> Self {
        self.supervise = true;
        self.relay = false;
        self
    }

    /// The manifest's block time: whole seconds, rounded up.
    /// Each hop waits for the relayer to look, so it looks several times a block.
    pub(crate) fn relay_poll(&self) -> Duration {
        self.relay_poll.unwrap_or_else(|| {
            let block = if self.block_time.is_zero() {
                Duration::from_millis(200)
            } else {
                self.block_time
            };
            (block / 4).clamp(Duration::from_millis(50), Duration::from_millis(250))
        })
    }

    pub(crate) fn block_time_secs(&self) -> u64 {
        self.block_time.as_secs_f64().ceil() as u64
    }

    /// Holds chain `i`'s base fee at `wei[i]` (see [`Config::base_fees`]).
    pub fn with_base_fees(mut self, wei: Vec<u128>) -> Self {
        self.base_fees = wei;
        self
    }

    /// The base fee chain `index` is held at, if any.
    pub(crate) fn base_fee(&self, index: usize) -> Option<u128> {
        self.base_fees.get(index).copied().filter(|&w| w > 0)
    }

    pub fn with_manifest_out(mut self, path: impl Into<PathBuf>) -> Self {
        self.manifest_out = Some(path.into());
        self
    }

    /// Chain ids in order.
    pub fn chain_ids(&self) -> impl Iterator<Item = u64> + '_ {
        (0..self.chains).map(|i| FIRST_CHAIN_ID + u64::from(i))
    }

    /// The RPC port of each chain; `first_rpc_port == 0` picks free ports.
    pub(crate) fn rpc_ports(&self) -> std::io::Result<Vec<u16>> {
        if self.first_rpc_port == 0 {
            (0..self.chains).map(|_| free_port(&self.host)).collect()
        } else {
            Ok((0..self.chains).map(|i| self.first_rpc_port + i).collect())
        }
    }
}

/// `anvil` as the project's npm install puts it, else whatever is on `PATH`.
fn default_anvil() -> PathBuf {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/anvil");
    if local.exists() {
        local
    } else {
        PathBuf::from("anvil")
    }
}

fn free_port(host: &str) -> std::io::Result<u16> {
    Ok(TcpListener::bind((host, 0))?.local_addr()?.port())
}
