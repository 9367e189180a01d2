//! `--config <file>`: existing chains (a supersim, a real interop devnet, anvils started
//! elsewhere) for the devnet to supervise, relay between and describe in its manifest, instead
//! of chains it starts itself. TOML or JSON with the same fields; see the crate's README.

use std::path::Path;

use alloy::primitives::Address;
use interplay_manifest::DevAccount;
use serde::{Deserialize, Serialize};

/// The contents of a `--config` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainsFile {
    pub chains: Vec<FileChain>,
    /// Signs relays; must be funded on every chain. Anyone may relay, so a dev key is fine.
    pub relayer_key: String,
    /// Deploys `InteropPoW` and `Worker` where they are missing (default: `relayer_key`).
    #[serde(default)]
    pub deployer_key: Option<String>,
    /// Attests messages on inboxes that need it. Default: a random key, funded with
    /// `anvil_setBalance`. Never published.
    #[serde(default)]
    pub supervisor_key: Option<String>,
    /// Whether inboxes need the supervisor's attestations.
    #[serde(default)]
    pub attest: Attest,
    /// On a chain without the messenger predeploy, install the devnet's messenger and inbox
    /// (`anvil_setCode`, so anvil only); otherwise such a chain is an error.
    #[serde(default = "yes")]
    pub install_predeploys: bool,
    /// Where the contracts are; missing ones are deployed through the CREATE2 deployer.
    #[serde(default)]
    pub contracts: FileContracts,
    /// Accounts the manifest publishes for the app's burner wallet (their keys become public).
    #[serde(default)]
    pub accounts: Vec<DevAccount>,
    /// Seconds between blocks, for the manifest.
    #[serde(default = "two")]
    pub block_time: u64,
}

/// One chain of a [`ChainsFile`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileChain {
    pub chain_id: u64,
    pub rpc_url: String,
    /// Display name (default: `chain-<id>`).
    #[serde(default)]
    pub name: Option<String>,
}

/// Contract addresses of a [`ChainsFile`]: the same on every chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileContracts {
    #[serde(default)]
    pub interop_pow: Option<Address>,
    #[serde(default)]
    pub worker: Option<Address>,
}

/// Which inboxes need the supervisor to attest each message before it can be relayed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Attest {
    /// Those that are the devnet's `CrossL2Inbox` (found by its code); an OP chain's own
    /// inbox (supersim) validates messages itself.
    #[default]
    Auto,
    Always,
    Never,
}

fn yes() -> bool {
    true
}

fn two() -> u64 {
    2
}

#[derive(Debug, thiserror::Error)]
pub enum ChainsFileError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Parse { path: String, reason: String },
}

impl ChainsFile {
    /// Reads a `.json` file as JSON, anything else as TOML.
    pub fn load(path: &Path) -> Result<Self, ChainsFileError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChainsFileError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let json = path.extension().is_some_and(|e| e == "json");
        Self::parse(&text, json).map_err(|reason| ChainsFileError::Parse {
            path: path.display().to_string(),
            reason,
        })
    }

    pub fn parse(text: &str, json: bool) -> Result<Self, String> {
        let file: Self = if json {
            serde_json::from_str(text).map_err(|e| e.to_string())?
        } else {
            toml::from_str(text).map_err(|e| e.to_string())?
        };
        if file.chains.is_empty() {
            return Err("`chains` lists no chain".into());
        }
        let mut ids: Vec<u64> = file.chains.iter().map(|c| c.chain_id).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("chain {} is listed twice", w[0]));
        }
        Ok(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOML: &str = r#"
relayer_key = "0x01"
attest = "never"

[contracts]
worker = "0x00000000000000000000000000000000000000aa"

[[chains]]
chain_id = 901
rpc_url = "http://127.0.0.1:9545"

[[chains]]
chain_id = 902
rpc_url = "http://127.0.0.1:9546"
name = "B"
"#;

    #[test]
    fn toml_and_json_read_the_same_fields_with_defaults() {
        let file = ChainsFile::parse(TOML, false).expect("toml");
        assert_eq!(file.chains.len(), 2);
        assert_eq!(file.chains[1].name.as_deref(), Some("B"));
        assert_eq!(file.attest, Attest::Never);
        assert!(file.install_predeploys);
        assert_eq!(file.block_time, 2);
        assert_eq!(file.contracts.interop_pow, None);
        assert!(file.contracts.worker.is_some());
        let json = serde_json::to_string(&file).expect("json");
        assert_eq!(ChainsFile::parse(&json, true).expect("json"), file);
    }

    #[test]
    fn mistakes_are_refused_with_the_reason() {
        let err =
            ChainsFile::parse("relayer_key = \"0x01\"\nchains = []", false).expect_err("empty");
        assert!(err.contains("no chain"), "{err}");
        let twice = TOML.replace("chain_id = 902", "chain_id = 901");
        let err = ChainsFile::parse(&twice, false).expect_err("twice");
        assert!(err.contains("901"), "{err}");
        let typo = TOML.replace("attest", "atest");
        let err = ChainsFile::parse(&typo, false).expect_err("typo");
        assert!(err.contains("atest"), "{err}");
        let err = ChainsFile::parse("[[chains]]\nchain_id = 1\nrpc_url = \"x\"", false)
            .expect_err("no relayer key");
        assert!(err.contains("relayer_key"), "{err}");
    }
}
