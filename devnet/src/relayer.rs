//! The devnet's supervisor and auto-relayer. For every `SentMessage` log on any chain it attests
//! the log on the destination's `CrossL2Inbox` (as the supervisor, on chains whose inbox is the
//! devnet's: it read the log from the source chain itself) and relays it through the
//! destination's messenger (as an ordinary account: anyone may relay).
//!
//! Restart-safe. Its state on disk is, per chain, the next block to scan, plus the messages seen
//! and not yet relayed; it is saved (write, then rename) after every scan and every relay round,
//! so the cursors always move past what was read and no message is forgotten. Before relaying it
//! asks the destination whether the message already went through, and after a restart it first
//! waits until the transactions its accounts left in flight are mined, so a restart neither loses
//! nor doubles a message. A message that fails is retried with exponential backoff (capped) and
//! never holds up the others; a chain that is down is reported, never skipped.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::atomic::{AtomicBool, Ordering},
    time::{Duration, Instant},
};

use alloy::{
    network::Ethereum,
    primitives::{Address, B256, TxHash},
    providers::{DynProvider, PendingTransactionBuilder, Provider},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use futures::future::join_all;
use interplay_contracts::{
    CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger, Worker,
    client::connect,
    deploy::{CROSS_L2_INBOX, L2_TO_L2_MESSENGER},
    interop::SentMessage,
    with_gas_margin,
};
use serde::{Deserialize, Serialize};
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
}

/// The devnet's [`RelayerConfig::batch`].
pub const DEFAULT_BATCH: usize = 16;

/// What the relayer has done, for logs, tests and the manifest server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayerStatus {
    /// Messages found on their source chains (each once, unless a crash lost the last save).
    pub seen: u64,
    pub attested: u64,
    pub relayed: u64,
    /// Found already relayed (by an earlier run of the relayer, or by someone else).
    pub already_relayed: u64,
    /// Failed attempts (each is retried).
    pub failures: u64,
    /// Relay transactions broadcast and not yet mined.
    pub in_flight: usize,
    /// Chains whose RPC failed on the last attempt, with the reason.
    pub unreachable: BTreeMap<u64, String>,
    /// Messages seen and not yet relayed.
    pub pending: usize,
}

/// Why one attempt at a message failed.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("RPC: {0}")]
    Unreachable(String),
    #[error("reverts: {0}")]
    Reverts(String),
    #[error("transaction {0} reverted")]
    TxReverted(TxHash),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    #[error("{0}")]
    Rpc(String),
}

impl RelayError {
    fn unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::TimedOut(_))
    }

    fn from_call(err: alloy::contract::Error) -> Self {
        match &err {
            alloy::contract::Error::TransportError(t) if !t.is_error_resp() => {
                Self::Unreachable(t.to_string())
            }
            _ if err.as_revert_data().is_some() => Self::Reverts(revert_name(&err)),
            _ => Self::Rpc(err.to_string()),
        }
    }

    fn from_transport(err: alloy::transports::TransportError) -> Self {
        if err.is_error_resp() {
            Self::Rpc(err.to_string())
        } else {
            Self::Unreachable(err.to_string())
        }
    }

    fn from_pending(err: alloy::providers::PendingTransactionError) -> Self {
        Self::Unreachable(err.to_string())
    }
}

/// The revert's error by name, from any contract a relay runs through.
fn revert_name(err: &alloy::contract::Error) -> String {
    if let Some(e) = err
        .as_decoded_interface_error::<L2ToL2CrossDomainMessenger::L2ToL2CrossDomainMessengerErrors>(
        )
    {
        return format!("{e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<CrossL2Inbox::CrossL2InboxErrors>() {
        return format!("{e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<InteropPoW::InteropPoWErrors>() {
        return format!("{e:?}");
    }
    if let Some(e) = err.as_decoded_interface_error::<Worker::WorkerErrors>() {
        return format!("{e:?}");
    }
    err.to_string()
}

/// First retry after this; doubles with each failure.
const BACKOFF_BASE: Duration = Duration::from_millis(250);
/// The longest wait between two attempts at one message.
pub const BACKOFF_CAP: Duration = Duration::from_secs(30);
/// Most blocks read in one `eth_getLogs`.
const LOG_RANGE: u64 = 500;
/// Longest a scan or a relay round may take before its chain counts as unreachable.
const RPC_TIMEOUT: Duration = Duration::from_secs(60);
const STATE_VERSION: u32 = 2;

fn backoff(attempts: u32) -> Duration {
    BACKOFF_BASE
        .saturating_mul(2u32.saturating_pow(attempts.saturating_sub(1)))
        .min(BACKOFF_CAP)
}

/// Where scanning of one chain stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    /// Every block below this one was read.
    next_block: u64,
    /// The hash of block `next_block - 1` when it was read, to notice a chain that was reset.
    last_hash: Option<B256>,
}

/// A message seen and not relayed yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pending {
    message: SentMessage,
    destination: u64,
    attempts: u32,
    /// Not persisted: after a restart every pending message is due at once.
    #[serde(skip, default = "Instant::now")]
    next_try: Instant,
    /// The last attempt failed because the destination was unreachable: retry as soon as it
    /// answers again rather than after the backoff.
    #[serde(skip)]
    waiting_for_chain: bool,
}

