//! What a relayer (or a test acting as one) derives from a `SentMessage` log, the way the OP
//! messenger and supervisor read it: the relayed payload, the message hash the messenger keeps
//! in `successfulMessages`, and the access list an OP interop chain (supersim) requires on the
//! relay transaction.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    rpc::types::{AccessList, AccessListItem, Log},
    sol_types::SolValue,
};

use crate::{CrossL2Inbox, L2ToL2CrossDomainMessenger, deploy::CROSS_L2_INBOX};

/// One cross-chain message, as found in a `SentMessage` log on its source chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SentMessage {
    pub source: u64,
    pub destination: U256,
    /// Where the log is: origin (the messenger), block, log index, timestamp, source chain.
    pub origin: Address,
    pub block: u64,
    pub log_index: u64,
    pub timestamp: u64,
    /// The log's topics then its data: what `relayMessage` takes.
    pub payload: Bytes,
    /// The messenger's `successfulMessages` key:
    /// `keccak256(abi.encode(destination, source, nonce, sender, target, message))`.
    pub hash: B256,
}

impl SentMessage {
    /// Reads a mined `SentMessage` log of chain `source` whose block has `timestamp`; `None`
    /// for any other log.
    pub fn from_log(log: &Log, source: u64, timestamp: u64) -> Option<Self> {
        let event = log
            .log_decode::<L2ToL2CrossDomainMessenger::SentMessage>()
            .ok()?;
        let sent = &event.inner.data;
        let mut payload: Vec<u8> = log.topics().iter().flat_map(|t| t.0).collect();
        payload.extend_from_slice(&log.data().data);
        let hash = keccak256(
            (
                sent.destination,
                U256::from(source),
                sent.messageNonce,
                sent.sender,
                sent.target,
                sent.message.clone(),
            )
                .abi_encode_params(),
        );
        Some(Self {
            source,
            destination: sent.destination,
            origin: log.address(),
            block: log.block_number?,
            log_index: log.log_index?,
            timestamp,
            payload: payload.into(),
            hash,
        })
    }

    /// The identifier `relayMessage` takes.
    pub fn id(&self) -> L2ToL2CrossDomainMessenger::Identifier {
        L2ToL2CrossDomainMessenger::Identifier {
            origin: self.origin,
            blockNumber: U256::from(self.block),
            logIndex: U256::from(self.log_index),
            timestamp: U256::from(self.timestamp),
            chainId: U256::from(self.source),
        }
    }

    /// The same identifier, typed for the inbox.
    pub fn inbox_id(&self) -> CrossL2Inbox::Identifier {
        CrossL2Inbox::Identifier {
            origin: self.origin,
            blockNumber: U256::from(self.block),
            logIndex: U256::from(self.log_index),
            timestamp: U256::from(self.timestamp),
            chainId: U256::from(self.source),
        }
    }

    /// The devnet inbox's `attested` key for this message.
    pub fn attestation_key(&self) -> B256 {
        keccak256((self.inbox_id(), keccak256(&self.payload)).abi_encode_params())
    }

    /// The access list an OP interop chain requires for relaying this message: the inbox with a
    /// lookup entry and the message's checksum (optimism's `op-supervisor` encoding). Harmless
    /// elsewhere: it only pre-warms two slots.
    pub fn access_list(&self) -> AccessList {
        AccessList(vec![AccessListItem {
            address: CROSS_L2_INBOX,
            storage_keys: self.inbox_entries(),
        }])
    }

    fn inbox_entries(&self) -> Vec<B256> {
        let mut entries = Vec::with_capacity(3);
        // Lookup entry: type 1, then chain id (low 8 bytes), block, timestamp, log index.
        let mut lookup = [0u8; 32];
        lookup[0] = 1;
        let chain = U256::from(self.source).to_be_bytes::<32>();
        lookup[4..12].copy_from_slice(&chain[24..]);
        lookup[12..20].copy_from_slice(&self.block.to_be_bytes());
        lookup[20..28].copy_from_slice(&self.timestamp.to_be_bytes());
        lookup[28..32].copy_from_slice(&(self.log_index as u32).to_be_bytes());
        entries.push(B256::from(lookup));
        // Chain ids beyond 64 bits carry their upper 24 bytes in an extension entry (type 2);
        // ours are u64, so never.
        // Checksum entry: type 3 over keccak(keccak(logHash ‖ packed id) ‖ chain id).
        let log_hash =
            keccak256([self.origin.as_slice(), keccak256(&self.payload).as_slice()].concat());
        let mut packed = [0u8; 32];
        packed[12..20].copy_from_slice(&self.block.to_be_bytes());
        packed[20..28].copy_from_slice(&self.timestamp.to_be_bytes());
        packed[28..32].copy_from_slice(&(self.log_index as u32).to_be_bytes());
        let id_hash = keccak256([log_hash.as_slice(), &packed].concat());
        let mut checksum = keccak256([id_hash.as_slice(), &chain].concat()).0;
        checksum[0] = 3;
        entries.push(B256::from(checksum));
        entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> SentMessage {
        SentMessage {
            source: 902,
            destination: U256::from(901),
            origin: crate::deploy::L2_TO_L2_MESSENGER,
            block: 0x0102,
            log_index: 7,
            timestamp: 0x0a0b_0c0d,
            payload: Bytes::from_static(b"payload"),
            hash: B256::ZERO,
        }
    }

    #[test]
    fn the_access_list_names_the_inbox_with_a_lookup_and_a_checksum_entry() {
        let list = message().access_list();
        assert_eq!(list.0.len(), 1);
        assert_eq!(list.0[0].address, CROSS_L2_INBOX);
        let keys = &list.0[0].storage_keys;
        assert_eq!(keys.len(), 2);
        let lookup = keys[0].0;
        assert_eq!(lookup[0], 1, "lookup type");
        assert_eq!(&lookup[1..4], &[0, 0, 0]);
        assert_eq!(
            u64::from_be_bytes(lookup[4..12].try_into().expect("8")),
            902
        );
        assert_eq!(
            u64::from_be_bytes(lookup[12..20].try_into().expect("8")),
            0x0102
        );
        assert_eq!(
            u64::from_be_bytes(lookup[20..28].try_into().expect("8")),
            0x0a0b_0c0d
        );
        assert_eq!(u32::from_be_bytes(lookup[28..].try_into().expect("4")), 7);
        assert_eq!(keys[1].0[0], 3, "checksum type");
    }

    #[test]
    fn the_checksum_commits_to_every_part_of_the_message() {
        let base = message().access_list().0[0].storage_keys[1];
        let variants = [
            SentMessage {
                payload: Bytes::from_static(b"other"),
                ..message()
            },
            SentMessage {
                log_index: 8,
                ..message()
            },
            SentMessage {
                source: 903,
                ..message()
            },
            SentMessage {
                origin: Address::ZERO,
                ..message()
            },
        ];
        for v in variants {
            assert_ne!(v.access_list().0[0].storage_keys[1], base, "{v:?}");
        }
    }
}
