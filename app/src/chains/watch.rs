//! `use_chain_watch`: finds the devnet, then follows every chain block by block, reading our
//! contracts' logs as each new block arrives (and the account's balance). It stops when the
//! component that started it is cleaned up.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{Filter, Log},
};
use gloo_timers::future::sleep;
use leptos::{prelude::*, task::spawn_local};

use super::{
    client::{Addresses, ChainClient, Clients},
    events::{self, ChainEvent, EventKind},
    manifest::fetch_manifest,
    state::{ChainError, ChainView, ChainsState},
    wallet::WalletState,
};

const RETRY_MANIFEST: Duration = Duration::from_millis(1000);
/// A quarter of the playground's 200 ms blocks, so a result shows within 50 ms of its block;
/// each poll is one `eth_blockNumber` to a local node.
const POLL: Duration = Duration::from_millis(50);
/// After a failed read: the chain may be down, no need to hammer it.
const RETRY: Duration = Duration::from_millis(600);
/// Logs are read in pieces this large, so a long-lived chain never asks for one huge range.
const MAX_RANGE: u64 = 2_000;
/// A scan this close to the head reads blocks as they arrive: its logs get the app's clock.
const LIVE_BLOCKS: u64 = 3;

/// What to do with a chain whose last scanned block is `scanned`, now at `head`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Wait,
    Scan {
        from: u64,
        to: u64,
    },
    /// The chain went back, or its last block read is another block now (a restarted devnet,
    /// perhaps already past where it was): forget what was read there, scan from 0.
    Reset,
}

/// `still_there`: the last block read has the hash it had when it was read.
pub fn next(scanned: Option<u64>, head: u64, still_there: bool) -> Next {
    match scanned {
        None => Next::Scan {
            from: 0,
            to: head.min(MAX_RANGE - 1),
        },
        Some(last) if head < last || !still_there => Next::Reset,
        Some(last) if head == last => Next::Wait,
        Some(last) => Next::Scan {
            from: last + 1,
            to: head.min(last + MAX_RANGE),
        },
    }
}

/// Starts the watch; its tasks end when the calling owner is cleaned up.
pub fn use_chain_watch(state: ChainsState, wallet: WalletState) {
    let alive = Arc::new(AtomicBool::new(true));
    {
        let alive = alive.clone();
        on_cleanup(move || alive.store(false, Ordering::Relaxed));
    }
    spawn_local(async move {
        let Some(clients) = find_devnet(state, &alive).await else {
            return;
        };
        wallet.set_clients(&clients);
        let addresses = clients.addresses;
        for chain in clients.iter().cloned() {
            spawn_local(follow_chain(state, wallet, chain, addresses, alive.clone()));
        }
    });
}

async fn find_devnet(state: ChainsState, alive: &AtomicBool) -> Option<Clients> {
    while alive.load(Ordering::Relaxed) {
        let url = state.manifest_url.get_untracked();
        let found = match fetch_manifest(&url).await {
            Ok(manifest) => Clients::new(manifest.clone()).map(|c| (manifest, c)),
            Err(err) => Err(err),
        };
        match found {
            Ok((manifest, clients)) => {
                state.chains.set(ChainView::from_manifest(&manifest));
                state.manifest.set(Some(Ok(manifest)));
                state.clients.set(Some(clients.clone()));
                return Some(clients);
            }
            Err(err) => {
                state.manifest.set(Some(Err(err)));
                sleep(RETRY_MANIFEST).await;
            }
        }
    }
    None
}

