//! Why one attempt at a message failed, and whether that is worth counting against it.

use std::{path::PathBuf, time::Duration};

use alloy::primitives::TxHash;
use interplay_contracts::{CrossL2Inbox, InteropPoW, L2ToL2CrossDomainMessenger, Worker};

/// Why one attempt at a message failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RelayError {
    #[error("RPC: {0}")]
    Unreachable(String),
    #[error("reverts: {0}")]
    Reverts(String),
    #[error("transaction {0} reverted")]
    TxReverted(TxHash),
    #[error("timed out after {0:?}")]
    TimedOut(Duration),
    #[error("the node refused the transaction: {0}")]
    Refused(String),
    #[error("{0}")]
    Rpc(String),
}

impl RelayError {
    /// The chain did not answer: says nothing about the message, so it is never held against it.
    pub(super) fn unreachable(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::TimedOut(_))
    }

    /// The message's own fault (it reverts, or its transaction was refused for what it is):
    /// counted towards dead-lettering it. An unreachable chain, or a relayer without funds,
    /// says nothing about the message.
    pub(super) fn is_fault(&self) -> bool {
        match self {
            Self::Reverts(_) | Self::TxReverted(_) | Self::Rpc(_) => true,
            Self::Refused(reason) => !reason.contains("insufficient funds"),
            Self::Unreachable(_) | Self::TimedOut(_) => false,
        }
    }

    pub(super) fn from_call(err: alloy::contract::Error) -> Self {
        match &err {
            alloy::contract::Error::TransportError(t) if !t.is_error_resp() => {
                Self::Unreachable(t.to_string())
            }
            _ if err.as_revert_data().is_some() => Self::Reverts(revert_name(&err)),
            _ => Self::Rpc(err.to_string()),
        }
    }

    /// A failed `eth_sendRawTransaction`: the node answered, so it refused the transaction.
    pub(super) fn from_send(err: alloy::contract::Error) -> Self {
        match Self::from_call(err) {
            Self::Rpc(reason) => Self::Refused(reason),
            other => other,
        }
    }

    pub(super) fn from_transport(err: alloy::transports::TransportError) -> Self {
        if err.is_error_resp() {
            Self::Rpc(err.to_string())
        } else {
            Self::Unreachable(err.to_string())
        }
    }

    pub(super) fn from_pending(err: alloy::providers::PendingTransactionError) -> Self {
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

/// Why a relayer cannot start.
#[derive(Debug, thiserror::Error)]
pub enum RelayerError {
    #[error(
        "another relayer is using the state file {state} (it holds {lock}); stop it, or give this \
         one another state file"
    )]
    StateInUse { state: PathBuf, lock: PathBuf },
    #[error("cannot lock the state file {state} through {lock}: {source}")]
    Lock {
        state: PathBuf,
        lock: PathBuf,
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_the_message_causes_counts_against_it() {
        assert!(RelayError::Reverts("UnknownRun".into()).is_fault());
        assert!(RelayError::TxReverted(TxHash::ZERO).is_fault());
        assert!(RelayError::Refused("intrinsic gas too high".into()).is_fault());
        assert!(
            !RelayError::Refused("insufficient funds for gas * price + value".into()).is_fault()
        );
        assert!(!RelayError::Unreachable("connection refused".into()).is_fault());
        assert!(!RelayError::TimedOut(Duration::from_secs(60)).is_fault());
    }
}
