//! The chain events a run's timeline is made of, decoded from the chains' own logs (the
//! messenger's, InteropPoW's and Worker's), so the timeline works against any devnet with these
//! contracts, whoever relays.

use alloy::{
    primitives::{Address, B256, Bytes, TxHash, U256},
    rpc::types::Log,
    sol_types::SolEvent,
};
use interplay_contracts::{InteropPoW, L2ToL2CrossDomainMessenger, Worker, interop::SentMessage};

use super::client::Addresses;

/// Where and when a log was seen.
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub chain: u64,
    pub block: u64,
    pub tx: TxHash,
    pub log_index: u64,
    /// The block's timestamp (s).
    pub timestamp: u64,
    /// The app's clock (ms) when the log was read, if it was read as its block arrived; `None`
    /// for a log read after the fact (a reload, history), whose time is its block's.
    pub at_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    RunStarted {
        run_id: U256,
        requester: Address,
        worker: Address,
        chains: Vec<u64>,
        start: u64,
        end: u64,
        target: U256,
    },
    /// A job's seed and each chain's part, in the order of its `RunStarted`'s chains.
    JobStarted {
        run_id: U256,
        seed: B256,
        starts: Vec<u64>,
        ends: Vec<u64>,
    },
    /// A message left this chain; `message` is what a relay of it needs.
    Sent {
        destination: u64,
        target: Address,
        message: Box<SentMessage>,
        /// The destination's head when the app first saw this message (for "stuck").
        destination_head: Option<u64>,
    },
    Relayed {
        source: u64,
        hash: B256,
    },
    Mined {
        run_id: U256,
        origin: u64,
        seed: B256,
        results: u64,
    },
    Reported {
        run_id: U256,
        chain_id: u64,
        seed: B256,
        found: Bytes,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChainEvent {
    pub seen: Seen,
    pub kind: EventKind,
}

fn small(v: U256) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Decodes one log of `chain`; `None` for logs of other contracts or events. `timestamp` is the
/// log's block time (a relay's identifier needs it).
pub fn decode(
    log: &Log,
    chain: u64,
    timestamp: u64,
    addresses: &Addresses,
    at_ms: Option<f64>,
) -> Option<ChainEvent> {
    let seen = Seen {
        chain,
        block: log.block_number?,
        tx: log.transaction_hash?,
        log_index: log.log_index?,
        timestamp,
        at_ms,
    };
    let topic = *log.topic0()?;
    let address = log.address();
    let kind = if address == addresses.messenger {
        if topic == L2ToL2CrossDomainMessenger::SentMessage::SIGNATURE_HASH {
            let message = SentMessage::from_log(log, chain, timestamp)?;
            let event = log
                .log_decode::<L2ToL2CrossDomainMessenger::SentMessage>()
                .ok()?;
            EventKind::Sent {
                destination: small(message.destination),
                target: event.inner.data.target,
                message: Box::new(message),
                destination_head: None,
            }
        } else if topic == L2ToL2CrossDomainMessenger::RelayedMessage::SIGNATURE_HASH {
            let e = log
                .log_decode::<L2ToL2CrossDomainMessenger::RelayedMessage>()
                .ok()?;
            EventKind::Relayed {
                source: small(e.inner.data.source),
                hash: e.inner.data.messageHash,
            }
        } else {
            return None;
        }
    } else if address == addresses.interop_pow {
        if topic == InteropPoW::RunStarted::SIGNATURE_HASH {
            let e = log.log_decode::<InteropPoW::RunStarted>().ok()?.inner.data;
            EventKind::RunStarted {
                run_id: e.runId,
                requester: e.requester,
                worker: e.worker,
                chains: e.chainIds.into_iter().map(small).collect(),
                start: e.start,
                end: e.end,
                target: e.target,
            }
        } else if topic == InteropPoW::JobStarted::SIGNATURE_HASH {
            let e = log.log_decode::<InteropPoW::JobStarted>().ok()?.inner.data;
            EventKind::JobStarted {
                run_id: e.runId,
                seed: e.seed,
                starts: e.starts,
                ends: e.ends,
            }
        } else if topic == InteropPoW::ResultsReported::SIGNATURE_HASH {
            let e = log
                .log_decode::<InteropPoW::ResultsReported>()
                .ok()?
                .inner
                .data;
            EventKind::Reported {
                run_id: e.runId,
                chain_id: small(e.chainId),
                seed: e.seed,
                found: e.found,
            }
        } else {
            return None;
        }
    } else if address == addresses.worker && topic == Worker::Mined::SIGNATURE_HASH {
        let e = log.log_decode::<Worker::Mined>().ok()?.inner.data;
        EventKind::Mined {
            run_id: e.runId,
            origin: small(e.origin),
            seed: e.seed,
            results: small(e.results),
        }
    } else {
        return None;
    };
    Some(ChainEvent { seen, kind })
}
