//! The chosen wallet's session: connect (with a prompt) or reconnect on reload (without),
//! follow the wallet's events, switch or add chains, and hand out a [`Writer`].

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::client::RpcClient,
};
use leptos::{prelude::*, task::spawn_local};

use super::{
    Status, WalletInfo, WalletKey, add_wallet,
    burner::Burner,
    discovery::{self, ProviderEvent},
    eip1193::Eip1193Transport,
    parse_chain_id,
};
use crate::chains::{client::Clients, error::WalletError, storage};

const SAVED_WALLET: &str = "interplay.wallet";

/// The wallet side of the page, shared through context.
#[derive(Debug, Clone, Copy)]
pub struct WalletState {
    pub wallets: RwSignal<Vec<WalletInfo>>,
    pub selected: RwSignal<Option<WalletKey>>,
    pub status: RwSignal<Status>,
    /// The last wallet answer that was not a success (a rejection is shown calmly).
    pub problem: RwSignal<Option<WalletError>>,
    pub burner: RwSignal<Option<Burner>>,
    subscribed: RwSignal<Vec<WalletKey>>,
    /// Bumped by each connect and by Cancel: an answer to an older attempt is ignored.
    attempt: RwSignal<u64>,
}

impl Default for WalletState {
    fn default() -> Self {
        Self::new()
    }
}

/// How the app sends a transaction with the chosen wallet.
#[derive(Debug, Clone)]
pub struct Writer {
    pub provider: DynProvider,
    pub from: Address,
    /// The wallet fills nonce and fees itself (a browser wallet), or we do (the burner).
    pub is_burner: bool,
}

fn wallet_provider(key: &WalletKey) -> Option<DynProvider> {
    let js = discovery::provider(key)?;
    let client = RpcClient::new(Eip1193Transport::new(js), false);
    Some(ProviderBuilder::default().connect_client(client).erased())
}

impl WalletState {
    pub fn new() -> Self {
        Self {
            wallets: RwSignal::new(vec![WalletInfo::burner()]),
            selected: RwSignal::new(None),
            status: RwSignal::new(Status::Disconnected),
            problem: RwSignal::new(None),
            burner: RwSignal::new(None),
            subscribed: RwSignal::new(Vec::new()),
            attempt: RwSignal::new(0),
        }
    }

    /// Starts discovery; reconnects the wallet chosen before the reload, without a prompt.
    pub fn start(self) {
        discovery::discover(move |wallet| {
            let key = wallet.key.clone();
            self.wallets.update(|list| add_wallet(list, wallet));
            // Read now, not at start: a Disconnect since then must not be undone by a late
            // announcement.
            let saved: Option<WalletKey> = storage::load(SAVED_WALLET);
            if saved.as_ref() == Some(&key) && self.status.get_untracked() == Status::Disconnected {
                spawn_local(self.reconnect(key));
            }
        });
    }

    /// The manifest is known: the burner can exist, and reconnect if it was chosen.
    pub fn set_clients(self, clients: &Clients) {
        let burner = Burner::from_manifest(&clients.manifest).ok();
        self.burner.set(burner);
        if storage::load::<WalletKey>(SAVED_WALLET) == Some(WalletKey::Burner)
            && self.status.get_untracked() == Status::Disconnected
        {
            let first = clients.chain_ids().next();
            self.connect_burner(first);
        }
    }

    pub fn account(&self) -> Option<Address> {
        match self.status.get() {
            Status::Connected { account, .. } => Some(account),
            _ => None,
        }
    }

    pub fn chain_id(&self) -> Option<u64> {
        match self.status.get() {
            Status::Connected { chain_id, .. } => Some(chain_id),
            _ => None,
        }
    }

