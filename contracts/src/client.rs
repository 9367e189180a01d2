//! Sending to the contracts the way every client here must: with a gas margin (a run's cost
//! depends on the block it lands in) and a receipt whose status is checked.

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    primitives::U256,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::local::PrivateKeySigner,
};

use crate::InteropPoW;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid {what}: {reason}")]
    Config { what: &'static str, reason: String },
    #[error(transparent)]
    Call(#[from] alloy::contract::Error),
    #[error("waiting for the receipt: {0}")]
    Pending(#[from] alloy::providers::PendingTransactionError),
    #[error("transaction {0} reverted")]
    Reverted(alloy::primitives::TxHash),
    #[error("the run emitted no RunStarted")]
    NoRun,
}

impl ClientError {
    /// The node did not answer (as opposed to answering with an error or a revert).
    pub fn is_unreachable(&self) -> bool {
        match self {
            Self::Call(alloy::contract::Error::TransportError(t)) => !t.is_error_resp(),
            Self::Pending(_) => true,
            _ => false,
        }
    }
}

/// A provider that signs with `key` on the chain at `url`.
pub fn connect(url: &str, key: &str) -> Result<DynProvider, ClientError> {
    let signer: PrivateKeySigner = key.parse().map_err(|e| ClientError::Config {
        what: "private key",
        reason: format!("{e}"),
    })?;
    let url = url.parse().map_err(|e| ClientError::Config {
        what: "RPC url",
        reason: format!("{e}"),
    })?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
        .erased())
}

/// Gas for calls whose cost depends on the block they land in: a run's seed comes from the
/// block, and more results cost more storage than the estimate (made against another block)
/// saw. Half again as much covers the worst case of the seed's work.
pub async fn with_gas_margin<P: Provider, D: CallDecoder>(
    call: CallBuilder<P, D>,
) -> Result<CallBuilder<P, D>, alloy::contract::Error> {
    let estimate = call.estimate_gas().await?;
    Ok(call.gas(estimate + estimate / 2))
}

/// Sends with the margin and waits for a successful receipt.
pub async fn send_mined<P: Provider, D: CallDecoder>(
    call: CallBuilder<P, D>,
) -> Result<TransactionReceipt, ClientError> {
    let receipt = with_gas_margin(call)
        .await?
        .send()
        .await?
        .get_receipt()
        .await?;
    if receipt.status() {
        Ok(receipt)
    } else {
        Err(ClientError::Reverted(receipt.transaction_hash))
    }
}

/// `InteropPoW.run(worker, chains)`: the run's id and its receipt.
pub async fn start_run<P: Provider>(
    pow: &InteropPoW::InteropPoWInstance<P>,
    worker: alloy::primitives::Address,
    chains: &[u64],
) -> Result<(U256, TransactionReceipt), ClientError> {
    let receipt =
        send_mined(pow.run(worker, chains.iter().map(|c| U256::from(*c)).collect())).await?;
    let run = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| l.log_decode::<InteropPoW::RunStarted>().ok())
        .ok_or(ClientError::NoRun)?
        .inner
        .data
        .runId;
    Ok((run, receipt))
}
