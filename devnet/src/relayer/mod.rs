//! The devnet's supervisor and auto-relayer. For every `SentMessage` log on any chain it attests
//! the log on the destination's `CrossL2Inbox` (as the supervisor, on chains whose inbox is the
//! devnet's: it read the log from the source chain itself) and relays it through the
//! destination's messenger (as an ordinary account: anyone may relay).
//!
//! Restart-safe. Its state on disk is, per chain, the next block to scan, plus the messages seen
//! and not yet relayed, parked or dead-lettered; it is saved (write, then rename) after every
//! scan and every relay round, so the cursors always move past what was read and no message is
//! forgotten. Before relaying it asks the destination whether the message already went through,
//! and after a restart it first waits until the transactions its accounts left in flight are
//! mined, so a restart neither loses nor doubles a message.
//!
//! Anyone can send a message, so none may hold up the others: each relay is dry-run before it
//! is attested or sent; one that needs more gas than a block holds is parked as unrelayable,
//! one that keeps failing is retried with capped exponential backoff and dead-lettered after
//! [`RelayerConfig::max_attempts`] failures that were its own fault; the relayer owns its nonces
//! (see `send`). A chain that is down is reported, never skipped.
//!
//! Parts: `state` (what is kept on disk), `scan` (reading logs), `send` (relay rounds),
//! `error`.

mod error;
mod scan;
mod send;
mod state;

use std::{
    collections::{BTreeMap, VecDeque},
    path::PathBuf,
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
pub use error::{RelayError, RelayerError};
use futures::future::join_all;
use interplay_contracts::{client::connect, interop::SentMessage};
use interplay_manifest::{RELAYER_REPORT_VERSION, RelayMessage, RelayerReport};
use send::{Account, ChainClient, Outcome, relay_batch};
use state::{Cursor, ParkKind, Parked, Pending, STATE_VERSION, State};
pub use state::{MessageKey, StateLock};
use tokio::sync::watch;

/// One chain the relayer watches and relays to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayChain {
    pub chain_id: u64,
    pub rpc_url: String,
    /// Its inbox is the devnet's, which validates only what the supervisor attested.
    pub attest: bool,
}

/// How to reach the chains and who signs.
#[derive(Debug, Clone)]
pub struct RelayerConfig {
    pub chains: Vec<RelayChain>,
    /// Signs attestations; required when any chain attests. Never published.
    pub supervisor_key: Option<String>,
    /// Signs relays. Anyone may relay, so this may be a well-known dev key.
    pub relayer_key: String,
    /// `false`: attest only (the supervisor's half) and leave relaying to others.
    pub relay: bool,
    /// Where the state lives between runs.
    pub state: PathBuf,
    pub poll: Duration,
    /// Most messages relayed to one chain per round (two blocks): bounds the gas each round
    /// puts into a block and what a crash leaves in flight.
    pub batch: usize,
    /// Failed attempts that were the message's own fault (a revert, a refused transaction)
    /// before it is dead-lettered. Attempts that failed because its chain was down do not count.
    pub max_attempts: u32,
}

/// The devnet's [`RelayerConfig::batch`].
pub const DEFAULT_BATCH: usize = 16;
/// The devnet's [`RelayerConfig::max_attempts`]: with the backoff, about 30 s of retries.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;

/// What the relayer has done, for logs, tests and the admin server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayerStatus {
    /// Messages found on their source chains (each once, unless a crash lost the last save).
    pub seen: u64,
    pub attested: u64,
    pub relayed: u64,
    /// Found already relayed (by an earlier run of the relayer, or by someone else).
    pub already_relayed: u64,
    /// Failed attempts (each is retried, up to the limit).
    pub failures: u64,
    /// Relay transactions broadcast and not yet mined.
    pub in_flight: usize,
    /// Chains whose RPC failed on the last attempt, with the reason.
    pub unreachable: BTreeMap<u64, String>,
    /// Messages seen and not yet relayed.
    pub pending: usize,
    /// The same messages, as the admin server shows them.
    pub pending_messages: Vec<RelayMessage>,
    /// Messages no relay can take as things stand, with the reason.
    pub parked: Vec<RelayMessage>,
    /// Dead letters: messages that failed [`RelayerConfig::max_attempts`] times.
    pub dead: Vec<RelayMessage>,
}