    fn connect_burner(self, chain: Option<u64>) {
        let Some(burner) = self.burner.get_untracked() else {
            self.problem.set(Some(WalletError::NoWallet));
            return;
        };
        let Some(chain_id) = chain else {
            return;
        };
        self.selected.set(Some(WalletKey::Burner));
        self.status.set(Status::Connected {
            account: burner.address(),
            chain_id,
        });
        self.problem.set(None);
        storage::save(SAVED_WALLET, &WalletKey::Burner);
    }

    /// Connects with a prompt (`eth_requestAccounts`); for the burner, at once.
    pub async fn connect(self, key: WalletKey, default_chain: Option<u64>) {
        if key == WalletKey::Burner {
            self.connect_burner(default_chain);
            return;
        }
        self.connect_injected(key, true).await;
    }

    async fn reconnect(self, key: WalletKey) {
        self.connect_injected(key, false).await;
    }

    async fn connect_injected(self, key: WalletKey, prompt: bool) {
        let Some(provider) = wallet_provider(&key) else {
            self.problem.set(Some(WalletError::NoWallet));
            return;
        };
        self.selected.set(Some(key.clone()));
        self.status.set(Status::Connecting);
        self.problem.set(None);
        self.attempt.update(|n| *n += 1);
        let attempt = self.attempt.get_untracked();
        let method = if prompt {
            "eth_requestAccounts"
        } else {
            "eth_accounts"
        };
        let accounts: Result<Vec<Address>, _> = provider.raw_request(method.into(), ()).await;
        // Cancelled while the wallet was asking (or asked again): the user moved on.
        if self.attempt.get_untracked() != attempt {
            return;
        }
        let account = match accounts {
            Ok(list) => list.first().copied(),
            Err(err) => {
                self.fail(WalletError::from_rpc(&err, None));
                return;
            }
        };
        let Some(account) = account else {
            // eth_accounts on reload: the site is no longer authorized; wait for a click.
            self.status.set(Status::Disconnected);
            if prompt {
                self.problem.set(Some(WalletError::NoAccount));
            }
            return;
        };
        let chain_id = provider.get_chain_id().await;
        if self.attempt.get_untracked() != attempt {
            return;
        }
        match chain_id {
            Ok(chain_id) => {
                self.status.set(Status::Connected { account, chain_id });
                storage::save(SAVED_WALLET, &key);
                self.follow(key);
            }
            Err(err) => self.fail(WalletError::from_rpc(&err, None)),
        }
    }

    fn fail(self, err: WalletError) {
        self.status.set(Status::Disconnected);
        self.problem.set(Some(err));
    }

    /// Follows the wallet's own events, once per wallet.
    fn follow(self, key: WalletKey) {
        if self.subscribed.with_untracked(|s| s.contains(&key)) {
            return;
        }
        self.subscribed.update(|s| s.push(key.clone()));
        let watched = key.clone();
        discovery::subscribe(&key, move |event| {
            if self.selected.get_untracked().as_ref() != Some(&watched) {
                return;
            }
            let status = self.status.get_untracked();
            match (event, status) {
                (ProviderEvent::Accounts(list), Status::Connected { chain_id, .. }) => {
                    match list.first().and_then(|a| a.parse::<Address>().ok()) {
                        Some(account) => self.status.set(Status::Connected { account, chain_id }),
                        None => self.status.set(Status::Disconnected),
                    }
                }
                (ProviderEvent::Chain(hex), Status::Connected { account, .. }) => {
                    if let Some(chain_id) = parse_chain_id(&hex) {
                        self.status.set(Status::Connected { account, chain_id });
                    }
                }
                (ProviderEvent::Disconnect, _) => {
                    self.status.set(Status::Disconnected);
                    self.problem.set(Some(WalletError::Disconnected));
                }
                _ => {}
            }
        });
    }

    /// Stops waiting for a wallet that does not answer (a closed prompt some wallets never
    /// answer): its late answer is ignored, and another wallet can be picked.
    pub fn cancel_connect(self) {
        if self.status.get_untracked() != Status::Connecting {
            return;
        }
        self.attempt.update(|n| *n += 1);
        self.status.set(Status::Disconnected);
        self.selected.set(None);
        self.problem.set(None);
    }

