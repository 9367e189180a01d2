//! Scanning: reads each chain's `SentMessage` logs past its cursor, notices a chain that was
//! reset, records what it finds as pending, and checks that what was relayed to the chain is still
//! there once its scan has covered the relays' blocks.

use std::collections::BTreeMap;

use alloy::{eips::BlockId, providers::Provider, rpc::types::Filter, sol_types::SolEvent};
use futures::future::join_all;
use interplay_contracts::{
    L2ToL2CrossDomainMessenger, deploy::L2_TO_L2_MESSENGER, interop::SentMessage,
};

use super::{
    LOG_RANGE, RPC_TIMEOUT, RelayError, Relayer,
    state::{Cursor, MessageKey, ParkKind, Pending},
};

impl Relayer {
    /// Scans every chain once; whether some chain has more blocks to read right away.
    pub(super) async fn scan_all(&mut self) -> bool {
        let mut behind = false;
        let ids: Vec<u64> = self.chains.keys().copied().collect();
        for chain in ids {
            match tokio::time::timeout(RPC_TIMEOUT, self.scan(chain)).await {
                Ok(Ok(more)) => {
                    self.reachable(chain);
                    behind |= more;
                }
                Ok(Err(err)) => self.unreachable(chain, err.to_string()),
                Err(_) => self.unreachable(chain, RelayError::TimedOut(RPC_TIMEOUT).to_string()),
            }
        }
        behind
    }

    /// Reads the next window of `chain`'s blocks; whether more blocks are already there.
    async fn scan(&mut self, chain: u64) -> Result<bool, RelayError> {
        let client = &self.chains[&chain];
        let provider = client.relayer.provider.clone();
        let head = provider
            .get_block_number()
            .await
            .map_err(RelayError::from_transport)?;
        let mut cursor = self.cursors.get(&chain).copied().unwrap_or_default();
        // Checked at every scan, not only at start: a chain reset and re-mined past the cursor
        // between two scans shows only in the hash of the last block read.
        let mut read = Vec::new();
        if cursor.next_block > 0 {
            read.push((cursor.next_block - 1, cursor.last_hash));
        }
        if let Some((block, hash)) = cursor.checkpoint {
            read.push((block, Some(hash)));
        }
        for (number, known) in read {
            let block = provider
                .get_block_by_number(number.into())
                .await
                .map_err(RelayError::from_transport)?;
            let reset = match (&block, known) {
                (None, _) => Some("the cursor is beyond the chain's head"),
                (Some(b), Some(hash)) if b.header.hash != hash => {
                    Some("the last block scanned has changed")
                }
                _ => None,
            };
            if let Some(why) = reset {
                let dropped = self.forget_source(chain);
                // What was relayed to it may be gone too, and relayed messages are forgotten:
                // every chain is read again, and the relay rounds skip what is still relayed.
                self.relayed.retain(|_, p| p.destination != chain);
                for other in self.cursors.values_mut() {
                    let checkpoint = match (other.next_block.checked_sub(1), other.last_hash) {
                        (Some(block), Some(hash)) => Some((block, hash)),
                        _ => None,
                    };
                    *other = Cursor {
                        checkpoint: other.checkpoint.or(checkpoint),
                        ..Cursor::default()
                    };
                }
                tracing::warn!(target: "relayer", chain, cursor = cursor.next_block, head, dropped, "{why} (was the chain reset?); rescanning every chain from block 0 for messages from and to it");
                cursor = Cursor::default();
                self.cursors.insert(chain, cursor);
                self.dirty = true;
                break;
            }
        }
        if cursor.next_block > head {
            self.confirm_relayed(chain, cursor).await?;
            return Ok(false);
        }
        let to = head.min(cursor.next_block + LOG_RANGE - 1);
        let filter = Filter::new()
            .address(L2_TO_L2_MESSENGER)
            .event_signature(L2ToL2CrossDomainMessenger::SentMessage::SIGNATURE_HASH)
            .from_block(cursor.next_block)
            .to_block(to);
        let logs = provider
            .get_logs(&filter)
            .await
            .map_err(RelayError::from_transport)?;
        let mut timestamps = BTreeMap::new();
        for log in &logs {
            let Some(block) = log.block_number else {
                continue;
            };
            if let std::collections::btree_map::Entry::Vacant(e) = timestamps.entry(block) {
                let header = provider
                    .get_block_by_number(block.into())
                    .await
                    .map_err(RelayError::from_transport)?
                    .ok_or_else(|| RelayError::Rpc(format!("block {block} is missing")))?;
                e.insert(header.header.timestamp);
            }
            let Some(message) = SentMessage::from_log(log, chain, timestamps[&block]) else {
                continue;
            };
            let key = MessageKey::of(&message);
            match self.known_hash(&key) {
                Some(hash) if hash == message.hash => continue,
                // Another message where one was seen before: the chain changed under us.
                Some(old) => {
                    tracing::warn!(target: "relayer", source = chain, block, %old, new = %message.hash, "a different message where one was seen; the new one replaces it");
                    self.forget(&key);
                }
                None => {}
            }
            tracing::info!(target: "relayer", source = chain, destination = %message.destination, block, hash = %message.hash, "message sent");
            self.status.send_modify(|s| s.seen += 1);
            match u64::try_from(message.destination) {
                Ok(destination) => {
                    self.pending.insert(key, Pending::new(message, destination));
                }
                Err(_) => self.park(
                    message,
                    0,
                    ParkKind::Unrelayable,
                    "its destination chain id is beyond 64 bits".into(),
                ),
            }
        }
        let last = provider
            .get_block_by_number(to.into())
            .await
            .map_err(RelayError::from_transport)?
            .ok_or_else(|| RelayError::Rpc(format!("block {to} is missing")))?;
        let cursor = Cursor {
            next_block: to + 1,
            last_hash: Some(last.header.hash),
            // Once passed, the last block's hash covers it.
            checkpoint: cursor.checkpoint.filter(|(block, _)| *block > to),
        };
        self.cursors.insert(chain, cursor);
        self.dirty = true;
        if to == head {
            self.confirm_relayed(chain, cursor).await?;
        }
        Ok(to < head)
    }

