//! The wallet card: every wallet found (EIP-6963, window.ethereum, the devnet burner), the
//! account, its chain, and the wallet's last answer when it was not a yes.

use leptos::{prelude::*, task::spawn_local};

use super::short_hex;
use crate::chains::{
    state::ChainsState,
    wallet::{Status, WalletKey, WalletState},
};

#[component]
pub fn WalletCard() -> impl IntoView {
    let wallet = expect_context::<WalletState>();
    let chains = expect_context::<ChainsState>();
    let first_chain = move || {
        chains
            .chains
            .with_untracked(|c| c.first().map(|c| c.chain_id))
    };
    let connect = move |key: WalletKey| {
        spawn_local(wallet.connect(key, first_chain()));
    };
    let status_text = move || match wallet.status.get() {
        Status::Disconnected => "not connected".to_owned(),
        Status::Connecting => "waiting for the wallet…".to_owned(),
        Status::Connected { .. } => "connected".to_owned(),
    };
    let problem = move || {
        wallet.problem.get().map(|err| {
            let class = if err.is_rejection() { "calm" } else { "error" };
            let text = if err.is_rejection() {
                "Rejected in the wallet. Nothing was sent; try again when ready.".to_owned()
            } else {
                err.to_string()
            };
            view! { <p class=class role="status" data-testid="wallet-problem" data-kind=class>{text}</p> }
        })
    };
    let chain_name = move |id: u64| {
        chains.chains.with(|all| {
            all.iter()
                .find(|c| c.chain_id == id)
                .map_or(format!("chain {id} (not in the devnet)"), |c| {
                    format!("{} ({id})", c.name)
                })
        })
    };
    view! {
        <fieldset class="card wallet" data-testid="wallet">
            <legend>"Wallet"</legend>
            <div class="wallets">
                <For each=move || wallet.wallets.get() key=|w| w.key.clone() let:w>
                    {
                        let key = w.key.clone();
                        let testid = format!("wallet-{}", w.key.id());
                        let selected = {
                            let key = key.clone();
                            move || wallet.selected.get().as_ref() == Some(&key)
                        };
                        let burner = key == WalletKey::Burner;
                        view! {
                            <button class="wallet-option" class:selected=selected data-testid=testid
                                disabled=move || wallet.status.get() == Status::Connecting
                                    || (burner && wallet.burner.with(Option::is_none))
                                on:click=move |_| connect(key.clone())>
                                {w.icon.clone().map(|src| view! { <img src=src alt="" width="20" height="20"/> })}
                                <span>{w.name.clone()}</span>
                                {burner.then(|| view! { <span class="tag">"devnet only"</span> })}
                            </button>
                        }
                    }
                </For>
            </div>
            <dl class="facts">
                <dt>"Status"</dt>
                <dd data-testid="wallet-status">{status_text}</dd>
                {move || match wallet.status.get() {
                    Status::Connected { account, chain_id } => Some(view! {
                        <dt>"Account"</dt>
                        <dd><code data-testid="wallet-account" title=account.to_string()>{short_hex(&account.to_string())}</code></dd>
                        <dt>"On chain"</dt>
                        <dd data-testid="wallet-chain" data-chain=chain_id>{chain_name(chain_id)}</dd>
                    }),
                    _ => None,
                }}
            </dl>
            {problem}
            <Show when=move || wallet.status.get() == Status::Connecting>
                <p class="muted small">
                    "Approve or reject in the wallet's window. "
                    <button class="link" data-testid="wallet-cancel" on:click=move |_| wallet.cancel_connect()>"Cancel"</button>
                </p>
            </Show>
            <Show when=move || matches!(wallet.status.get(), Status::Connected { .. })>
                <button class="link" data-testid="wallet-disconnect" on:click=move |_| wallet.disconnect()>"Disconnect"</button>
            </Show>
            <p class="muted small">
                "Any EIP-6963 wallet works: add a devnet chain to it (RPC and chain id from the table above) \
                 and import a dev key. The burner signs in this page with anvil's public dev key #0."
            </p>
        </fieldset>
    }
}