async fn follow_chain(
    state: ChainsState,
    wallet: WalletState,
    chain: ChainClient,
    addresses: Option<Addresses>,
    alive: Arc<AtomicBool>,
) {
    let id = chain.chain_id;
    // The last block read, and its hash then.
    let mut scanned: Option<(u64, B256)> = None;
    let mut balance_of: Option<(Address, u64)> = None;
    let mut base_fee: Option<u128> = None;
    while alive.load(Ordering::Relaxed) {
        let head = chain
            .provider
            .get_block_number()
            .await
            .map_err(|e| chain.rpc_down(e));
        let Ok(head) = head else {
            update(state, id, |c| c.observe(head));
            sleep(RETRY).await;
            continue;
        };
        // Only when there is something new to read: a chain at rest costs one call a poll.
        let still_there = match scanned {
            Some((block, hash)) if head > block => same_block(&chain, block, hash).await,
            _ => true,
        };
        let step = next(scanned.map(|(b, _)| b), head, still_there);
        if step == Next::Reset {
            state
                .events
                .update(|all| all.retain(|e| e.seen.chain != id));
            scanned = None;
            continue;
        }
        if let Next::Scan { from, to } = step {
            // Its hash before its logs: a reset after this is seen at the next new block.
            let read = match block_head(&chain, to).await {
                Ok(Some((hash, fee))) => {
                    base_fee = fee;
                    match addresses {
                        Some(addresses) => {
                            let live = to == head && to - from < LIVE_BLOCKS;
                            read_events(
                                &chain,
                                &addresses,
                                from,
                                to,
                                live,
                                &state.heads_untracked(),
                            )
                            .await
                            .map(|found| (hash, found))
                        }
                        None => Ok((hash, Vec::new())),
                    }
                }
                // Gone already: the chain went back under us; the next poll resets.
                Ok(None) => {
                    sleep(POLL).await;
                    continue;
                }
                Err(err) => Err(err),
            };
            match read {
                Ok((hash, found)) => {
                    if !found.is_empty() {
                        state.events.update(|all| all.extend(found));
                    }
                    scanned = Some((to, hash));
                }
                Err(err) => {
                    update(state, id, |c| c.error = Some(err));
                    sleep(RETRY).await;
                    continue;
                }
            }
        }
        // The balance only changes with a block, or with another account.
        let account = wallet.status.with_untracked(|s| match s {
            super::wallet::Status::Connected { account, .. } => Some(*account),
            _ => None,
        });
        let balance = match account {
            Some(a) if balance_of != Some((a, head)) => {
                balance_of = Some((a, head));
                chain.provider.get_balance(a).await.ok()
            }
            Some(_) => state
                .chains
                .with_untracked(|cs| cs.iter().find(|c| c.chain_id == id).and_then(|c| c.balance)),
            None => None,
        };
        // Only a change notifies the page: most polls see the same head.
        let changed = state.chains.with_untracked(|cs| {
            cs.iter().find(|c| c.chain_id == id).is_some_and(|c| {
                c.block != Some(head)
                    || c.error.is_some()
                    || c.balance != balance
                    || c.base_fee != base_fee
            })
        });
        if changed {
            update(state, id, |c| {
                c.observe(Ok(head));
                c.balance = balance;
                c.base_fee = base_fee;
            });
            fill_destination_heads(state, id, head);
        }
        if step == Next::Wait || scanned.map(|(b, _)| b) == Some(head) {
            sleep(POLL).await;
        }
    }
}

async fn block_hash(chain: &ChainClient, number: u64) -> Result<Option<B256>, ChainError> {
    Ok(block_head(chain, number).await?.map(|(hash, _)| hash))
}

/// A block's hash and base fee (wei; `None` before EIP-1559).
async fn block_head(
    chain: &ChainClient,
    number: u64,
) -> Result<Option<(B256, Option<u128>)>, ChainError> {
    chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map(|b| b.map(|b| (b.header.hash, b.header.base_fee_per_gas.map(u128::from))))
        .map_err(|e| chain.rpc_down(e))
}

/// Whether block `number` still has `hash` (a failed read says yes: the chain is down, which
/// the next poll shows).
async fn same_block(chain: &ChainClient, number: u64, hash: B256) -> bool {
    match block_hash(chain, number).await {
        Ok(now) => now == Some(hash),
        Err(_) => true,
    }
}

