//! The Chains panel: the devnet's chains (head, health, balance), the wallet, the run form, the
//! selected run's timeline, the run history and recent transactions.

mod chains;
mod history;
mod job;
mod receipts;
mod run_form;
mod timeline;
mod toasts;
mod verification;
mod wallet;

use leptos::prelude::*;

use super::{
    runs::{TxRecord, TxStatus},
    state::ChainsState,
    storage,
    timeline::RunKey,
    wallet::WalletState,
    watch::use_chain_watch,
};

const SAVED_TXS: &str = "interplay.txs";
const SAVED_RUN: &str = "interplay.run";

/// A run key as kept in storage: chain A and the run id in decimal.
type SavedRun = (u64, String);

/// UI state of the run side: recent transactions, the run on show, the toasts.
#[derive(Debug, Clone, Copy)]
pub struct RunsUi {
    pub txs: RwSignal<Vec<TxRecord>>,
    pub selected: RwSignal<Option<RunKey>>,
    pub toasts: RwSignal<Vec<toasts::Toast>>,
    /// Pending transactions this page is already waiting on.
    watching: StoredValue<std::collections::BTreeSet<alloy::primitives::TxHash>>,
}

impl RunsUi {
    fn new() -> Self {
        let selected = storage::load::<SavedRun>(SAVED_RUN).and_then(|(chain_a, id)| {
            Some(RunKey {
                chain_a,
                run_id: id.parse().ok()?,
            })
        });
        Self {
            txs: RwSignal::new(storage::load(SAVED_TXS).unwrap_or_default()),
            selected: RwSignal::new(selected),
            toasts: RwSignal::new(Vec::new()),
            watching: StoredValue::new(Default::default()),
        }
    }

    pub fn remember(&self, record: TxRecord) {
        self.txs.update(|list| super::runs::remember(list, record));
        storage::save(SAVED_TXS, &self.txs.get_untracked());
    }

    /// Follows every transaction the list still shows as pending (sent before a reload, or
    /// before the devnet went away) until it is mined, reverted or dropped.
    fn recheck_pending(&self, clients: &super::client::Clients) {
        let pending: Vec<_> = self.txs.with_untracked(|list| {
            list.iter()
                .filter(|r| r.status == TxStatus::Pending && clients.chain(r.chain).is_ok())
                .map(|r| (r.hash, r.chain))
                .collect()
        });
        for (hash, chain) in pending {
            if !self
                .watching
                .try_update_value(|w| w.insert(hash))
                .unwrap_or(false)
            {
                continue;
            }
            let (ui, clients) = (*self, clients.clone());
            leptos::task::spawn_local(async move {
                let status = match super::runs::wait_mined(&clients, chain, hash).await {
                    Ok((status, _)) => Some(status),
                    Err(super::runs::RunError::Dropped { .. }) => Some(TxStatus::Dropped),
                    Err(_) => None,
                };
                if let Some(status) = status {
                    ui.txs.update(|list| {
                        super::runs::update_status(list, hash, status);
                    });
                    storage::save(SAVED_TXS, &ui.txs.get_untracked());
                }
                ui.watching.update_value(|w| {
                    w.remove(&hash);
                });
            });
        }
    }

    pub fn select(&self, key: RunKey) {
        self.selected.set(Some(key));
        storage::save::<SavedRun>(SAVED_RUN, &(key.chain_a, key.run_id.to_string()));
    }
}

#[component]
pub fn ChainsPanel() -> impl IntoView {
    let state = expect_context::<ChainsState>();
    let wallet = expect_context::<WalletState>();
    let ui = RunsUi::new();
    provide_context(ui);
    provide_context(job::JobsUi::new());
    provide_context(receipts::Receipts::new());
    use_chain_watch(state, wallet);
    // Once per set of clients (the devnet read, or read again after it came back).
    Effect::new(move |_| {
        if let Some(clients) = state.clients.get() {
            ui.recheck_pending(&clients);
        }
    });
    wallet.start();
    let problem = move || match state.manifest.get() {
        Some(Err(err)) => Some(
            view! { <p class="error" role="alert" data-testid="devnet-error">{err.to_string()}</p> },
        ),
        _ => None,
    };
    let connecting = move || state.manifest.with(Option::is_none);
    let remote = move || {
        let hosts = state.manifest.with(|m| {
            let manifest = m.as_ref().and_then(|r| r.as_ref().ok());
            state
                .manifest_url
                .with(|url| crate::chains::manifest::remote_hosts(url, manifest))
        });
        (!hosts.is_empty()).then(|| view! {
            <p class="warning" role="alert" data-testid="remote-devnet">
                <strong>"Not a devnet on this machine: "</strong>
                {hosts.join(", ")}
                " chooses the chains this page reads, the RPCs it would add to your wallet and the \
                 burner's key. Only go on if you trust it; never import a key of your own for it."
            </p>
        })
    };
    view! {
        <section class="panel" aria-labelledby="chains-title">
            <h2 id="chains-title">"Chain cores"</h2>
            <p class="muted">"Devnet manifest: " <code>{move || state.manifest_url.get()}</code></p>
            {remote}
            <Show when=connecting>
                <p class="muted">"Connecting to the devnet…"</p>
            </Show>
            {problem}
            <chains::ChainTable/>
            <wallet::WalletCard/>
            <run_form::RunForm/>
            <job::JobView/>
            <timeline::RunView/>
            <history::History/>
            <toasts::Toasts/>
        </section>
    }
}

/// `0x1234…abcd`.
pub fn short_hex(text: &str) -> String {
    if text.len() <= 14 {
        return text.to_owned();
    }
    format!("{}…{}", &text[..6], &text[text.len() - 4..])
}

/// Wei as ETH with 4 decimals.
pub fn format_eth(wei: alloy::primitives::U256) -> String {
    let milli = wei / alloy::primitives::U256::from(100_000_000_000_000u64);
    let milli: u128 = milli.try_into().unwrap_or(u128::MAX);
    format!("{}.{:04} ETH", milli / 10_000, milli % 10_000)
}

/// Wei per gas as gwei, to 3 decimals ("0.047 gwei"), or wei when below that.
pub fn format_gwei(wei: u128) -> String {
    if wei < 1_000_000 {
        return format!("{wei} wei");
    }
    let milli = wei / 1_000_000;
    format!("{}.{:03} gwei", milli / 1000, milli % 1000)
}

/// 189_123 → "189,123".
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(group(189_123), "189,123");
        assert_eq!(group(12), "12");
        assert_eq!(format_gwei(3_000_000_000), "3.000 gwei");
        assert_eq!(format_gwei(46_693_013), "0.046 gwei");
        assert_eq!(format_gwei(7), "7 wei");
        assert_eq!(short_hex("0x1234567890abcdef"), "0x1234…cdef");
        let ten_thousand_eth = alloy::primitives::U256::from(10_000u64)
            * alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18));
        assert_eq!(format_eth(ten_thousand_eth), "10000.0000 ETH");
    }
}
