//! One relay round for one destination chain. Sending is where a stranger's message can hurt
//! everyone else's, so every relay is dry-run first (against the inbox as it will be once
//! attested, so a relay that would revert costs no attestation), its gas is capped at what a
//! block holds, and the relayer owns its nonces: read from the node each round and re-read after
//! any refused send, so a refused transaction never leaves a hole that queues all later ones.
//!
//! Attestation and relay go out together, the attestation with the higher tip: a node ordering
//! by fee (anvil's default) mines both in one block, attestation first, so a message crosses
//! in one block instead of two.

use std::sync::atomic::{AtomicBool, Ordering};

use alloy::{
    network::Ethereum,
    primitives::{Address, B256, TxHash, U256, keccak256},
    providers::{DynProvider, PendingTransactionBuilder, Provider},
    rpc::types::state::{StateOverride, StateOverridesBuilder},
    sol_types::SolValue,
};
use futures::future::join_all;
use interplay_contracts::{
    CrossL2Inbox, L2ToL2CrossDomainMessenger,
    deploy::{CROSS_L2_INBOX, L2_TO_L2_MESSENGER},
    interop::SentMessage,
};
use tokio::sync::watch;

use super::{RelayError, RelayerStatus, state::Pending};

/// The slot of `CrossL2Inbox.attested` (slot 0 holds the supervisor).
const ATTESTED_SLOT: u64 = 1;
/// A dry run that fails within a block's gas is run again with this many blocks' worth: if it
/// passes then, the message needs more gas than any block holds.
const OVERSIZE_PROBE: u64 = 4;
/// Tips of relays and of attestations: the attestation's is higher, so it goes first in a block.
const RELAY_TIP: u128 = 1_000_000_000;
const ATTEST_TIP: u128 = 2 * RELAY_TIP;

/// What a round needs to know of the destination's latest block.
#[derive(Debug, Clone, Copy)]
struct BlockParams {
    gas_limit: u64,
    base_fee: u128,
}

