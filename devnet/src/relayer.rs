//! The devnet's supervisor and auto-relayer. For every `SentMessage` log on any chain it
//! attests the log on the destination's `CrossL2Inbox` (as the supervisor: it read the log from
//! the source chain itself) and relays it through the destination's messenger (as an ordinary
//! account: anyone may relay). Restart-safe: a per-chain cursor on disk never moves past a
//! message that is not relayed yet, and before relaying it asks the destination whether the
//! message already went through, so a restart neither loses nor doubles a message. Failures are
//! logged and retried with backoff; a chain that is down is reported, never skipped.

use std::{
    collections::{BTreeMap, VecDeque},
    path::PathBuf,
    time::{Duration, Instant},
};

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, Log},
    signers::local::PrivateKeySigner,
    sol_types::{SolEvent, SolValue},
};
use interplay_contracts::{
    CrossL2Inbox, L2ToL2CrossDomainMessenger,
    client::{ClientError, connect},
    deploy::{CROSS_L2_INBOX, L2_TO_L2_MESSENGER},
    send_mined,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

type Identifier = L2ToL2CrossDomainMessenger::Identifier;

/// How to reach the chains and who signs.
#[derive(Debug, Clone)]
pub struct RelayerConfig {
    /// `(chain id, RPC URL)` of every chain to watch and relay to.
    pub chains: Vec<(u64, String)>,
    pub supervisor_key: String,
    pub relayer_key: String,
    /// Where the cursors live between runs.
    pub state: PathBuf,
    pub poll: Duration,
}

/// What the relayer has done, for logs, tests and the manifest server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RelayerStatus {
    pub seen: u64,
    pub relayed: u64,
    /// Found already relayed (by an earlier run of the relayer, or by someone else).
    pub already_relayed: u64,
    pub failures: u64,
    /// Chains whose RPC failed on the last attempt, with the reason.
    pub unreachable: BTreeMap<u64, String>,
    pub pending: usize,
}

/// The cursors: the first block of each chain not yet fully relayed.
#[derive(Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Cursors(BTreeMap<u64, u64>);

impl Cursors {
    fn load(path: &PathBuf) -> Self {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Written to a temporary file and renamed, so a kill mid-write leaves the old cursors.
    fn save(&self, path: &PathBuf) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(tmp, path)
    }
}

/// One message on its way.
#[derive(Debug, Clone)]
struct Message {
    source: u64,
    destination: u64,
    block: u64,
    log_index: u64,
    id: Identifier,
    payload: Bytes,
    /// The messenger's `successfulMessages` key.
    hash: B256,
    attempts: u32,
    next_try: Instant,
}

impl Message {
    /// Reads a `SentMessage` log as the OP messenger does: the payload is the topics then the
    /// data, and the hash is over (destination, source, nonce, sender, target, message).
    fn from_log(log: &Log, source: u64, timestamp: u64) -> Option<Self> {
        let event = log
            .log_decode::<L2ToL2CrossDomainMessenger::SentMessage>()
            .ok()?;
        let sent = &event.inner.data;
        let destination = u64::try_from(sent.destination).ok()?;
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
        let block = log.block_number?;
        let log_index = log.log_index?;
        Some(Self {
            source,
            destination,
            block,
            log_index,
            id: Identifier {
                origin: log.address(),
                blockNumber: U256::from(block),
                logIndex: U256::from(log_index),
                timestamp: U256::from(timestamp),
                chainId: U256::from(source),
            },
            payload: payload.into(),
            hash,
            attempts: 0,
            next_try: Instant::now(),
        })
    }
}

struct ChainClient {
    supervisor: DynProvider,
    relayer: DynProvider,
}

/// Most blocks read in one `eth_getLogs`.
const LOG_RANGE: u64 = 500;

