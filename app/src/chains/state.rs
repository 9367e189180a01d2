//! What the Chains panel shows.

use interplay_manifest::Manifest;
use leptos::prelude::*;

/// Everything that can go wrong reading the chains; shown to the user as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("devnet not reachable at {url} ({reason}); start it with ./scripts/play.sh")]
    DevnetUnreachable { url: String, reason: String },
    #[error("the devnet manifest is invalid: {0}")]
    BadManifest(String),
    #[error("RPC {url} is down: {reason}")]
    RpcDown { url: String, reason: String },
}

/// One chain's live view.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainView {
    pub chain_id: u64,
    pub name: String,
    pub rpc_url: String,
    pub block: Option<u64>,
    pub error: Option<ChainError>,
}

impl ChainView {
    pub fn from_manifest(manifest: &Manifest) -> Vec<Self> {
        manifest
            .chains
            .iter()
            .map(|c| Self {
                chain_id: c.chain_id,
                name: c.name.clone(),
                rpc_url: c.rpc_url.clone(),
                block: None,
                error: None,
            })
            .collect()
    }

    /// Records a poll result; a failure keeps the last known block so the user sees where it stopped.
    pub fn observe(&mut self, result: Result<u64, ChainError>) {
        match result {
            Ok(block) => {
                self.block = Some(block);
                self.error = None;
            }
            Err(err) => self.error = Some(err),
        }
    }
}

/// The Chains panel's state, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct ChainsState {
    pub manifest_url: RwSignal<String>,
    pub manifest: RwSignal<Option<Result<Manifest, ChainError>>>,
    pub chains: RwSignal<Vec<ChainView>>,
}

impl ChainsState {
    pub fn new(manifest_url: String) -> Self {
        Self {
            manifest_url: RwSignal::new(manifest_url),
            manifest: RwSignal::new(None),
            chains: RwSignal::new(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_poll_keeps_the_last_block_and_says_why() {
        let manifest = Manifest {
            version: 1,
            chains: interplay_manifest::local_chains(1, "127.0.0.1"),
            block_time: 1,
            accounts: vec![],
            contracts: None,
        };
        let mut chain = ChainView::from_manifest(&manifest).remove(0);
        chain.observe(Ok(7));
        let down = ChainError::RpcDown {
            url: chain.rpc_url.clone(),
            reason: "refused".into(),
        };
        chain.observe(Err(down.clone()));
        assert_eq!(chain.block, Some(7));
        assert_eq!(chain.error, Some(down));
        chain.observe(Ok(8));
        assert_eq!((chain.block, chain.error), (Some(8), None));
    }
}