    /// Checks the messages relayed to `chain` at the block its cursor ends on, which this scan
    /// read and whose hash the cursor keeps. A relay found there is in a block a reset cannot take
    /// without changing that one, which every scan checks; a relay not found there was taken by a
    /// reset the cursor did not reach, and its message is pending again.
    async fn confirm_relayed(&mut self, chain: u64, cursor: Cursor) -> Result<(), RelayError> {
        let Some(at) = cursor.last_hash else {
            return Ok(());
        };
        let todo: Vec<(MessageKey, alloy::primitives::B256)> = self
            .relayed
            .iter()
            .filter(|(_, p)| p.destination == chain)
            .map(|(k, p)| (*k, p.message.hash))
            .collect();
        if todo.is_empty() {
            return Ok(());
        }
        let provider = self.chains[&chain].relayer.provider.clone();
        let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, &provider);
        let checks = join_all(todo.iter().map(|(_, hash)| async {
            messenger
                .successfulMessages(*hash)
                .block(BlockId::from(at))
                .call()
                .await
        }))
        .await;
        for ((key, hash), check) in todo.into_iter().zip(checks) {
            if !check.map_err(RelayError::from_call)? {
                tracing::warn!(target: "relayer", destination = chain, %hash, "a relay is gone from its destination (was the chain reset?); relaying it again");
                if let Some(mut p) = self.relayed.remove(&key) {
                    p.next_try = std::time::Instant::now();
                    self.pending.insert(key, p);
                }
            } else {
                self.relayed.remove(&key);
            }
            self.dirty = true;
        }
        Ok(())
    }
}
