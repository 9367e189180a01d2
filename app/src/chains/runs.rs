//! Starting a run: the form's request, a simulation before signing (gas, or the custom error it
//! would revert with), the signed send, and the transactions sent so far (kept across reloads).

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, TxHash, U256},
    providers::Provider,
    rpc::types::{TransactionReceipt, TransactionRequest},
    sol_types::{SolCall, SolInterface},
};
use interplay_contracts::{CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger, Worker};
use serde::{Deserialize, Serialize};

use super::{
    client::Clients,
    error::{ChainError, WalletError},
    wallet::Writer,
};

/// The contracts' bound on a run's index range (`PowSearch.MAX_RANGE`): so a report always
/// fits a block, even if every index is a result.
pub const MAX_RANGE: u64 = 1 << 10;

/// What to mine on every chain of the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Work {
    /// The seed's `run(worker, chainIds)`: indices 0..255, 6 leading zero bits.
    Seed,
    Custom {
        start: u64,
        end: u64,
        bits: u32,
    },
    /// The chains' parts of a job: one seed, `parts[k]` for `chains[k]`.
    Job {
        seed: alloy::primitives::B256,
        parts: Vec<(u64, u64)>,
        bits: u32,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub chain_a: u64,
    pub chains: Vec<u64>,
    pub work: Work,
    /// Another worker than the devnet's: `InteropPoW` takes any, which is why reports are
    /// verified.
    pub worker: Option<Address>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("pick at least one chain")]
    NoChains,
    #[error("{field} must be a whole number")]
    NotANumber { field: &'static str },
    #[error("the range must end after it starts")]
    EmptyRange,
    #[error("a run covers at most {MAX_RANGE} indices")]
    RangeTooLarge,
    #[error("difficulty is 1 to 255 leading zero bits")]
    BadBits,
    #[error("the worker must be a 0x-prefixed 20-byte address, or empty for the devnet's")]
    BadWorker,
    #[error("the job's seed must be 32 bytes of hex")]
    BadSeed,
    #[error("a job covers at most {MAX_JOB} indices")]
    JobTooLarge,
    #[error("browser cores for the job: 0 to {max}")]
    BadCores { max: usize },
    #[error(transparent)]
    Split(#[from] crate::jobs::split::SplitError),
}

/// Most indices one job may cover: a few seconds on browser cores.
pub const MAX_JOB: u64 = 1 << 24;

fn number(text: &str, field: &'static str) -> Result<u64, FormError> {
    text.trim()
        .replace('_', "")
        .parse::<u64>()
        .map_err(|_| FormError::NotANumber { field })
}

/// Reads the job fields: a 32-byte seed in hex, a range and a difficulty.
pub fn parse_job(
    seed: &str,
    start: &str,
    end: &str,
    bits: &str,
) -> Result<crate::jobs::Job, FormError> {
    let seed = seed.trim();
    if seed.trim_start_matches("0x").len() != 64 {
        return Err(FormError::BadSeed);
    }
    let seed = interplay_pow::parse_word(seed).ok_or(FormError::BadSeed)?;
    let (start, end, bits) = range_and_bits(start, end, bits, MAX_JOB, FormError::JobTooLarge)?;
    Ok(crate::jobs::Job {
        seed,
        start,
        end,
        bits,
    })
}

/// A typed index range of at most `most` indices and a difficulty in 1..=255 zero bits;
/// `too_large` says which bound a longer range broke.
fn range_and_bits(
    start: &str,
    end: &str,
    bits: &str,
    most: u64,
    too_large: FormError,
) -> Result<(u64, u64, u32), FormError> {
    let (start, end) = (number(start, "start")?, number(end, "end")?);
    let bits = number(bits, "difficulty")?;
    if end <= start {
        return Err(FormError::EmptyRange);
    }
    if end - start > most {
        return Err(too_large);
    }
    if !(1..=255).contains(&bits) {
        return Err(FormError::BadBits);
    }
    Ok((start, end, bits as u32))
}

/// The form's worker field: empty for the devnet's Worker.
pub fn parse_worker(text: &str) -> Result<Option<Address>, FormError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !text.starts_with("0x") {
        return Err(FormError::BadWorker);
    }
    text.parse().map(Some).map_err(|_| FormError::BadWorker)
}