type Key = (u64, u64, u64);

impl Pending {
    fn key(&self) -> Key {
        (
            self.message.source,
            self.message.block,
            self.message.log_index,
        )
    }
}

/// The state file.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    cursors: BTreeMap<u64, Cursor>,
    pending: Vec<Pending>,
}

impl State {
    fn load(path: &Path) -> Self {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(target: "relayer", state = %path.display(), "no saved state; scanning every chain from block 0");
                return Self::default();
            }
            Err(e) => return Self::unreadable(path, &e.to_string()),
        };
        match serde_json::from_slice::<Self>(&bytes) {
            Ok(state) if state.version == STATE_VERSION => state,
            Ok(state) => Self::unreadable(path, &format!("version {}", state.version)),
            Err(e) => Self::unreadable(path, &e.to_string()),
        }
    }

    fn unreadable(path: &Path, reason: &str) -> Self {
        tracing::warn!(target: "relayer", state = %path.display(), reason, "saved state unreadable; rescanning every chain from block 0 (messages already relayed are skipped)");
        Self::default()
    }

    /// Written to a temporary file and renamed, so a kill mid-write leaves the old state.
    fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        {
            let mut file = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(self)?)?;
            file.sync_all()?;
        }
        std::fs::rename(tmp, path)
    }
}

struct ChainClient {
    id: u64,
    attest: bool,
    relayer: DynProvider,
    relayer_address: Address,
    supervisor: Option<(DynProvider, Address)>,
    /// Whether the transactions our accounts had in flight when we started are mined.
    settled: AtomicBool,
    /// Whether the cursor was checked against the chain since we started.
    checked: bool,
}

impl ChainClient {
    /// Transactions our accounts broadcast on this chain that are not mined yet.
    async fn in_flight(&self) -> Result<u64, RelayError> {
        let mut accounts = vec![(&self.relayer, self.relayer_address)];
        if let Some((p, a)) = &self.supervisor {
            accounts.push((p, *a));
        }
        let mut n = 0;
        for (provider, address) in accounts {
            let pending = provider
                .get_transaction_count(address)
                .pending()
                .await
                .map_err(RelayError::from_transport)?;
            let mined = provider
                .get_transaction_count(address)
                .latest()
                .await
                .map_err(RelayError::from_transport)?;
            n += pending.saturating_sub(mined);
        }
        Ok(n)
    }
}

/// What became of one message in a relay round.
enum Outcome {
    Relayed(TxHash),
    AlreadyRelayed,
    /// Attest-only mode: attested, and left for others to relay.
    Attested,
    /// Not tried: transactions from before a restart are still in flight.
    Deferred,
    Failed(RelayError),
}

/// The relayer's working state.
struct Relayer {
    config: RelayerConfig,
    chains: BTreeMap<u64, ChainClient>,
    cursors: BTreeMap<u64, Cursor>,
    pending: BTreeMap<Key, Pending>,
    status: watch::Sender<RelayerStatus>,
    dirty: bool,
}