/// Messages to `chain` read before its head was known (a first scan) count from now.
fn fill_destination_heads(state: ChainsState, chain: u64, head: u64) {
    let unknown = |e: &ChainEvent| matches!(e.kind, EventKind::Sent { destination, destination_head: None, .. } if destination == chain);
    if !state.events.with_untracked(|all| all.iter().any(unknown)) {
        return;
    }
    state.events.update(|all| {
        for e in all.iter_mut() {
            if let EventKind::Sent {
                destination,
                destination_head: h @ None,
                ..
            } = &mut e.kind
                && *destination == chain
            {
                *h = Some(head);
            }
        }
    });
}

fn update(state: ChainsState, chain_id: u64, f: impl FnOnce(&mut ChainView)) {
    state.chains.update(|chains| {
        if let Some(c) = chains.iter_mut().find(|c| c.chain_id == chain_id) {
            f(c);
        }
    });
}

/// Our contracts' events in blocks `from..=to`, decoded; `live`: read as they arrived.
async fn read_events(
    chain: &ChainClient,
    addresses: &Addresses,
    from: u64,
    to: u64,
    live: bool,
    heads: &BTreeMap<u64, u64>,
) -> Result<Vec<ChainEvent>, ChainError> {
    let filter = Filter::new()
        .address(vec![
            addresses.messenger,
            addresses.interop_pow,
            addresses.worker,
        ])
        .from_block(from)
        .to_block(to);
    let logs = chain
        .provider
        .get_logs(&filter)
        .await
        .map_err(|e| chain.rpc_down(e))?;
    let now = live.then(js_sys::Date::now);
    let mut out = Vec::with_capacity(logs.len());
    let mut times: BTreeMap<u64, u64> = BTreeMap::new();
    for log in &logs {
        let timestamp = block_time(chain, log, &mut times).await?;
        if let Some(mut event) = events::decode(log, chain.chain_id, timestamp, addresses, now) {
            if let EventKind::Sent {
                destination,
                destination_head,
                ..
            } = &mut event.kind
            {
                *destination_head = heads.get(destination).copied();
            }
            out.push(event);
        }
    }
    Ok(out)
}

/// A log's block timestamp: from the log when the node includes it, else from its block.
async fn block_time(
    chain: &ChainClient,
    log: &Log,
    cache: &mut BTreeMap<u64, u64>,
) -> Result<u64, ChainError> {
    if let Some(t) = log.block_timestamp {
        return Ok(t);
    }
    let Some(number) = log.block_number else {
        return Ok(0);
    };
    if let Some(t) = cache.get(&number) {
        return Ok(*t);
    }
    let block = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Number(number))
        .await
        .map_err(|e| chain.rpc_down(e))?;
    let t = block.map(|b| b.header.timestamp).unwrap_or_default();
    cache.insert(number, t);
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_scan_from_genesis_then_only_new_blocks() {
        assert_eq!(next(None, 5, true), Next::Scan { from: 0, to: 5 });
        assert_eq!(next(Some(5), 5, true), Next::Wait);
        assert_eq!(next(Some(5), 7, true), Next::Scan { from: 6, to: 7 });
    }

    #[test]
    fn a_chain_that_went_back_is_read_again() {
        assert_eq!(next(Some(50), 3, true), Next::Reset);
        // Reset and re-mined past where it was: the last block read is another block now.
        assert_eq!(next(Some(50), 80, false), Next::Reset);
    }

    #[test]
    fn long_chains_are_read_in_pieces() {
        assert_eq!(
            next(None, 10_000, true),
            Next::Scan {
                from: 0,
                to: MAX_RANGE - 1
            }
        );
        assert_eq!(
            next(Some(100), 10_000, true),
            Next::Scan {
                from: 101,
                to: 100 + MAX_RANGE
            }
        );
    }
}
