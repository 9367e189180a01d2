//! Polls the manifest until the devnet answers, then every chain's block number.

use std::time::Duration;

use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use futures::future::join_all;
use gloo_timers::future::sleep;
use leptos::prelude::*;

use super::{
    manifest::fetch_manifest,
    state::{ChainError, ChainView, ChainsState},
};

const POLL: Duration = Duration::from_millis(1000);
const RETRY_MANIFEST: Duration = Duration::from_millis(2000);

/// Runs for the life of the page (spawned once by the App).
pub async fn watch_chains(state: ChainsState) {
    loop {
        let url = state.manifest_url.get_untracked();
        match fetch_manifest(&url).await {
            Ok(manifest) => {
                state.chains.set(ChainView::from_manifest(&manifest));
                state.manifest.set(Some(Ok(manifest)));
                break;
            }
            Err(err) => {
                state.manifest.set(Some(Err(err)));
                sleep(RETRY_MANIFEST).await;
            }
        }
    }
    let providers: Vec<(String, Option<DynProvider>)> = state
        .chains
        .get_untracked()
        .into_iter()
        .map(|c| {
            let provider = c
                .rpc_url
                .parse()
                .ok()
                .map(|url| ProviderBuilder::new().connect_http(url).erased());
            (c.rpc_url, provider)
        })
        .collect();
    loop {
        let polls = providers.iter().map(|(url, provider)| async move {
            let Some(provider) = provider else {
                return Err(ChainError::BadManifest(format!("invalid RPC url {url}")));
            };
            provider
                .get_block_number()
                .await
                .map_err(|e| ChainError::RpcDown {
                    url: url.clone(),
                    reason: e.to_string(),
                })
        });
        let results = join_all(polls).await;
        state.chains.update(|chains| {
            for (chain, result) in chains.iter_mut().zip(results) {
                chain.observe(result);
            }
        });
        sleep(POLL).await;
    }
}
