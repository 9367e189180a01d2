//! The devnet burner: a dev account from the manifest whose key is public (anvil's), signing
//! locally. Devnet only: the panel labels it so.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use interplay_manifest::Manifest;

use crate::chains::{client::ChainClient, error::ChainError};

/// Account #0: the devnet's own roles use others (#7 deploys, #8 relays).
pub const BURNER_ACCOUNT: usize = 0;

#[derive(Debug, Clone)]
pub struct Burner {
    signer: PrivateKeySigner,
}

impl Burner {
    pub fn from_manifest(manifest: &Manifest) -> Result<Self, ChainError> {
        Self::from_account(manifest, BURNER_ACCOUNT)
    }

    /// Dev account `index` of the manifest.
    pub fn from_account(manifest: &Manifest, index: usize) -> Result<Self, ChainError> {
        let account = manifest
            .accounts
            .get(index)
            .ok_or_else(|| ChainError::BadManifest(format!("it lists no dev account #{index}")))?;
        let signer = account
            .private_key
            .parse()
            .map_err(|e| ChainError::BadManifest(format!("dev key: {e}")))?;
        Ok(Self { signer })
    }

    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// Signs locally, sends over the chain's RPC. Nonces are read from the chain for each
    /// transaction, so a failed send leaves no gap.
    pub fn writer(&self, chain: &ChainClient) -> Result<DynProvider, ChainError> {
        let url = chain
            .rpc_url
            .parse()
            .map_err(|e| ChainError::BadManifest(format!("RPC url {}: {e}", chain.rpc_url)))?;
        Ok(ProviderBuilder::default()
            .with_gas_estimation()
            .with_simple_nonce_management()
            .fetch_chain_id()
            .wallet(EthereumWallet::from(self.signer.clone()))
            .connect_http(url)
            .erased())
    }
}
