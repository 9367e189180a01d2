//! Wallets: browser wallets found by EIP-6963 (or `window.ethereum`) and the built-in devnet
//! burner, which signs locally with a dev key from the manifest. One state type the panel reads;
//! [`Writer`] is how the rest of the app sends transactions, whichever wallet is chosen.

pub mod burner;
pub mod discovery;
pub mod eip1193;
pub mod session;

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

pub use session::{WalletState, Writer};

/// Which wallet: by EIP-6963 `rdns` (stable across reloads, unlike its uuid).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WalletKey {
    Injected(String),
    /// A bare `window.ethereum`, no EIP-6963.
    Legacy,
    Burner,
}

impl WalletKey {
    pub fn id(&self) -> String {
        match self {
            Self::Injected(rdns) => rdns.clone(),
            Self::Legacy => "window.ethereum".into(),
            Self::Burner => "burner".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletInfo {
    pub key: WalletKey,
    pub name: String,
    pub icon: Option<String>,
}

impl WalletInfo {
    pub fn burner() -> Self {
        Self {
            key: WalletKey::Burner,
            name: "Devnet burner".into(),
            icon: None,
        }
    }
}

/// Where a wallet is, as the panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Status {
    #[default]
    Disconnected,
    /// Waiting for the user in the wallet.
    Connecting,
    Connected {
        account: Address,
        chain_id: u64,
    },
}

/// Parses a chain id as wallets send it (`0x…` hex, sometimes decimal).
pub fn parse_chain_id(text: &str) -> Option<u64> {
    match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Keeps the list in discovery order, a wallet once (a re-announcement replaces it).
pub fn add_wallet(list: &mut Vec<WalletInfo>, wallet: WalletInfo) {
    match list.iter_mut().find(|w| w.key == wallet.key) {
        Some(existing) => *existing = wallet,
        None => list.push(wallet),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_in_hex_or_decimal() {
        assert_eq!(parse_chain_id("0x385"), Some(901));
        assert_eq!(parse_chain_id("902"), Some(902));
        assert_eq!(parse_chain_id("0xzz"), None);
    }

    #[test]
    fn a_wallet_announced_twice_is_listed_once() {
        let mut list = vec![WalletInfo::burner()];
        let w = |name: &str| WalletInfo {
            key: WalletKey::Injected("io.example".into()),
            name: name.into(),
            icon: None,
        };
        add_wallet(&mut list, w("Example"));
        add_wallet(&mut list, w("Example 2"));
        assert_eq!(list.len(), 2);
        assert_eq!(list[1].name, "Example 2");
    }
}