    /// Forgets the wallet (the wallet itself keeps its permission; this page stops using it).
    pub fn disconnect(self) {
        self.status.set(Status::Disconnected);
        self.selected.set(None);
        self.problem.set(None);
        storage::remove(SAVED_WALLET);
    }

    /// Moves the wallet to `chain_id`, adding the chain first if the wallet answers 4902.
    pub async fn switch_chain(self, clients: Clients, chain_id: u64) -> Result<(), WalletError> {
        let Some(key) = self.selected.get_untracked() else {
            return Err(WalletError::NoWallet);
        };
        if key == WalletKey::Burner {
            self.connect_burner(Some(chain_id));
            return Ok(());
        }
        let provider = wallet_provider(&key).ok_or(WalletError::NoWallet)?;
        let hex = format!("{chain_id:#x}");
        let switch = serde_json::json!([{ "chainId": hex }]);
        let switched: Result<serde_json::Value, _> = provider
            .raw_request("wallet_switchEthereumChain".into(), switch.clone())
            .await;
        if let Err(err) = switched {
            match WalletError::from_rpc(&err, Some(chain_id)) {
                WalletError::UnknownChain(_) => {
                    let chain = clients
                        .chain(chain_id)
                        .map_err(|_| WalletError::UnknownChain(chain_id))?;
                    let add = serde_json::json!([{
                        "chainId": hex,
                        "chainName": chain.name,
                        "rpcUrls": [chain.rpc_url],
                        "nativeCurrency": { "name": "Ether", "symbol": "ETH", "decimals": 18 },
                    }]);
                    let added: Result<serde_json::Value, _> = provider
                        .raw_request("wallet_addEthereumChain".into(), add)
                        .await;
                    added.map_err(|e| WalletError::from_rpc(&e, Some(chain_id)))?;
                    // Most wallets switch on add; ask again for those that don't.
                    let again: Result<serde_json::Value, _> = provider
                        .raw_request("wallet_switchEthereumChain".into(), switch)
                        .await;
                    again.map_err(|e| WalletError::from_rpc(&e, Some(chain_id)))?;
                }
                other => return Err(other),
            }
        }
        // The chainChanged event may come later or not at all: read the chain back.
        let now = provider
            .get_chain_id()
            .await
            .map_err(|e| WalletError::from_rpc(&e, Some(chain_id)))?;
        if let Status::Connected { account, .. } = self.status.get_untracked() {
            self.status.set(Status::Connected {
                account,
                chain_id: now,
            });
        }
        if now == chain_id {
            Ok(())
        } else {
            Err(WalletError::WrongChain {
                have: now,
                want: chain_id,
            })
        }
    }

    /// A writer for `chain_id`: the wallet must be connected and on that chain.
    pub fn writer(&self, clients: &Clients, chain_id: u64) -> Result<Writer, WalletError> {
        let Status::Connected {
            account,
            chain_id: on,
        } = self.status.get_untracked()
        else {
            return Err(WalletError::NoWallet);
        };
        if on != chain_id {
            return Err(WalletError::WrongChain {
                have: on,
                want: chain_id,
            });
        }
        match self.selected.get_untracked() {
            Some(WalletKey::Burner) => {
                let burner = self.burner.get_untracked().ok_or(WalletError::NoWallet)?;
                let chain = clients
                    .chain(chain_id)
                    .map_err(|_| WalletError::UnknownChain(chain_id))?;
                let provider = burner
                    .writer(chain)
                    .map_err(|e| WalletError::Transport(e.to_string()))?;
                Ok(Writer {
                    provider,
                    from: account,
                    is_burner: true,
                })
            }
            Some(key) => Ok(Writer {
                provider: wallet_provider(&key).ok_or(WalletError::NoWallet)?,
                from: account,
                is_burner: false,
            }),
            None => Err(WalletError::NoWallet),
        }
    }
}