/// Reads the run form; `selected` in the manifest's order.
pub fn parse_form(
    chain_a: u64,
    selected: Vec<u64>,
    custom: Option<(&str, &str, &str)>,
) -> Result<RunRequest, FormError> {
    if selected.is_empty() {
        return Err(FormError::NoChains);
    }
    let work = match custom {
        None => Work::Seed,
        Some((start, end, bits)) => {
            let (start, end, bits) =
                range_and_bits(start, end, bits, MAX_RANGE, FormError::RangeTooLarge)?;
            Work::Custom { start, end, bits }
        }
    };
    Ok(RunRequest {
        chain_a,
        chains: selected,
        work,
        worker: None,
    })
}

impl RunRequest {
    pub fn calldata(&self, worker: Address) -> Bytes {
        let chain_ids = self.chains.iter().map(|c| U256::from(*c)).collect();
        match self.work {
            Work::Seed => InteropPoW::runCall {
                worker,
                chainIds: chain_ids,
            }
            .abi_encode()
            .into(),
            Work::Custom { start, end, bits } => InteropPoW::runWorkCall {
                worker,
                chainIds: chain_ids,
                start,
                end,
                target: U256::from_be_bytes(interplay_pow::target_for_bits(bits)),
            }
            .abi_encode()
            .into(),
            Work::Job {
                seed,
                ref parts,
                bits,
            } => InteropPoW::runJobCall {
                worker,
                seed,
                chainIds: chain_ids,
                starts: parts.iter().map(|p| p.0).collect(),
                ends: parts.iter().map(|p| p.1).collect(),
                target: U256::from_be_bytes(interplay_pow::target_for_bits(bits)),
            }
            .abi_encode()
            .into(),
        }
    }
}

/// Why a run (or a relay) did not go through; each says what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Form(#[from] FormError),
    #[error(transparent)]
    Wallet(#[from] WalletError),
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error("it would revert with {0}: nothing was sent")]
    WouldRevert(String),
    #[error("transaction {hash} reverted in block {block}")]
    Reverted { hash: TxHash, block: u64 },
    #[error("the node refused it: {0}")]
    Refused(String),
    #[error(
        "transaction {hash} is gone: neither mined nor waiting on chain {chain} (was the devnet restarted?)"
    )]
    Dropped { hash: TxHash, chain: u64 },
}

/// Names a revert's custom error, as the contracts declare it.
pub fn revert_reason(data: &[u8]) -> String {
    use InteropPoW::InteropPoWErrors as E;
    if let Ok(err) = E::abi_decode(data) {
        return match err {
            E::NoChains(_) => "NoChains".into(),
            E::DuplicateChain(e) => format!("DuplicateChain(chain {})", e.chainId),
            E::NotAuthorized(e) => format!("NotAuthorized({}, chain {})", e.caller, e.source),
            E::AlreadyReported(e) => {
                format!("AlreadyReported(run {}, chain {})", e.runId, e.chainId)
            }
            E::UnknownRun(e) => format!("UnknownRun({})", e.runId),
            E::NoWorker(_) => "NoWorker".into(),
            E::TooManyChains(e) => format!("TooManyChains({})", e.count),
            E::ChainIdTooLarge(e) => format!("ChainIdTooLarge({})", e.chainId),
            E::RangeTooLarge(e) => format!("RangeTooLarge({}..{})", e.start, e.end),
            E::PartsMismatch(e) => format!(
                "PartsMismatch({} chains, {} starts, {} ends)",
                e.chains, e.starts, e.ends
            ),
            E::MalformedReport(e) => format!(
                "MalformedReport(run {}, chain {}, {} bytes)",
                e.runId, e.chainId, e.length
            ),
        };
    }
    if let Ok(Worker::WorkerErrors::NotCoordinator(e)) = Worker::WorkerErrors::abi_decode(data) {
        return format!("NotCoordinator({})", e.caller);
    }
    if let Ok(err) = L2ToL2CrossDomainMessenger::L2ToL2CrossDomainMessengerErrors::abi_decode(data)
    {
        return format!("{err:?}")
            .split('(')
            .next()
            .unwrap_or_default()
            .to_owned();
    }
    if let Ok(err) = CrossL2Inbox::CrossL2InboxErrors::abi_decode(data) {
        return match err {
            CrossL2Inbox::CrossL2InboxErrors::NotAttested(_) => {
                "NotAttested (no supervisor has attested the message yet)".into()
            }
            other => format!("{other:?}")
                .split('(')
                .next()
                .unwrap_or_default()
                .to_owned(),
        };
    }
    if data.is_empty() {
        "a revert without reason (out of gas?)".into()
    } else {
        format!(
            "unknown error 0x{}",
            alloy::hex::encode(&data[..data.len().min(4)])
        )
    }
}

