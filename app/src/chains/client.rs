//! Reads: one HTTP provider per chain, built once from the manifest and shared by every part of
//! the chain side (heads, balances, logs, simulations, receipts).

use std::{collections::BTreeMap, sync::Arc};

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder, RootProvider},
};
use interplay_manifest::Manifest;

use super::error::ChainError;

/// Where the contracts are; the same address on every chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub interop_pow: Address,
    pub worker: Address,
    pub messenger: Address,
}

impl Addresses {
    pub fn from_manifest(manifest: &Manifest) -> Result<Self, ChainError> {
        let contracts = manifest
            .contracts
            .as_ref()
            .ok_or_else(|| ChainError::BadManifest("it lists no contracts".into()))?;
        let parse = |what: &str, hex: &str| {
            hex.parse::<Address>()
                .map_err(|e| ChainError::BadManifest(format!("{what} address {hex}: {e}")))
        };
        Ok(Self {
            interop_pow: parse("InteropPoW", &contracts.interop_pow)?,
            worker: parse("Worker", &contracts.worker)?,
            messenger: parse("messenger", &contracts.messenger)?,
        })
    }
}

/// One chain's reader.
#[derive(Debug, Clone)]
pub struct ChainClient {
    pub chain_id: u64,
    pub name: String,
    pub rpc_url: String,
    pub provider: RootProvider,
}

impl ChainClient {
    pub fn rpc_down(&self, err: impl std::fmt::Display) -> ChainError {
        ChainError::RpcDown {
            url: self.rpc_url.clone(),
            reason: err.to_string(),
        }
    }
}

/// Every chain's reader, cheap to clone.
#[derive(Debug, Clone)]
pub struct Clients {
    chains: Arc<BTreeMap<u64, ChainClient>>,
    pub addresses: Option<Addresses>,
    pub manifest: Arc<Manifest>,
}

impl Clients {
    pub fn new(manifest: Manifest) -> Result<Self, ChainError> {
        let mut chains = BTreeMap::new();
        for chain in &manifest.chains {
            let url = chain.rpc_url.parse().map_err(|e| {
                ChainError::BadManifest(format!(
                    "RPC url {} of chain {}: {e}",
                    chain.rpc_url, chain.chain_id
                ))
            })?;
            chains.insert(
                chain.chain_id,
                ChainClient {
                    chain_id: chain.chain_id,
                    name: chain.name.clone(),
                    rpc_url: chain.rpc_url.clone(),
                    // Reads only (writers are the wallet's and the burner's): no fillers, and
                    // not erased, so only the methods the page calls are in its wasm.
                    provider: ProviderBuilder::default().connect_http(url),
                },
            );
        }
        let addresses = manifest
            .contracts
            .as_ref()
            .map(|_| Addresses::from_manifest(&manifest))
            .transpose()?;
        Ok(Self {
            chains: Arc::new(chains),
            addresses,
            manifest: Arc::new(manifest),
        })
    }

    pub fn chain(&self, chain_id: u64) -> Result<&ChainClient, ChainError> {
        self.chains
            .get(&chain_id)
            .ok_or(ChainError::UnknownChain(chain_id))
    }

    pub fn chain_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.chains.keys().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &ChainClient> {
        self.chains.values()
    }

    pub fn addresses(&self) -> Result<Addresses, ChainError> {
        self.addresses.ok_or(ChainError::BadManifest(
            "the devnet has not deployed the contracts yet".into(),
        ))
    }

    /// Fails with [`ChainError::ContractsMissing`] when chain A has no InteropPoW, or a chain
    /// of the run no Worker: a request to an address without code "succeeds" and nothing
    /// ever reports.
    /// `worker` is the run's (the devnet's Worker unless the form names another).
    pub async fn check_contracts(
        &self,
        chain_a: u64,
        chains: &[u64],
        worker: Address,
    ) -> Result<(), ChainError> {
        let addresses = self.addresses()?;
        let name = if worker == addresses.worker {
            "Worker"
        } else {
            "the run's worker"
        };
        let wanted = std::iter::once((chain_a, addresses.interop_pow, "InteropPoW"))
            .chain(chains.iter().map(|&c| (c, worker, name)));
        let checks = wanted.map(|(chain_id, address, contract)| async move {
            let chain = self.chain(chain_id)?;
            let code = chain
                .provider
                .get_code_at(address)
                .await
                .map_err(|e| chain.rpc_down(e))?;
            if code.is_empty() {
                Err(ChainError::ContractsMissing { chain_id, contract })
            } else {
                Ok(())
            }
        });
        futures::future::try_join_all(checks).await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use interplay_manifest::{Contracts, local_chains};

    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            version: 1,
            chains: local_chains(3, "127.0.0.1"),
            block_time: 1,
            accounts: vec![],
            contracts: Some(Contracts {
                interop_pow: "0x00000000000000000000000000000000000000a1".into(),
                worker: "0x00000000000000000000000000000000000000b2".into(),
                messenger: "0x4200000000000000000000000000000000000023".into(),
                inbox: "0x4200000000000000000000000000000000000022".into(),
                supervisor: "0x0000000000000000000000000000000000000000".into(),
                relayer: "0x0000000000000000000000000000000000000000".into(),
            }),
        }
    }

    #[test]
    fn one_reader_per_chain_and_parsed_addresses() {
        let clients = Clients::new(manifest()).expect("valid manifest");
        assert_eq!(clients.chain_ids().collect::<Vec<_>>(), [901, 902, 903]);
        assert_eq!(
            clients.chain(902).expect("902").rpc_url,
            "http://127.0.0.1:9546"
        );
        assert!(matches!(
            clients.chain(999),
            Err(ChainError::UnknownChain(999))
        ));
        let a = clients.addresses().expect("addresses");
        assert_eq!(
            a.worker,
            "0x00000000000000000000000000000000000000b2"
                .parse::<Address>()
                .expect("hex")
        );
    }

    #[test]
    fn a_bad_address_names_the_contract() {
        let mut m = manifest();
        if let Some(c) = m.contracts.as_mut() {
            c.worker = "0x12".into();
        }
        let err = Clients::new(m).expect_err("bad address");
        assert!(err.to_string().contains("Worker"), "{err}");
    }
}