/// Runs until `stop` turns true (or its sender is dropped). Returns the final status.
pub async fn run(
    config: RelayerConfig,
    mut stop: watch::Receiver<bool>,
    status: watch::Sender<RelayerStatus>,
) -> RelayerStatus {
    let mut relayer = Relayer::new(config, status);
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
        let mut chains = BTreeMap::new();
        for chain in &config.chains {
            let supervisor = match (&config.supervisor_key, chain.attest) {
                (Some(key), true) => match (connect(&chain.rpc_url, key), address(key)) {
                    (Ok(p), Ok(a)) => Some((p, a)),
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
                (Ok(relayer), Ok(relayer_address)) => {
                    chains.insert(
                        chain.chain_id,
                        ChainClient {
                            id: chain.chain_id,
                            attest: chain.attest,
                            relayer,
                            relayer_address,
                            supervisor,
                            settled: AtomicBool::new(false),
                            checked: false,
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
        let pending: BTreeMap<Key, Pending> =
            state.pending.into_iter().map(|p| (p.key(), p)).collect();
        tracing::info!(target: "relayer", chains = chains.len(), pending = pending.len(), state = %config.state.display(), relay = config.relay, "relayer started");
        status.send_modify(|s| s.pending = pending.len());
        Self {
            config,
            chains,
            cursors: state.cursors,
            pending,
            status,
            dirty: false,
        }
    }

    fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let state = State {
            version: STATE_VERSION,
            cursors: self.cursors.clone(),
            pending: self.pending.values().cloned().collect(),
        };
        match state.save(&self.config.state) {
            Ok(()) => self.dirty = false,
            Err(err) => {
                tracing::error!(target: "relayer", %err, state = %self.config.state.display(), "cannot save the state")
            }
        }
        let pending = self.pending.len();
        self.status.send_modify(|s| s.pending = pending);
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

    /// Scans every chain once; whether some chain has more blocks to read right away.
    async fn scan_all(&mut self) -> bool {
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
        let provider = client.relayer.clone();
        let head = provider
            .get_block_number()
            .await
            .map_err(RelayError::from_transport)?;
        let mut cursor = self.cursors.get(&chain).copied().unwrap_or_default();
        if (!client.checked || cursor.next_block > head + 1) && cursor.next_block > 0 {
            let last = cursor.next_block - 1;
            let block = provider
                .get_block_by_number(last.into())
                .await
                .map_err(RelayError::from_transport)?;
            let reset = match (&block, cursor.last_hash) {
                (None, _) => Some("the cursor is beyond the chain's head"),
                (Some(b), Some(hash)) if b.header.hash != hash => {
                    Some("the last block scanned has changed")
                }
                _ => None,
            };
            if let Some(why) = reset {
                let dropped = self.pending.len();
                self.pending.retain(|_, p| p.message.source != chain);
                let dropped = dropped - self.pending.len();
                tracing::warn!(target: "relayer", chain, cursor = cursor.next_block, head, dropped, "{why} (was the chain reset?); rescanning it from block 0");
                cursor = Cursor::default();
                self.cursors.insert(chain, cursor);
                self.dirty = true;
            }
        }
        if let Some(c) = self.chains.get_mut(&chain) {
            c.checked = true;
        }
        if cursor.next_block > head {
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
            let Ok(destination) = u64::try_from(message.destination) else {
                tracing::warn!(target: "relayer", source = chain, destination = %message.destination, hash = %message.hash, "message to a chain id beyond 64 bits; ignored");
                continue;
            };
            let pending = Pending {
                message,
                destination,
                attempts: 0,
                next_try: Instant::now(),
                waiting_for_chain: false,
            };
            if let std::collections::btree_map::Entry::Vacant(e) = self.pending.entry(pending.key())
            {
                tracing::info!(target: "relayer", source = chain, destination, block, hash = %pending.message.hash, "message sent");
                self.status.send_modify(|s| s.seen += 1);
                e.insert(pending);
            }
        }
        let last = provider
            .get_block_by_number(to.into())
            .await
            .map_err(RelayError::from_transport)?
            .ok_or_else(|| RelayError::Rpc(format!("block {to} is missing")))?;
        self.cursors.insert(
            chain,
            Cursor {
                next_block: to + 1,
                last_hash: Some(last.header.hash),
            },
        );
        self.dirty = true;
        Ok(to < head)
    }

    /// Relays the messages that are due, oldest first, up to a batch per destination, the
    /// destinations concurrently. Whether more were due than the batches took.
    async fn relay_due(&mut self) -> bool {
        let now = Instant::now();
        let due: Vec<Key> = self
            .pending
            .iter()
            .filter(|(_, p)| p.next_try <= now)
            .map(|(k, _)| *k)
            .collect();
        if due.is_empty() {
            return false;
        }
        let mut more = false;
        let mut batches: BTreeMap<u64, Vec<Pending>> = BTreeMap::new();
        for key in due {
            let full = self.pending.get(&key).is_some_and(|p| {
                batches
                    .get(&p.destination)
                    .is_some_and(|b| b.len() >= self.config.batch.max(1))
            });
            if full {
                more = true;
                continue;
            }
            let Some(p) = self.pending.remove(&key) else {
                continue;
            };
            if !self.chains.contains_key(&p.destination) {
                tracing::warn!(target: "relayer", source = p.message.source, destination = p.destination, hash = %p.message.hash, "message to a chain this relayer does not know; left for another relayer");
                self.dirty = true;
                continue;
            }
            if p.attempts > 0 {
                tracing::info!(target: "relayer", source = p.message.source, destination = p.destination, hash = %p.message.hash, attempt = p.attempts + 1, "retrying");
            }
            batches.entry(p.destination).or_default().push(p);
        }
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
                }
                Outcome::AlreadyRelayed => {
                    self.status.send_modify(|s| s.already_relayed += 1);
                    tracing::info!(target: "relayer", source, destination, %hash, "message was already relayed");
                    self.reachable(destination);
                }
                Outcome::Attested => {
                    tracing::info!(target: "relayer", source, destination, %hash, "message attested; left for anyone to relay");
                    self.reachable(destination);
                }
                Outcome::Deferred => {
                    p.next_try = Instant::now() + self.config.poll;
                    self.pending.insert(p.key(), p);
                }
                Outcome::Failed(err) => {
                    p.attempts += 1;
                    let retry_in = backoff(p.attempts);
                    p.next_try = Instant::now() + retry_in;
                    p.waiting_for_chain = err.unreachable();
                    self.status.send_modify(|s| s.failures += 1);
                    tracing::warn!(target: "relayer", source, destination, %hash, attempt = p.attempts, retry_in_ms = retry_in.as_millis() as u64, reason = %err, "relay failed, will retry");
                    if err.unreachable() {
                        self.unreachable(destination, err.to_string());
                    }
                    self.pending.insert(p.key(), p);
                }
            }
            self.dirty = true;
        }
        more
    }
}

/// One round for one destination: skip what is already relayed, attest what needs it (all
/// broadcast, then awaited), then relay (all broadcast, then awaited). Two blocks per round
/// however many messages wait.
async fn relay_batch(
    client: &ChainClient,
    relay: bool,
    batch: Vec<Pending>,
    status: &watch::Sender<RelayerStatus>,
) -> Vec<(Pending, Outcome)> {
    let mut done = Vec::with_capacity(batch.len());
    if !client.settled.load(Ordering::SeqCst) {
        match client.in_flight().await {
            Ok(0) => client.settled.store(true, Ordering::SeqCst),
            Ok(n) => {
                tracing::info!(target: "relayer", chain = client.id, transactions = n, "waiting for transactions sent before the restart to be mined");
                return batch.into_iter().map(|p| (p, Outcome::Deferred)).collect();
            }
            Err(err) => {
                return batch
                    .into_iter()
                    .map(|p| (p, Outcome::Failed(RelayError::Unreachable(err.to_string()))))
                    .collect();
            }
        }
    }
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, &client.relayer);

    // Already relayed (before a restart, or by someone else)?
    let checks = join_all(
        batch
            .iter()
            .map(|p| async { messenger.successfulMessages(p.message.hash).call().await }),
    )
    .await;
    let mut todo = Vec::new();
    for (p, check) in batch.into_iter().zip(checks) {
        match check {
            Ok(true) => done.push((p, Outcome::AlreadyRelayed)),
            Ok(false) => todo.push(p),
            Err(e) => done.push((p, Outcome::Failed(RelayError::from_call(e)))),
        }
    }

    // Attest on the devnet's inbox (one transaction each, broadcast together).
    if let (true, Some((supervisor, _))) = (client.attest, &client.supervisor) {
        let inbox = CrossL2Inbox::new(CROSS_L2_INBOX, supervisor);
        let mut sent = Vec::new();
        for p in todo {
            let attested = inbox.attested(p.message.attestation_key()).call().await;
            match attested {
                Ok(true) => sent.push((p, None)),
                Ok(false) => {
                    let call = inbox.attest(
                        p.message.inbox_id(),
                        alloy::primitives::keccak256(&p.message.payload),
                    );
                    match broadcast(call).await {
                        Ok(tx) => sent.push((p, Some(tx))),
                        Err(err) => done.push((p, Outcome::Failed(err))),
                    }
                }
                Err(e) => done.push((p, Outcome::Failed(RelayError::from_call(e)))),
            }
        }
        let (ps, txs): (Vec<_>, Vec<_>) = sent.into_iter().unzip();
        let mined = join_all(txs.into_iter().map(|tx| async move {
            match tx {
                Some(tx) => mined(tx).await.map(|_| true),
                None => Ok(false),
            }
        }))
        .await;
        todo = Vec::new();
        for (p, result) in ps.into_iter().zip(mined) {
            match result {
                Ok(new) => {
                    if new {
                        status.send_modify(|s| s.attested += 1);
                    }
                    todo.push(p);
                }
                Err(err) => done.push((p, Outcome::Failed(err))),
            }
        }
    }
    if !relay {
        done.extend(todo.into_iter().map(|p| (p, Outcome::Attested)));
        return done;
    }

    // Relay, each with the access list an OP interop chain requires.
    let mut sent = Vec::new();
    for p in todo {
        let call = messenger
            .relayMessage(p.message.id(), p.message.payload.clone())
            .access_list(p.message.access_list());
        // A dry run first, so a relay that would revert says why and costs nothing.
        if let Err(e) = call.call().await {
            done.push((p, Outcome::Failed(RelayError::from_call(e))));
            continue;
        }
        match broadcast(call).await {
            Ok(tx) => {
                status.send_modify(|s| s.in_flight += 1);
                sent.push((p, tx));
            }
            Err(err) => done.push((p, Outcome::Failed(err))),
        }
    }
    let (ps, txs): (Vec<_>, Vec<_>) = sent.into_iter().unzip();
    let mined = join_all(txs.into_iter().map(mined)).await;
    for (p, result) in ps.into_iter().zip(mined) {
        status.send_modify(|s| s.in_flight = s.in_flight.saturating_sub(1));
        done.push((
            p,
            match result {
                Ok(tx) => Outcome::Relayed(tx),
                Err(err) => Outcome::Failed(err),
            },
        ));
    }
    done
}

/// Sends with the gas margin, without waiting for the receipt.
async fn broadcast<P: Provider, D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<P, D>,
) -> Result<PendingTransactionBuilder<Ethereum>, RelayError> {
    with_gas_margin(call)
        .await
        .map_err(RelayError::from_call)?
        .send()
        .await
        .map_err(RelayError::from_call)
}

