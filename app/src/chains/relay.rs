//! "Relay now": relaying a stuck message by hand with a dev key over RPC (browser wallets strip
//! access lists, which an OP interop chain requires on a relay), and asking a destination why
//! a message does not relay.

use alloy::{
    network::TransactionBuilder, primitives::TxHash, providers::Provider,
    rpc::types::TransactionRequest, sol_types::SolCall,
};
use interplay_contracts::{L2ToL2CrossDomainMessenger, interop::SentMessage};

use super::{
    client::Clients,
    error::ChainError,
    runs::{RunError, TxStatus, revert_reason, wait_mined},
    wallet::burner::Burner,
};

/// Dev account the page relays from: none of the devnet's roles, nor the burner's.
pub const RELAY_ACCOUNT: usize = 3;

fn relay_tx(clients: &Clients, message: &SentMessage) -> Result<TransactionRequest, ChainError> {
    let messenger = clients.addresses()?.messenger;
    let input = L2ToL2CrossDomainMessenger::relayMessageCall {
        _id: message.id(),
        _sentMessage: message.payload.clone(),
    }
    .abi_encode();
    Ok(TransactionRequest::default()
        .with_to(messenger)
        .with_input(input)
        .with_access_list(message.access_list()))
}

/// Why relaying `message` on its destination fails right now; `None` if it would succeed.
pub async fn why_not_relayed(clients: &Clients, message: &SentMessage) -> Option<String> {
    let Ok(destination) = u64::try_from(message.destination) else {
        return Some(format!(
            "its destination {} is no chain id here",
            message.destination
        ));
    };
    let chain = match clients.chain(destination) {
        Ok(c) => c,
        Err(e) => return Some(e.to_string()),
    };
    let tx = match relay_tx(clients, message) {
        Ok(tx) => tx,
        Err(e) => return Some(e.to_string()),
    };
    match chain.provider.call(tx).await {
        Ok(_) => None,
        Err(err) => Some(match err.as_error_resp().and_then(|p| p.as_revert_data()) {
            Some(data) => format!("a relay reverts with {}", revert_reason(&data)),
            None => err.to_string(),
        }),
    }
}

/// Relays `message` with the page's dev account; returns the mined relay's hash.
pub async fn relay_now(clients: &Clients, message: &SentMessage) -> Result<TxHash, RunError> {
    let destination =
        u64::try_from(message.destination).map_err(|_| ChainError::UnknownChain(u64::MAX))?;
    let chain = clients.chain(destination)?;
    if let Some(reason) = why_not_relayed(clients, message).await {
        return Err(RunError::WouldRevert(reason));
    }
    let relayer = Burner::from_account(&clients.manifest, RELAY_ACCOUNT)?;
    let tx = relay_tx(clients, message)?.with_from(relayer.address());
    // The worker's cost depends on the block's seed, which the estimate did not see: half again.
    let estimate = chain
        .provider
        .estimate_gas(tx.clone())
        .await
        .map_err(|e| RunError::Refused(e.to_string()))?;
    let tx = tx.with_gas_limit(estimate + estimate / 2);
    let pending = relayer
        .writer(chain)?
        .send_transaction(tx)
        .await
        .map_err(|e| RunError::Refused(e.to_string()))?;
    let hash = *pending.tx_hash();
    match wait_mined(clients, destination, hash).await?.0 {
        TxStatus::Reverted { block, .. } => Err(RunError::Reverted { hash, block }),
        _ => Ok(hash),
    }
}