impl RelayerStatus {
    /// The `GET /relayer` body.
    pub fn report(&self) -> RelayerReport {
        RelayerReport {
            version: RELAYER_REPORT_VERSION,
            running: true,
            seen: self.seen,
            attested: self.attested,
            relayed: self.relayed,
            already_relayed: self.already_relayed,
            failures: self.failures,
            unreachable: self.unreachable.clone(),
            pending: self.pending_messages.clone(),
            parked: self.parked.clone(),
            dead: self.dead.clone(),
        }
    }
}

/// First retry after this; doubles with each failure.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// The longest wait between two attempts at one message.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Most blocks read in one `eth_getLogs`.
const LOG_RANGE: u64 = 500;
/// Longest a scan or a relay round may take before its chain counts as unreachable.
const RPC_TIMEOUT: Duration = Duration::from_secs(60);

fn backoff(attempts: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(BACKOFF_CAP)
}

/// Who sent `message` through the messenger on its source chain: the first word of the
/// `SentMessage` log's data, after its four topics.
fn sender_of(message: &SentMessage) -> Address {
    message
        .payload
        .get(128..160)
        .map(|word| Address::from_slice(&word[12..]))
        .unwrap_or_default()
}

/// The relayer's working state.
struct Relayer {
    config: RelayerConfig,
    chains: BTreeMap<u64, ChainClient>,
    cursors: BTreeMap<u64, Cursor>,
    pending: BTreeMap<MessageKey, Pending>,
    parked: BTreeMap<MessageKey, Parked>,
    dead: BTreeMap<MessageKey, Parked>,
    /// Relayed in blocks of their destination not scanned yet (see [`State::relayed`]).
    relayed: BTreeMap<MessageKey, Pending>,
    status: watch::Sender<RelayerStatus>,
    dirty: bool,
}

/// Runs until `stop` turns true (or its sender is dropped), holding `lock` (taken on
/// `config.state`) throughout. Returns the final status.
pub async fn run(
    config: RelayerConfig,
    lock: StateLock,
    mut stop: watch::Receiver<bool>,
    status: watch::Sender<RelayerStatus>,
) -> RelayerStatus {
    let mut relayer = Relayer::new(config, status);
    let _lock = lock;
    loop {
        let behind = relayer.scan_all().await;
        relayer.save();
        let more = relayer.relay_due().await;
        relayer.save();
        let stopping = *stop.borrow();
        if stopping {
            break;
        }
        // A chain far behind, or more messages due than a round takes: go on at once.
        if !behind && !more {
            tokio::select! {
                _ = tokio::time::sleep(relayer.config.poll) => {}
                changed = stop.changed() => if changed.is_err() { break },
            }
        }
        if *stop.borrow() {
            break;
        }
    }
    relayer.dirty = true;
    relayer.save();
    let status = relayer.status.borrow().clone();
    tracing::info!(target: "relayer", pending = status.pending, "relayer stopped");
    status
}