/// Runs until `stop` turns true. Returns the final status.
pub async fn run(
    config: RelayerConfig,
    mut stop: watch::Receiver<bool>,
    status: watch::Sender<RelayerStatus>,
) -> RelayerStatus {
    let mut clients = BTreeMap::new();
    for (chain, url) in &config.chains {
        match (
            connect(url, &config.supervisor_key),
            connect(url, &config.relayer_key),
        ) {
            (Ok(supervisor), Ok(relayer)) => {
                clients.insert(
                    *chain,
                    ChainClient {
                        supervisor,
                        relayer,
                    },
                );
            }
            (Err(err), _) | (_, Err(err)) => {
                tracing::error!(target: "relayer", chain, url, %err, "cannot connect");
            }
        }
    }
    let mut cursors = Cursors::load(&config.state);
    let mut pending: VecDeque<Message> = VecDeque::new();
    let mut current = RelayerStatus::default();
    tracing::info!(target: "relayer", chains = clients.len(), state = %config.state.display(), "relayer started");
    loop {
        // Scan each chain from its cursor.
        let mut scanned_to = BTreeMap::new();
        for (&chain, client) in &clients {
            let from = cursors.0.get(&chain).copied().unwrap_or(0);
            match scan(&client.relayer, chain, from).await {
                Ok((messages, to)) => {
                    if current.unreachable.remove(&chain).is_some() {
                        tracing::info!(target: "relayer", chain, "chain reachable again");
                    }
                    for m in messages {
                        let known = pending.iter().any(|p| {
                            p.source == m.source && p.block == m.block && p.log_index == m.log_index
                        });
                        if !known {
                            tracing::info!(target: "relayer", source = m.source, destination = m.destination, block = m.block, hash = %m.hash, "message sent");
                            current.seen += 1;
                            pending.push_back(m);
                        }
                    }
                    scanned_to.insert(chain, to);
                }
                Err(reason) => unreachable(&mut current, chain, reason),
            }
        }
        // Relay what is due.
        let now = Instant::now();
        let mut still = VecDeque::new();
        while let Some(mut m) = pending.pop_front() {
            if m.next_try > now {
                still.push_back(m);
                continue;
            }
            let Some(dest) = clients.get(&m.destination) else {
                tracing::warn!(target: "relayer", destination = m.destination, hash = %m.hash, "message to a chain this relayer does not know; left for another relayer");
                continue;
            };
            let outcome = relay(dest, &m).await;
            match outcome {
                Ok(Relayed::Now) => {
                    current.relayed += 1;
                    tracing::info!(target: "relayer", source = m.source, destination = m.destination, hash = %m.hash, attempts = m.attempts + 1, "message relayed");
                }
                Ok(Relayed::Before) => {
                    current.already_relayed += 1;
                    tracing::info!(target: "relayer", source = m.source, destination = m.destination, hash = %m.hash, "message was already relayed");
                }
                Err(reason) => {
                    m.attempts += 1;
                    current.failures += 1;
                    let backoff = Duration::from_millis(200 * 2u64.pow(m.attempts.min(6)));
                    m.next_try = Instant::now() + backoff;
                    tracing::warn!(target: "relayer", source = m.source, destination = m.destination, hash = %m.hash, attempts = m.attempts, retry_in_ms = backoff.as_millis() as u64, %reason, "relay failed; will retry");
                    if reason.starts_with("RPC") {
                        unreachable(&mut current, m.destination, reason);
                    }
                    still.push_back(m);
                }
            }
            current.pending = pending.len() + still.len();
            status.send_replace(current.clone());
        }
        pending = still;
        // A cursor moves up to its oldest unrelayed message, never past it.
        let mut changed = false;
        for (chain, to) in scanned_to {
            let oldest = pending
                .iter()
                .filter(|m| m.source == chain)
                .map(|m| m.block)
                .min();
            let next = oldest.unwrap_or(to + 1);
            if cursors.0.get(&chain) != Some(&next) {
                cursors.0.insert(chain, next);
                changed = true;
            }
        }
        if changed && let Err(err) = cursors.save(&config.state) {
            tracing::error!(target: "relayer", %err, "cannot save the cursors");
        }
        current.pending = pending.len();
        status.send_replace(current.clone());
        tokio::select! {
            _ = tokio::time::sleep(config.poll) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            tracing::info!(target: "relayer", pending = pending.len(), "relayer stopped");
            return current;
        }
    }
}

