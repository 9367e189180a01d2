//! What can go wrong on the chain side, as the user reads it: each message says what to do.

use alloy::{
    rpc::json_rpc::RpcError,
    transports::{TransportError, TransportErrorKind},
};

/// Reading the devnet and its chains.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("devnet not reachable at {url} ({reason}); start it with ./scripts/play.sh")]
    DevnetUnreachable { url: String, reason: String },
    #[error("the devnet manifest is invalid: {0}")]
    BadManifest(String),
    #[error("RPC {url} is down: {reason}")]
    RpcDown { url: String, reason: String },
    #[error(
        "{contract} is not deployed on chain {chain_id}: restart the devnet, or deploy it there"
    )]
    ContractsMissing {
        chain_id: u64,
        contract: &'static str,
    },
    #[error("chain {0} is not in the devnet manifest")]
    UnknownChain(u64),
    #[error("block {block} of chain {chain_id} is not there (a reset chain?)")]
    BlockMissing { chain_id: u64, block: u64 },
}

/// What a wallet answered, classified by its EIP-1193 / JSON-RPC code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// 4001: not an error to the user, who chose to say no.
    #[error("rejected in the wallet")]
    Rejected,
    /// -32002: the wallet already shows a prompt from this site.
    #[error("a request is already waiting in the wallet: open it to approve or reject")]
    AlreadyPending,
    /// 4902: the wallet does not know the chain yet.
    #[error("the wallet does not know chain {0}")]
    UnknownChain(u64),
    /// 4100: the account is not authorized for this site.
    #[error("the wallet has not authorized this site: connect again")]
    Unauthorized,
    /// 4900 / 4901.
    #[error("the wallet is disconnected from the chain: reconnect it")]
    Disconnected,
    #[error("no browser wallet found: install one, or use the devnet burner")]
    NoWallet,
    #[error("the wallet returned no account")]
    NoAccount,
    #[error("the wallet is on chain {have}, not {want}: switch it")]
    WrongChain { have: u64, want: u64 },
    #[error("{account} has no funds on chain {chain_id}: use a devnet account or fund it")]
    NoFunds { account: String, chain_id: u64 },
    #[error("the wallet failed ({code}): {message}")]
    Rpc { code: i64, message: String },
    #[error("the wallet did not answer: {0}")]
    Transport(String),
}

impl WalletError {
    /// A calm state rather than an error: the user decided.
    pub fn is_rejection(&self) -> bool {
        matches!(self, Self::Rejected)
    }

    /// Classifies a failed wallet request; `chain` is the chain it was about, if any.
    pub fn from_rpc(err: &TransportError, chain: Option<u64>) -> Self {
        match err {
            RpcError::ErrorResp(payload) => Self::from_code(payload.code, &payload.message, chain),
            other => Self::Transport(other.to_string()),
        }
    }

    pub fn from_code(code: i64, message: &str, chain: Option<u64>) -> Self {
        match code {
            4001 => Self::Rejected,
            -32002 => Self::AlreadyPending,
            4902 => Self::UnknownChain(chain.unwrap_or_default()),
            4100 => Self::Unauthorized,
            4900 | 4901 => Self::Disconnected,
            // Some wallets wrap the rejection in an internal error with the words only.
            _ if message.to_ascii_lowercase().contains("user rejected") => Self::Rejected,
            code => Self::Rpc {
                code,
                message: message.to_owned(),
            },
        }
    }
}

/// Whether a node's failure is "not reachable" rather than an answer.
pub fn is_unreachable(err: &RpcError<TransportErrorKind>) -> bool {
    !err.is_error_resp() && !matches!(err, RpcError::DeserError { .. })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_codes_map_to_what_the_user_sees() {
        assert_eq!(
            WalletError::from_code(4001, "x", None),
            WalletError::Rejected
        );
        assert!(WalletError::from_code(4001, "x", None).is_rejection());
        assert_eq!(
            WalletError::from_code(-32002, "x", None),
            WalletError::AlreadyPending
        );
        assert_eq!(
            WalletError::from_code(4902, "x", Some(903)),
            WalletError::UnknownChain(903)
        );
        assert_eq!(
            WalletError::from_code(
                -32603,
                "MetaMask Tx Signature: User rejected the request.",
                None
            ),
            WalletError::Rejected
        );
        assert!(matches!(
            WalletError::from_code(-32000, "insufficient funds", None),
            WalletError::Rpc { code: -32000, .. }
        ));
    }

    #[test]
    fn pending_says_to_open_the_wallet() {
        assert!(WalletError::AlreadyPending.to_string().contains("open it"));
    }
}