/// What the failure of a call or estimate says: a decoded revert, or the node's message.
fn classify(err: alloy::transports::TransportError) -> RunError {
    match err.as_error_resp() {
        Some(payload) => match payload.as_revert_data() {
            Some(data) => RunError::WouldRevert(revert_reason(&data)),
            None if payload.message.contains("revert") => {
                RunError::WouldRevert(payload.message.to_string())
            }
            None => RunError::Refused(payload.message.to_string()),
        },
        None => RunError::Chain(ChainError::RpcDown {
            url: String::new(),
            reason: err.to_string(),
        }),
    }
}

/// A transaction, ready to sign after a successful simulation.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub tx: TransactionRequest,
    pub gas_estimate: u64,
    pub gas_price: u128,
}

/// Simulates `input` to `to` from `from` on `chain` (over our RPC, not the wallet's) and
/// estimates its gas. A revert comes back decoded, and nothing is sent.
pub async fn prepare(
    clients: &Clients,
    chain: u64,
    from: Address,
    to: Address,
    input: Bytes,
) -> Result<Prepared, RunError> {
    let reader = &clients.chain(chain)?.provider;
    // Both `input` and `data`: MetaMask reads only `data`.
    let mut tx = TransactionRequest::default().with_from(from).with_to(to);
    tx.input = alloy::rpc::types::TransactionInput::both(input);
    reader.call(tx.clone()).await.map_err(classify)?;
    let gas_estimate = reader.estimate_gas(tx.clone()).await.map_err(classify)?;
    let gas_price = reader.get_gas_price().await.map_err(classify)?;
    let balance = reader.get_balance(from).await.map_err(classify)?;
    if balance < U256::from(gas_estimate) * U256::from(gas_price) {
        return Err(WalletError::NoFunds {
            account: from.to_string(),
            chain_id: chain,
        }
        .into());
    }
    // A run's cost depends on the block it lands in (its seed): half again covers the worst.
    let tx = tx.with_gas_limit(gas_estimate + gas_estimate / 2);
    Ok(Prepared {
        tx,
        gas_estimate,
        gas_price,
    })
}

/// Signs and sends with the wallet; returns once the wallet has handed back the hash.
pub async fn send(writer: &Writer, prepared: Prepared) -> Result<TxHash, RunError> {
    let pending = writer
        .provider
        .send_transaction(prepared.tx)
        .await
        .map_err(|e| {
            if writer.is_burner {
                classify(e)
            } else {
                RunError::Wallet(WalletError::from_rpc(&e, None))
            }
        })?;
    Ok(*pending.tx_hash())
}

/// Where a sent transaction stands; kept in the recent list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxStatus {
    Pending,
    Mined {
        block: u64,
        gas_used: u64,
    },
    Reverted {
        block: u64,
        gas_used: u64,
    },
    /// Neither mined nor in the pool any more (a restarted devnet).
    Dropped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxRecord {
    pub hash: TxHash,
    pub chain: u64,
    pub label: String,
    pub status: TxStatus,
}

/// How many recent transactions the page keeps.
pub const RECENT: usize = 20;

/// Adds or updates `record`, newest first, at most [`RECENT`].
pub fn remember(list: &mut Vec<TxRecord>, record: TxRecord) {
    list.retain(|r| r.hash != record.hash);
    list.insert(0, record);
    list.truncate(RECENT);
}

