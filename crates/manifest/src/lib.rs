//! The devnet manifest: the one description of a running devnet that the devnet writes and the
//! app, the relayer and the tests read, so none of them hard-codes ports or chain ids.

use serde::{Deserialize, Serialize};

/// Manifest format version; bump when a field changes meaning.
pub const MANIFEST_VERSION: u32 = 1;

/// Where the devnet serves its manifest by default (supersim's admin port).
pub const DEFAULT_ADMIN_PORT: u16 = 8420;

/// First chain id and first RPC port, as supersim's L2s use them.
pub const FIRST_CHAIN_ID: u64 = 901;
/// See [`FIRST_CHAIN_ID`].
pub const FIRST_RPC_PORT: u16 = 9545;

/// A running devnet, as its supervisor describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    pub chains: Vec<Chain>,
    /// Seconds between blocks on every chain (0 = mine on each transaction).
    pub block_time: u64,
    /// Pre-funded development accounts (anvil's well-known mnemonic).
    pub accounts: Vec<DevAccount>,
    /// Where the contracts are (the same address on every chain), once deployed.
    #[serde(default)]
    pub contracts: Option<Contracts>,
}

/// Contract addresses, `0x`-hex, identical on every chain of the devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contracts {
    pub interop_pow: String,
    pub worker: String,
    /// `L2ToL2CrossDomainMessenger` predeploy.
    pub messenger: String,
    /// `CrossL2Inbox` predeploy.
    pub inbox: String,
    /// The account that attests source logs on each inbox (the devnet's supervisor; its key
    /// is never published). Zero when the chains' own inboxes validate messages (supersim).
    pub supervisor: String,
    /// The account the devnet's auto-relayer sends relays from.
    pub relayer: String,
}

/// One chain of the devnet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chain {
    pub chain_id: u64,
    pub name: String,
    pub rpc_url: String,
}

/// A funded development account. The private key is public knowledge (anvil's defaults) and
/// exists only so a devnet can be driven without a browser wallet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevAccount {
    pub address: String,
    pub private_key: String,
}

impl Manifest {
    /// The chain with this id, if the devnet runs it.
    pub fn chain(&self, chain_id: u64) -> Option<&Chain> {
        self.chains.iter().find(|c| c.chain_id == chain_id)
    }
}

/// `GET /relayer` format version; bump when a field changes meaning.
pub const RELAYER_REPORT_VERSION: u32 = 1;

/// What the devnet's relayer is doing, served as `GET /relayer` next to the manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayerReport {
    pub version: u32,
    /// Whether this devnet runs a relayer at all (`false`: every list is empty).
    pub running: bool,
    /// Messages found on their source chains.
    pub seen: u64,
    pub attested: u64,
    pub relayed: u64,
    /// Found already relayed (by an earlier run, or by someone else).
    pub already_relayed: u64,
    /// Failed attempts, all messages together.
    pub failures: u64,
    /// Chains whose RPC failed on the last attempt (chain id as a string key), with the reason.
    pub unreachable: std::collections::BTreeMap<u64, String>,
    /// Seen, not relayed yet; retried with backoff.
    pub pending: Vec<RelayMessage>,
    /// Set aside because no relay can succeed as things stand (`kind` says why).
    pub parked: Vec<RelayMessage>,
    /// Dead letters: they failed the most times allowed and are no longer tried.
    pub dead: Vec<RelayMessage>,
}

/// One message in a [`RelayerReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayMessage {
    pub source: u64,
    /// Decimal: a message may name a chain id beyond 64 bits.
    pub destination: String,
    /// The messenger's `successfulMessages` key, `0x`-prefixed hex.
    pub hash: String,
    /// Where its `SentMessage` log is on the source chain.
    pub block: u64,
    pub log_index: u64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Parked and dead messages: `unrelayable`, `unknown_chain` or `retries_exhausted`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Pending: the last failure, if any; parked and dead: why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Supersim-compatible layout of `n` local chains: ids 901, 902, … on ports 9545, 9546, …
pub fn local_chains(n: u16, host: &str) -> Vec<Chain> {
    (0..n)
        .map(|i| {
            let chain_id = FIRST_CHAIN_ID + u64::from(i);
            Chain {
                chain_id,
                name: format!("devnet-{chain_id}"),
                rpc_url: format!("http://{host}:{}", FIRST_RPC_PORT + i),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_chains_follow_supersim_layout() {
        let chains = local_chains(3, "127.0.0.1");
        let ids: Vec<_> = chains.iter().map(|c| c.chain_id).collect();
        assert_eq!(ids, [901, 902, 903]);
        assert_eq!(chains[2].rpc_url, "http://127.0.0.1:9547");
    }

    #[test]
    fn manifest_round_trips_through_json() {
        let manifest = Manifest {
            version: MANIFEST_VERSION,
            chains: local_chains(2, "localhost"),
            block_time: 1,
            accounts: vec![DevAccount {
                address: "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266".into(),
                private_key: "0xac09".into(),
            }],
            contracts: None,
        };
        let json = serde_json::to_string(&manifest).expect("serialize");
        let back: Manifest = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, manifest);
        assert_eq!(
            back.chain(902).map(|c| c.rpc_url.as_str()),
            Some("http://localhost:9546")
        );
        assert!(back.chain(999).is_none());
    }
}