impl BlockParams {
    /// Fees for a transaction with `tip`, good for a doubling of the base fee.
    fn fees(&self, tip: u128) -> Fees {
        Fees {
            max_fee: self.base_fee.saturating_mul(2).saturating_add(tip),
            tip,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Fees {
    max_fee: u128,
    tip: u128,
}

/// An account that sends on one chain.
pub(super) struct Account {
    pub provider: DynProvider,
    pub address: Address,
}

impl Account {
    /// The nonce of its next transaction: every one it sent, mined or in the pool.
    async fn next_nonce(&self) -> Result<u64, RelayError> {
        self.provider
            .get_transaction_count(self.address)
            .pending()
            .await
            .map_err(RelayError::from_transport)
    }

    /// Transactions it broadcast that are not mined yet.
    async fn in_flight(&self) -> Result<u64, RelayError> {
        let mined = self
            .provider
            .get_transaction_count(self.address)
            .latest()
            .await
            .map_err(RelayError::from_transport)?;
        Ok(self.next_nonce().await?.saturating_sub(mined))
    }
}

/// Hands out an account's nonces for one round: the next one is taken only by a send the node
/// accepted, and re-read from the node after any failure.
struct Nonces<'a> {
    account: &'a Account,
    next: u64,
}

impl<'a> Nonces<'a> {
    async fn new(account: &'a Account) -> Result<Self, RelayError> {
        Ok(Self {
            next: account.next_nonce().await?,
            account,
        })
    }

    /// Broadcasts `call` with `gas` and `fees`, without waiting for its block.
    async fn send<P: Provider, D: alloy::contract::CallDecoder>(
        &mut self,
        call: alloy::contract::CallBuilder<P, D>,
        gas: u64,
        fees: Fees,
    ) -> Result<PendingTransactionBuilder<Ethereum>, RelayError> {
        let call = call
            .gas(gas)
            .nonce(self.next)
            .max_fee_per_gas(fees.max_fee)
            .max_priority_fee_per_gas(fees.tip);
        match call.send().await {
            Ok(tx) => {
                self.next += 1;
                Ok(tx)
            }
            Err(err) => {
                // A timeout may have delivered it after all: ask the node what comes next.
                if let Ok(next) = self.account.next_nonce().await {
                    self.next = next;
                }
                Err(RelayError::from_send(err))
            }
        }
    }
}

/// Half again the estimate (a relay's cost may depend on the block it lands in, like a run's),
/// but never more than a block holds: the node refuses such a transaction.
fn gas_with_margin(estimate: u64, block_gas: u64) -> u64 {
    estimate.saturating_add(estimate / 2).min(block_gas)
}

pub(super) struct ChainClient {
    pub id: u64,
    pub attest: bool,
    pub relayer: Account,
    pub supervisor: Option<Account>,
    /// Whether the transactions our accounts had in flight when we started are mined.
    pub settled: AtomicBool,
}

impl ChainClient {
    /// Transactions our accounts broadcast on this chain that are not mined yet.
    async fn in_flight(&self) -> Result<u64, RelayError> {
        let mut n = self.relayer.in_flight().await?;
        if let Some(supervisor) = &self.supervisor {
            n += supervisor.in_flight().await?;
        }
        Ok(n)
    }

    async fn latest_block(&self) -> Result<BlockParams, RelayError> {
        let block = self
            .relayer
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(RelayError::from_transport)?
            .ok_or_else(|| RelayError::Rpc("no latest block".into()))?;
        Ok(BlockParams {
            gas_limit: block.header.gas_limit,
            base_fee: block.header.base_fee_per_gas.unwrap_or_default().into(),
        })
    }
}

/// What became of one message in a relay round.
pub(super) enum Outcome {
    Relayed(TxHash),
    AlreadyRelayed,
    /// Attest-only mode: attested, and left for others to relay.
    Attested,
    /// Not tried: transactions from before a restart are still in flight.
    Deferred,
    Failed(RelayError),
    /// No relay of it can succeed: parked with the reason.
    Unrelayable(String),
}

/// The devnet inbox's storage once `message` is attested, for dry runs before attesting.
fn attested_override(message: &SentMessage) -> StateOverride {
    let slot = keccak256((message.attestation_key(), U256::from(ATTESTED_SLOT)).abi_encode());
    let one = B256::with_last_byte(1);
    StateOverridesBuilder::default()
        .with_state_diff(CROSS_L2_INBOX, [(slot, one)])
        .build()
}

/// Runs the relay without sending it: its gas, or why it cannot go.
async fn dry_run(
    client: &ChainClient,
    message: &SentMessage,
    block_gas: u64,
) -> Result<u64, Outcome> {
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, &client.relayer.provider);
    let call = || {
        let call = messenger
            .relayMessage(message.id(), message.payload.clone())
            .access_list(message.access_list());
        if client.attest {
            call.state(attested_override(message))
        } else {
            call
        }
    };
    let err = match call().estimate_gas().await {
        Ok(gas) if gas > block_gas => {
            return Err(Outcome::Unrelayable(format!(
                "needs {gas} gas, more than a block holds ({block_gas})"
            )));
        }
        Ok(gas) => return Ok(gas),
        Err(err) => RelayError::from_call(err),
    };
    if err.unreachable() {
        return Err(Outcome::Failed(err));
    }
    // A target that runs out of gas makes the messenger revert like any other failure; only
    // more gas than a block holds tells the two apart.
    let probe = block_gas.saturating_mul(OVERSIZE_PROBE);
    match call().gas(probe).call_raw().await {
        Ok(_) => Err(Outcome::Unrelayable(format!(
            "needs more gas than a block holds ({block_gas})"
        ))),
        Err(_) => Err(Outcome::Failed(err)),
    }
}

/// One round for one destination: skip what is already relayed, dry-run the rest, attest what
/// passes and needs it and relay it (all broadcast, then awaited). One block per round however
/// many messages wait.
pub(super) async fn relay_batch(
    client: &ChainClient,
    relay: bool,
    batch: Vec<Pending>,
    status: &watch::Sender<RelayerStatus>,
) -> Vec<(Pending, Outcome)> {
    let fail_all = |batch: Vec<Pending>, err: RelayError| {
        batch
            .into_iter()
            .map(|p| (p, Outcome::Failed(err.clone())))
            .collect::<Vec<_>>()
    };
    let mut done = Vec::with_capacity(batch.len());
    if !client.settled.load(Ordering::SeqCst) {
        match client.in_flight().await {
            Ok(0) => client.settled.store(true, Ordering::SeqCst),
            Ok(n) => {
                tracing::info!(target: "relayer", chain = client.id, transactions = n, "waiting for transactions sent before the restart to be mined");
                return batch.into_iter().map(|p| (p, Outcome::Deferred)).collect();
            }
            Err(err) => return fail_all(batch, err),
        }
    }
    let block = match client.latest_block().await {
        Ok(block) => block,
        Err(err) => return fail_all(batch, err),
    };
    let block_gas = block.gas_limit;
    let messenger = L2ToL2CrossDomainMessenger::new(L2_TO_L2_MESSENGER, &client.relayer.provider);

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
            Ok(false) => todo.push((p, 0)),
            Err(e) => done.push((p, Outcome::Failed(RelayError::from_call(e)))),
        }
    }

    // Dry runs, so a relay that cannot succeed costs no attestation and no transaction. In
    // attest-only mode the supervisor attests every real message: others decide what to relay.
    if relay {
        let runs = join_all(
            todo.iter()
                .map(|(p, _)| dry_run(client, &p.message, block_gas)),
        )
        .await;
        let mut passed = Vec::new();
        for ((p, _), run) in todo.into_iter().zip(runs) {
            match run {
                Ok(gas) => passed.push((p, gas)),
                Err(outcome) => done.push((p, outcome)),
            }
        }
        todo = passed;
    }

    // Attest on the devnet's inbox, one transaction each, and relay each right behind its
    // attestation: all broadcast, then awaited, so the round takes one block. In attest-only
    // mode the supervisor attests every real message: others decide what to relay.
    let mut attesting = Vec::new();
    if let (true, Some(supervisor)) = (client.attest, &client.supervisor) {
        let inbox = CrossL2Inbox::new(CROSS_L2_INBOX, &supervisor.provider);
        let mut nonces = match Nonces::new(supervisor).await {
            Ok(n) => n,
            Err(err) => {
                done.extend(fail_all(todo.into_iter().map(|(p, _)| p).collect(), err));
                return done;
            }
        };
        for (p, gas) in todo {
            let attested = inbox.attested(p.message.attestation_key()).call().await;
            match attested {
                Ok(true) => attesting.push((p, gas, None)),
                Ok(false) => {
                    let call = inbox.attest(p.message.inbox_id(), keccak256(&p.message.payload));
                    let attempt = match call.estimate_gas().await {
                        Ok(estimate) => {
                            let gas_limit = gas_with_margin(estimate, block.gas_limit);
                            nonces.send(call, gas_limit, block.fees(ATTEST_TIP)).await
                        }
                        Err(e) => Err(RelayError::from_call(e)),
                    };
                    match attempt {
                        Ok(tx) => attesting.push((p, gas, Some(tx))),
                        Err(err) => done.push((p, Outcome::Failed(err))),
                    }
                }
                Err(e) => done.push((p, Outcome::Failed(RelayError::from_call(e)))),
            }
        }
    } else {
        attesting = todo.into_iter().map(|(p, gas)| (p, gas, None)).collect();
    }

    // Relay, each with the access list an OP interop chain requires.
    let mut sent = Vec::new();
    let mut nonces = None;
    if relay {
        match Nonces::new(&client.relayer).await {
            Ok(n) => nonces = Some(n),
            // The attestations went out: they are counted below, and relayed next round.
            Err(err) => {
                for (p, _, attest) in attesting.drain(..) {
                    sent.push((p, attest, RelaySend::Refused(err.clone())));
                }
            }
        }
    }
    for (p, gas, attest) in attesting {
        let Some(nonces) = nonces.as_mut() else {
            sent.push((p, attest, RelaySend::NotWanted));
            continue;
        };
        let call = messenger
            .relayMessage(p.message.id(), p.message.payload.clone())
            .access_list(p.message.access_list());
        let gas_limit = gas_with_margin(gas, block.gas_limit);
        match nonces.send(call, gas_limit, block.fees(RELAY_TIP)).await {
            Ok(tx) => {
                status.send_modify(|s| s.in_flight += 1);
                sent.push((p, attest, RelaySend::Sent(tx)));
            }
            Err(err) => sent.push((p, attest, RelaySend::Refused(err))),
        }
    }

    let awaited = join_all(sent.into_iter().map(|(p, attest, relay)| async move {
        let attest = match attest {
            Some(tx) => Some(mined(tx).await),
            None => None,
        };
        let relay = match relay {
            RelaySend::NotWanted => None,
            RelaySend::Refused(err) => Some(Err(err)),
            RelaySend::Sent(tx) => {
                let result = mined(tx).await;
                status.send_modify(|s| s.in_flight = s.in_flight.saturating_sub(1));
                Some(result)
            }
        };
        (p, attest, relay)
    }))
    .await;
    for (p, attest, relay) in awaited {
        if matches!(attest, Some(Ok(_))) {
            status.send_modify(|s| s.attested += 1);
        }
        let outcome = match (attest, relay) {
            (_, Some(Ok(tx))) => Outcome::Relayed(tx),
            // A failed attestation is why its relay failed.
            (Some(Err(err)), _) | (_, Some(Err(err))) => Outcome::Failed(err),
            (_, None) => Outcome::Attested,
        };
        done.push((p, outcome));
    }
    done
}

/// A relay in a round: not wanted (attest-only), refused by the node, or broadcast.
enum RelaySend {
    NotWanted,
    Refused(RelayError),
    Sent(PendingTransactionBuilder<Ethereum>),
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
    use super::*;

    #[test]
    fn the_gas_margin_never_exceeds_a_block() {
        assert_eq!(gas_with_margin(100_000, 30_000_000), 150_000);
        assert_eq!(gas_with_margin(26_000_000, 30_000_000), 30_000_000);
        assert_eq!(gas_with_margin(u64::MAX, 30_000_000), 30_000_000);
    }
}
