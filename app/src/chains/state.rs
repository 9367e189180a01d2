//! What the Chains panel shows: the devnet, each chain's head and health, and every chain
//! event read so far.

use std::collections::BTreeMap;

use alloy::primitives::U256;
use interplay_manifest::Manifest;
use leptos::prelude::*;

pub use super::error::ChainError;
use super::{client::Clients, events::ChainEvent};

/// One chain's live view.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainView {
    pub chain_id: u64,
    pub name: String,
    pub rpc_url: String,
    pub block: Option<u64>,
    pub error: Option<ChainError>,
    /// The connected account's balance here, when known.
    pub balance: Option<U256>,
    /// The latest block's base fee (wei), when read.
    pub base_fee: Option<u128>,
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
                balance: None,
                base_fee: None,
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

/// The `k` chains with the lowest base fee now (ties by id; chains whose fee is not read yet
/// come last), in the manifest's order.
pub fn cheapest(chains: &[ChainView], k: usize) -> Vec<u64> {
    let mut by_fee: Vec<&ChainView> = chains.iter().collect();
    by_fee.sort_by_key(|c| (c.base_fee.unwrap_or(u128::MAX), c.chain_id));
    let picked: Vec<u64> = by_fee.iter().take(k).map(|c| c.chain_id).collect();
    chains
        .iter()
        .map(|c| c.chain_id)
        .filter(|id| picked.contains(id))
        .collect()
}

/// The chain side's state, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct ChainsState {
    pub manifest_url: RwSignal<String>,
    pub manifest: RwSignal<Option<Result<Manifest, ChainError>>>,
    pub clients: RwSignal<Option<Clients>>,
    pub chains: RwSignal<Vec<ChainView>>,
    /// Every event of our contracts read from any chain, in the order read.
    pub events: RwSignal<Vec<ChainEvent>>,
}

impl ChainsState {
    pub fn new(manifest_url: String) -> Self {
        Self {
            manifest_url: RwSignal::new(manifest_url),
            manifest: RwSignal::new(None),
            clients: RwSignal::new(None),
            chains: RwSignal::new(Vec::new()),
            events: RwSignal::new(Vec::new()),
        }
    }

    /// The devnet's block time (s), 1 until the manifest is read.
    pub fn block_time(&self) -> u64 {
        self.manifest
            .with_untracked(|m| {
                m.as_ref()
                    .and_then(|r| r.as_ref().ok())
                    .map(|m| m.block_time)
            })
            .unwrap_or(1)
    }

    /// Each chain's latest block.
    pub fn heads(&self) -> BTreeMap<u64, u64> {
        self.chains.with(|chains| heads_of(chains))
    }

    pub fn heads_untracked(&self) -> BTreeMap<u64, u64> {
        self.chains.with_untracked(|chains| heads_of(chains))
    }
}

fn heads_of(chains: &[ChainView]) -> BTreeMap<u64, u64> {
    chains
        .iter()
        .filter_map(|c| c.block.map(|b| (c.chain_id, b)))
        .collect()
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

    #[test]
    fn the_cheapest_chains_by_base_fee_in_manifest_order() {
        let manifest = Manifest {
            version: 1,
            chains: interplay_manifest::local_chains(4, "127.0.0.1"),
            block_time: 1,
            accounts: vec![],
            contracts: None,
        };
        let mut chains = ChainView::from_manifest(&manifest);
        for (c, fee) in chains.iter_mut().zip([Some(3), Some(1), None, Some(2)]) {
            c.base_fee = fee;
        }
        assert_eq!(cheapest(&chains, 2), [902, 904]);
        assert_eq!(cheapest(&chains, 3), [901, 902, 904]);
        assert_eq!(cheapest(&chains, 9), [901, 902, 903, 904]);
        assert_eq!(cheapest(&chains, 0), Vec::<u64>::new());
    }
}