/// Sets the status of the recorded `hash` where it stands in the list (a recheck after a reload
/// must not reorder what the user saw); false when it is not there.
pub fn update_status(list: &mut [TxRecord], hash: TxHash, status: TxStatus) -> bool {
    match list.iter_mut().find(|r| r.hash == hash) {
        Some(record) => {
            record.status = status;
            true
        }
        None => false,
    }
}

/// Waits for the receipt over our RPC, block by block; returns it with what it says.
pub async fn wait_mined(
    clients: &Clients,
    chain: u64,
    hash: TxHash,
) -> Result<(TxStatus, TransactionReceipt), RunError> {
    let reader = &clients.chain(chain)?.provider;
    let mut polls = 0u64;
    loop {
        polls += 1;
        // Now and then: is it still known at all? A restarted devnet forgets its pool.
        if polls.is_multiple_of(20)
            && let Ok(None) = reader.get_transaction_by_hash(hash).await
        {
            return Err(RunError::Dropped { hash, chain });
        }
        match reader.get_transaction_receipt(hash).await {
            Ok(Some(r)) => {
                let block = r.block_number.unwrap_or_default();
                let status = if r.status() {
                    TxStatus::Mined {
                        block,
                        gas_used: r.gas_used,
                    }
                } else {
                    TxStatus::Reverted {
                        block,
                        gas_used: r.gas_used,
                    }
                };
                return Ok((status, r));
            }
            Ok(None) => {}
            // The chain may be restarting: keep waiting, the page shows the chain is down.
            Err(_) => gloo_timers::future::sleep(std::time::Duration::from_millis(500)).await,
        }
        gloo_timers::future::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use alloy::sol_types::SolError;

    use super::*;

    #[test]
    fn a_job_form_wants_a_whole_seed_a_range_and_a_difficulty() {
        let seed = format!("0x{}", "ab".repeat(32));
        let job = parse_job(&seed, "10", "1_000", "8").expect("a job");
        assert_eq!(
            (job.seed, job.start, job.end, job.bits),
            ([0xab; 32], 10, 1000, 8)
        );
        assert_eq!(parse_job("0x12", "0", "1", "8"), Err(FormError::BadSeed));
        assert_eq!(
            parse_job(&seed.replace('a', "g"), "0", "1", "8"),
            Err(FormError::BadSeed)
        );
        assert_eq!(parse_job(&seed, "5", "5", "8"), Err(FormError::EmptyRange));
        let too_many = (MAX_JOB + 1).to_string();
        assert_eq!(
            parse_job(&seed, "0", &too_many, "8"),
            Err(FormError::JobTooLarge)
        );
        assert_eq!(parse_job(&seed, "0", "9", "0"), Err(FormError::BadBits));
    }

    #[test]
    fn a_job_s_calldata_gives_each_chain_its_part() {
        let request = RunRequest {
            chain_a: 901,
            chains: vec![901, 902],
            work: Work::Job {
                seed: alloy::primitives::B256::repeat_byte(3),
                parts: vec![(0, 10), (10, 30)],
                bits: 8,
            },
            worker: None,
        };
        let call = InteropPoW::runJobCall::abi_decode(&request.calldata(Address::repeat_byte(1)))
            .expect("runJob");
        assert_eq!((call.starts, call.ends), (vec![0, 10], vec![10, 30]));
        assert_eq!(call.chainIds, vec![U256::from(901), U256::from(902)]);
        assert_eq!(
            call.target,
            U256::from_be_bytes(interplay_pow::target_for_bits(8))
        );
    }

    #[test]
    fn the_seed_form_and_a_custom_one() {
        let seed = parse_form(901, vec![901, 902], None).expect("valid");
        assert_eq!(seed.work, Work::Seed);
        let custom = parse_form(901, vec![902], Some(("0", "1_000", "8"))).expect("valid");
        assert_eq!(
            custom.work,
            Work::Custom {
                start: 0,
                end: 1000,
                bits: 8
            }
        );
    }

    #[test]
    fn bad_forms_say_what_is_wrong() {
        assert_eq!(parse_form(901, vec![], None), Err(FormError::NoChains));
        assert_eq!(
            parse_form(901, vec![901], Some(("a", "1", "6"))),
            Err(FormError::NotANumber { field: "start" })
        );
        assert_eq!(
            parse_form(901, vec![901], Some(("5", "5", "6"))),
            Err(FormError::EmptyRange)
        );
        assert_eq!(
            parse_form(901, vec![901], Some(("0", "70000", "6"))),
            Err(FormError::RangeTooLarge)
        );
        assert_eq!(
            parse_form(901, vec![901], Some(("0", "10", "0"))),
            Err(FormError::BadBits)
        );
    }

    #[test]
    fn the_worker_is_the_devnets_unless_given() {
        assert_eq!(parse_worker("  "), Ok(None));
        let other = Address::repeat_byte(0x42);
        assert_eq!(parse_worker(&format!(" {other} ")), Ok(Some(other)));
        assert_eq!(parse_worker("0x12"), Err(FormError::BadWorker));
        assert_eq!(parse_worker(&"42".repeat(20)), Err(FormError::BadWorker));
    }

    #[test]
    fn calldata_calls_run_or_run_work() {
        let worker = Address::repeat_byte(1);
        let seed = parse_form(901, vec![901, 902], None).expect("valid");
        let data = seed.calldata(worker);
        let call = InteropPoW::runCall::abi_decode(&data).expect("run(worker, chainIds)");
        assert_eq!(call.chainIds, vec![U256::from(901), U256::from(902)]);
        let custom = parse_form(901, vec![902], Some(("10", "20", "8"))).expect("valid");
        let call = InteropPoW::runWorkCall::abi_decode(&custom.calldata(worker)).expect("runWork");
        assert_eq!((call.start, call.end), (10, 20));
        assert_eq!(
            call.target,
            U256::from_be_bytes(interplay_pow::target_for_bits(8))
        );
    }

    #[test]
    fn custom_errors_are_named() {
        let data = InteropPoW::DuplicateChain {
            chainId: U256::from(902),
        }
        .abi_encode();
        assert_eq!(revert_reason(&data), "DuplicateChain(chain 902)");
        assert_eq!(
            revert_reason(&InteropPoW::NoChains {}.abi_encode()),
            "NoChains"
        );
        assert!(revert_reason(&[1, 2, 3, 4, 5]).starts_with("unknown error 0x01020304"));
    }

    #[test]
    fn the_recent_list_is_newest_first_and_bounded() {
        let mut list = Vec::new();
        for i in 0..(RECENT as u8 + 5) {
            remember(
                &mut list,
                TxRecord {
                    hash: TxHash::repeat_byte(i),
                    chain: 901,
                    label: format!("run {i}"),
                    status: TxStatus::Pending,
                },
            );
        }
        assert_eq!(list.len(), RECENT);
        assert_eq!(list[0].hash, TxHash::repeat_byte(RECENT as u8 + 4));
        // An update replaces, and moves to the top.
        let mut again = list[5].clone();
        again.status = TxStatus::Mined {
            block: 3,
            gas_used: 21_000,
        };
        remember(&mut list, again.clone());
        assert_eq!(list[0], again);
        assert_eq!(list.len(), RECENT);
    }

    #[test]
    fn a_status_update_keeps_the_order() {
        let record = |i: u8| TxRecord {
            hash: TxHash::repeat_byte(i),
            chain: 901,
            label: format!("run {i}"),
            status: TxStatus::Pending,
        };
        let mut list = vec![record(1), record(2), record(3)];
        assert!(update_status(
            &mut list,
            TxHash::repeat_byte(2),
            TxStatus::Dropped
        ));
        assert_eq!(list[1].status, TxStatus::Dropped);
        assert_eq!(list[0].status, TxStatus::Pending);
        assert_eq!(
            list.iter().map(|r| r.hash[0]).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(!update_status(
            &mut list,
            TxHash::repeat_byte(9),
            TxStatus::Dropped
        ));
    }
}