/// Waits for the receipt; a reverted transaction is an error.
async fn mined(tx: PendingTransactionBuilder<Ethereum>) -> Result<TxHash, RelayError> {
    let receipt = tx.get_receipt().await.map_err(RelayError::from_pending)?;
    if receipt.status() {
        Ok(receipt.transaction_hash)
    } else {
        Err(RelayError::TxReverted(receipt.transaction_hash))
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Bytes, U256};

    use super::*;

    #[test]
    fn the_state_file_round_trips_with_its_pending_messages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let message = SentMessage {
            source: 901,
            destination: U256::from(902),
            origin: L2_TO_L2_MESSENGER,
            block: 7,
            log_index: 2,
            timestamp: 1_700_000_000,
            payload: Bytes::from_static(b"payload"),
            hash: B256::repeat_byte(9),
        };
        let state = State {
            version: STATE_VERSION,
            cursors: [(
                901,
                Cursor {
                    next_block: 8,
                    last_hash: Some(B256::repeat_byte(1)),
                },
            )]
            .into(),
            pending: vec![Pending {
                message: message.clone(),
                destination: 902,
                attempts: 3,
                next_try: Instant::now(),
                waiting_for_chain: true,
            }],
        };
        state.save(&path).expect("save");
        let back = State::load(&path);
        assert_eq!(back.cursors, state.cursors);
        assert_eq!(back.pending.len(), 1);
        assert_eq!(back.pending[0].message, message);
        assert_eq!(
            (back.pending[0].destination, back.pending[0].attempts),
            (902, 3)
        );
        // Not persisted: after a restart the message is due at once.
        assert!(!back.pending[0].waiting_for_chain);
    }

    #[test]
    fn an_unreadable_or_older_state_starts_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(&path, r#"{"901": 12}"#).expect("write");
        assert!(State::load(&path).cursors.is_empty());
        std::fs::write(&path, r#"{"version": 1, "cursors": {}, "pending": []}"#).expect("write");
        assert_eq!(State::load(&path).version, 0);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        assert_eq!(backoff(1), BACKOFF_BASE);
        assert_eq!(backoff(2), BACKOFF_BASE * 2);
        assert_eq!(backoff(5), BACKOFF_BASE * 16);
        assert_eq!(backoff(8), BACKOFF_CAP);
        assert_eq!(backoff(u32::MAX), BACKOFF_CAP);
    }
}