fn unreachable(status: &mut RelayerStatus, chain: u64, reason: String) {
    if status.unreachable.insert(chain, reason.clone()).is_none() {
        tracing::warn!(target: "relayer", chain, %reason, "chain unreachable; retrying");
    }
}

/// The `SentMessage` logs of `chain` from block `from`, and the last block read.
async fn scan(
    provider: &DynProvider,
    chain: u64,
    from: u64,
) -> Result<(Vec<Message>, u64), String> {
    let rpc = |e: alloy::transports::TransportError| format!("RPC: {e}");
    let latest = provider.get_block_number().await.map_err(rpc)?;
    if from > latest {
        return Ok((Vec::new(), from.saturating_sub(1)));
    }
    let to = latest.min(from + LOG_RANGE - 1);
    let filter = Filter::new()
        .address(L2_TO_L2_MESSENGER)
        .event_signature(L2ToL2CrossDomainMessenger::SentMessage::SIGNATURE_HASH)
        .from_block(from)
        .to_block(to);
    let logs = provider.get_logs(&filter).await.map_err(rpc)?;
    let mut timestamps = BTreeMap::new();
    let mut out = Vec::new();
    for log in &logs {
        let Some(block) = log.block_number else {
            continue;
        };
        if let std::collections::btree_map::Entry::Vacant(e) = timestamps.entry(block) {
            let header = provider
                .get_block_by_number(block.into())
                .await
                .map_err(rpc)?
                .ok_or_else(|| format!("RPC: block {block} is missing"))?;
            e.insert(header.header.timestamp);
        }
        if let Some(m) = Message::from_log(log, chain, timestamps[&block]) {
            out.push(m);
        }
    }
    Ok((out, to))
}

enum Relayed {
    Now,
    Before,
}

async fn relay(dest: &ChainClient, m: &Message) -> Result<Relayed, String> {
    let rpc = |e: alloy::contract::Error| match e {
        alloy::contract::Error::TransportError(t) if !t.is_error_resp() => format!("RPC: {t}"),
        other => other.to_string(),
    };
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, &dest.relayer);
    if messenger
        .successfulMessages(m.hash)
        .call()
        .await
        .map_err(rpc)?
    {
        return Ok(Relayed::Before);
    }
    let inbox = CrossL2Inbox::new(CROSS_L2_INBOX, &dest.supervisor);
    let id = CrossL2Inbox::Identifier {
        origin: m.id.origin,
        blockNumber: m.id.blockNumber,
        logIndex: m.id.logIndex,
        timestamp: m.id.timestamp,
        chainId: m.id.chainId,
    };
    let key = keccak256((id.clone(), keccak256(&m.payload)).abi_encode_params());
    let mined = |e: ClientError| {
        if e.is_unreachable() {
            format!("RPC: {e}")
        } else {
            e.to_string()
        }
    };
    if !inbox.attested(key).call().await.map_err(rpc)? {
        send_mined(inbox.attest(id, keccak256(&m.payload)))
            .await
            .map_err(mined)?;
    }
    let call = messenger.relayMessage(m.id.clone(), m.payload.clone());
    // A dry run first, so a reverting relay reports why and costs nothing.
    call.call().await.map_err(rpc)?;
    send_mined(call).await.map_err(mined)?;
    Ok(Relayed::Now)
}

/// The dev-account roles: who deploys and who relays. Both may be public: anyone may deploy
/// the contracts and anyone may relay. The supervisor is not a dev account (see `spawn`).
pub fn roles(accounts: &[interplay_manifest::DevAccount]) -> Option<Roles> {
    Some(Roles {
        deployer: accounts.get(7)?.private_key.clone(),
        relayer: accounts.get(8)?.private_key.clone(),
    })
}

#[derive(Debug, Clone)]
pub struct Roles {
    pub deployer: String,
    pub relayer: String,
}

impl Roles {
    pub fn address(key: &str) -> Option<Address> {
        key.parse::<PrivateKeySigner>().ok().map(|s| s.address())
    }
}