impl Relayer {
    fn new(config: RelayerConfig, status: watch::Sender<RelayerStatus>) -> Self {
        let address = |key: &str| key.parse::<PrivateKeySigner>().map(|s| s.address());
        // Receipts are polled as often as logs: a relay's receipt is on the path of every hop.
        let connect = |url: &str, key: &str| {
            connect(url, key).inspect(|p: &alloy::providers::DynProvider| {
                alloy::providers::Provider::client(p).set_poll_interval(config.poll)
            })
        };
        let mut chains = BTreeMap::new();
        for chain in &config.chains {
            let supervisor = match (&config.supervisor_key, chain.attest) {
                (Some(key), true) => match (connect(&chain.rpc_url, key), address(key)) {
                    (Ok(provider), Ok(address)) => Some(Account { provider, address }),
                    (Err(err), _) => {
                        tracing::error!(target: "relayer", chain = chain.chain_id, %err, "cannot connect the supervisor");
                        continue;
                    }
                    (_, Err(err)) => {
                        tracing::error!(target: "relayer", %err, "bad supervisor key");
                        continue;
                    }
                },
                (None, true) => {
                    tracing::error!(target: "relayer", chain = chain.chain_id, "this chain's inbox needs attestations but no supervisor key was given; not relaying to it");
                    continue;
                }
                (_, false) => None,
            };
            match (
                connect(&chain.rpc_url, &config.relayer_key),
                address(&config.relayer_key),
            ) {
                (Ok(provider), Ok(address)) => {
                    chains.insert(
                        chain.chain_id,
                        ChainClient {
                            id: chain.chain_id,
                            attest: chain.attest,
                            relayer: Account { provider, address },
                            supervisor,
                            settled: AtomicBool::new(false),
                        },
                    );
                }
                (Err(err), _) => {
                    tracing::error!(target: "relayer", chain = chain.chain_id, url = chain.rpc_url, %err, "cannot connect");
                }
                (_, Err(err)) => tracing::error!(target: "relayer", %err, "bad relayer key"),
            }
        }
        let state = State::load(&config.state);
        let mut pending: BTreeMap<MessageKey, Pending> =
            state.pending.into_iter().map(|p| (p.key(), p)).collect();
        let mut parked = BTreeMap::new();
        for p in state.parked {
            // Parked for want of a chain this run knows: pending again.
            match u64::try_from(p.message.destination) {
                Ok(dest) if p.kind == ParkKind::UnknownChain && chains.contains_key(&dest) => {
                    tracing::info!(target: "relayer", source = p.message.source, destination = dest, hash = %p.message.hash, "parked message's chain is known now; pending again");
                    pending.insert(p.key(), Pending::new(p.message, dest));
                }
                _ => {
                    parked.insert(p.key(), p);
                }
            }
        }
        let dead: BTreeMap<MessageKey, Parked> =
            state.dead.into_iter().map(|p| (p.key(), p)).collect();
        let relayed = state.relayed.into_iter().map(|p| (p.key(), p)).collect();
        tracing::info!(target: "relayer", chains = chains.len(), pending = pending.len(), parked = parked.len(), dead = dead.len(), state = %config.state.display(), relay = config.relay, "relayer started");
        let relayer = Self {
            config,
            chains,
            cursors: state.cursors,
            pending,
            parked,
            dead,
            relayed,
            status,
            dirty: false,
        };
        relayer.publish();
        relayer
    }

    /// The hash of the message seen at `key` before (pending, parked, dead or just relayed), if
    /// any.
    fn known_hash(&self, key: &MessageKey) -> Option<alloy::primitives::B256> {
        self.pending
            .get(key)
            .map(|p| p.message.hash)
            .or_else(|| self.parked.get(key).map(|p| p.message.hash))
            .or_else(|| self.dead.get(key).map(|p| p.message.hash))
            .or_else(|| self.relayed.get(key).map(|p| p.message.hash))
    }

    fn forget(&mut self, key: &MessageKey) {
        self.pending.remove(key);
        self.parked.remove(key);
        self.dead.remove(key);
        self.relayed.remove(key);
        self.dirty = true;
    }

    /// Forgets every message from `chain` (it was reset: a rescan finds what is still there).
    /// How many there were.
    fn forget_source(&mut self, chain: u64) -> usize {
        let before = self.pending.len() + self.parked.len() + self.dead.len();
        self.pending.retain(|k, _| k.source != chain);
        self.parked.retain(|k, _| k.source != chain);
        self.dead.retain(|k, _| k.source != chain);
        self.relayed.retain(|k, _| k.source != chain);
        self.dirty = true;
        before - (self.pending.len() + self.parked.len() + self.dead.len())
    }

    /// Sets `message` aside: no relay of it can succeed as things stand.
    fn park(&mut self, message: SentMessage, attempts: u32, kind: ParkKind, reason: String) {
        tracing::warn!(target: "relayer", source = message.source, destination = %message.destination, hash = %message.hash, kind = ?kind, %reason, "message parked");
        let parked = Parked {
            message,
            attempts,
            kind,
            reason,
        };
        let key = parked.key();
        if kind == ParkKind::RetriesExhausted {
            self.dead.insert(key, parked);
        } else {
            self.parked.insert(key, parked);
        }
        self.dirty = true;
    }

    /// Publishes the message lists on the status channel.
    fn publish(&self) {
        let pending_messages: Vec<RelayMessage> =
            self.pending.values().map(Pending::report).collect();
        let parked: Vec<RelayMessage> = self.parked.values().map(Parked::report).collect();
        let dead: Vec<RelayMessage> = self.dead.values().map(Parked::report).collect();
        self.status.send_modify(|s| {
            s.pending = pending_messages.len();
            s.pending_messages = pending_messages;
            s.parked = parked;
            s.dead = dead;
        });
    }

    fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let state = State {
            version: STATE_VERSION,
            cursors: self.cursors.clone(),
            pending: self.pending.values().cloned().collect(),
            parked: self.parked.values().cloned().collect(),
            dead: self.dead.values().cloned().collect(),
            relayed: self.relayed.values().cloned().collect(),
        };
        match state.save(&self.config.state) {
            Ok(()) => self.dirty = false,
            Err(err) => {
                tracing::error!(target: "relayer", %err, state = %self.config.state.display(), "cannot save the state")
            }
        }
        self.publish();
    }

    fn unreachable(&mut self, chain: u64, reason: String) {
        let mut new = false;
        self.status.send_modify(|s| {
            new = s.unreachable.insert(chain, reason.clone()).is_none();
        });
        if new {
            tracing::warn!(target: "relayer", chain, %reason, "chain unreachable; retrying");
        }
    }

    fn reachable(&mut self, chain: u64) {
        let mut was_down = false;
        self.status
            .send_modify(|s| was_down = s.unreachable.remove(&chain).is_some());
        if was_down {
            tracing::info!(target: "relayer", chain, "chain reachable again");
            let now = Instant::now();
            for p in self.pending.values_mut() {
                if p.destination == chain && p.waiting_for_chain {
                    p.next_try = now;
                    p.waiting_for_chain = false;
                }
            }
        }
    }

    /// Relays the messages that are due, oldest first, up to a batch per destination, the
    /// destinations concurrently. Whether more were due than the batches took.
    async fn relay_due(&mut self) -> bool {
        let now = Instant::now();
        let due: Vec<MessageKey> = self
            .pending
            .iter()
            .filter(|(_, p)| p.next_try <= now)
            .map(|(k, _)| *k)
            .collect();
        if due.is_empty() {
            return false;
        }
        // Each destination's due messages, grouped by who sent them, oldest first in a group.
        let mut queues: BTreeMap<u64, BTreeMap<(u64, Address), VecDeque<MessageKey>>> =
            BTreeMap::new();
        for key in due {
            let Some(p) = self.pending.get(&key) else {
                continue;
            };
            if !self.chains.contains_key(&p.destination) {
                let Some(p) = self.pending.remove(&key) else {
                    continue;
                };
                let reason = format!("this relayer has no connection to chain {}", p.destination);
                self.park(p.message, p.attempts, ParkKind::UnknownChain, reason);
                continue;
            }
            queues
                .entry(p.destination)
                .or_default()
                .entry((p.message.source, sender_of(&p.message)))
                .or_default()
                .push_back(key);
        }
        // A batch takes one message from each sender in turn: however many messages a stranger
        // sends, the others wait at most one of theirs per batch.
        let mut more = false;
        let mut batches: BTreeMap<u64, Vec<Pending>> = BTreeMap::new();
        for (dest, senders) in queues {
            let mut senders: Vec<VecDeque<MessageKey>> = senders.into_values().collect();
            let batch = batches.entry(dest).or_default();
            'fill: loop {
                let mut took = false;
                for queue in &mut senders {
                    if batch.len() >= self.config.batch.max(1) {
                        break 'fill;
                    }
                    if let Some(p) = queue.pop_front().and_then(|k| self.pending.remove(&k)) {
                        if p.attempts > 0 {
                            tracing::info!(target: "relayer", source = p.message.source, destination = p.destination, hash = %p.message.hash, attempt = p.attempts + 1, "retrying");
                        }
                        batch.push(p);
                        took = true;
                    }
                }
                if !took {
                    break;
                }
            }
            more |= senders.iter().any(|q| !q.is_empty());
        }
        batches.retain(|_, b| !b.is_empty());
        let relay = self.config.relay;
        let status = &self.status;
        let rounds = batches.into_iter().map(|(dest, batch)| {
            let client = &self.chains[&dest];
            async move {
                let keep = batch.clone();
                match tokio::time::timeout(RPC_TIMEOUT, relay_batch(client, relay, batch, status))
                    .await
                {
                    Ok(outcomes) => outcomes,
                    Err(_) => {
                        // Something may have been broadcast: settle it before trying again.
                        client.settled.store(false, Ordering::SeqCst);
                        keep.into_iter()
                            .map(|p| (p, Outcome::Failed(RelayError::TimedOut(RPC_TIMEOUT))))
                            .collect()
                    }
                }
            }
        });
        let outcomes: Vec<(Pending, Outcome)> =
            join_all(rounds).await.into_iter().flatten().collect();
        self.status.send_modify(|s| s.in_flight = 0);
        for (mut p, outcome) in outcomes {
            let (source, destination, hash) = (p.message.source, p.destination, p.message.hash);
            match outcome {
                Outcome::Relayed(tx) => {
                    self.status.send_modify(|s| s.relayed += 1);
                    tracing::info!(target: "relayer", source, destination, %hash, %tx, attempt = p.attempts + 1, "message relayed");
                    self.reachable(destination);
                    self.relayed.insert(p.key(), p);
                }
                Outcome::AlreadyRelayed => {
                    self.status.send_modify(|s| s.already_relayed += 1);
                    tracing::info!(target: "relayer", source, destination, %hash, "message was already relayed");
                    self.reachable(destination);
                    self.relayed.insert(p.key(), p);
                }
                Outcome::Attested => {
                    tracing::info!(target: "relayer", source, destination, %hash, "message attested; left for anyone to relay");
                    self.reachable(destination);
                }
                Outcome::Deferred => {
                    p.next_try = Instant::now() + self.config.poll;
                    self.pending.insert(p.key(), p);
                }
                Outcome::Unrelayable(reason) => {
                    self.reachable(destination);
                    self.park(p.message, p.attempts, ParkKind::Unrelayable, reason);
                }
                Outcome::Failed(err) => {
                    p.attempts += 1;
                    p.last_error = Some(err.to_string());
                    self.status.send_modify(|s| s.failures += 1);
                    if err.unreachable() {
                        self.unreachable(destination, err.to_string());
                    }
                    if err.is_fault() {
                        p.faults += 1;
                    }
                    if p.faults >= self.config.max_attempts.max(1) {
                        let reason = format!("failed {} times; last: {err}", p.faults);
                        self.park(p.message, p.attempts, ParkKind::RetriesExhausted, reason);
                        continue;
                    }
                    let retry_in = backoff(p.attempts);
                    p.next_try = Instant::now() + retry_in;
                    p.waiting_for_chain = err.unreachable();
                    tracing::warn!(target: "relayer", source, destination, %hash, attempt = p.attempts, retry_in_ms = retry_in.as_millis() as u64, reason = %err, "relay failed, will retry");
                    self.pending.insert(p.key(), p);
                }
            }
            self.dirty = true;
        }
        more
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), BACKOFF_BASE);
        assert_eq!(backoff(2), BACKOFF_BASE * 2);
        assert_eq!(backoff(5), BACKOFF_BASE * 16);
        assert_eq!(backoff(8), BACKOFF_CAP);
        assert_eq!(backoff(u32::MAX), BACKOFF_CAP);
    }
}
