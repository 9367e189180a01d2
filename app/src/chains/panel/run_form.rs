//! The run form: chain A (where the wallet is), the chains to mine on, the work, then a
//! simulation (gas, or the custom error) before the wallet is asked to sign.

use alloy::primitives::U256;
use leptos::{prelude::*, task::spawn_local};

use super::{
    RunsUi, group,
    toasts::{self, ToastKind},
};
use crate::chains::{
    client::Clients,
    error::WalletError,
    runs::{self, RunError, TxRecord, TxStatus},
    state::{ChainsState, cheapest},
    timeline::RunKey,
    wallet::{Status, WalletState},
};

/// Where the form stands.
#[derive(Debug, Clone, PartialEq, Default)]
enum Stage {
    #[default]
    Idle,
    Switching,
    Simulating,
    Signing {
        gas: u64,
    },
    Sent {
        gas: u64,
    },
    Mined {
        gas: u64,
    },
    Failed(RunError),
    Rejected,
}

#[component]
pub fn RunForm() -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let wallet = expect_context::<WalletState>();
    let ui = expect_context::<RunsUi>();
    let picked = RwSignal::new(Vec::<u64>::new());
    let custom = RwSignal::new(false);
    let start = RwSignal::new("0".to_owned());
    let end = RwSignal::new("255".to_owned());
    let bits = RwSignal::new("6".to_owned());
    let worker = RwSignal::new(String::new());
    let cheapest_k = RwSignal::new("2".to_owned());
    let stage = RwSignal::new(Stage::Idle);
    let next_toast = StoredValue::new(0u64);
    // Every chain picked by default, once they are known (once: then the user decides).
    let defaulted = StoredValue::new(false);
    Effect::new(move |_| {
        let ids: Vec<u64> = chains
            .chains
            .with(|c| c.iter().map(|c| c.chain_id).collect());
        if !defaulted.get_value() && !ids.is_empty() {
            defaulted.set_value(true);
            picked.set(ids);
        }
    });
    let chain_a = move || wallet.chain_id();
    let busy = move || {
        matches!(
            stage.get(),
            Stage::Switching | Stage::Simulating | Stage::Signing { .. } | Stage::Sent { .. }
        )
    };
    let run = move |_| {
        if busy() {
            return;
        }
        let Some(clients) = chains.clients.get_untracked() else {
            return;
        };
        let Status::Connected { chain_id, .. } = wallet.status.get_untracked() else {
            stage.set(Stage::Failed(RunError::Wallet(WalletError::NoWallet)));
            return;
        };
        let order: Vec<u64> = clients.chain_ids().collect();
        let selected: Vec<u64> = order
            .into_iter()
            .filter(|c| picked.with_untracked(|p| p.contains(c)))
            .collect();
        let (s, e, b) = (
            start.get_untracked(),
            end.get_untracked(),
            bits.get_untracked(),
        );
        let form = runs::parse_form(
            chain_id,
            selected,
            custom
                .get_untracked()
                .then_some((s.as_str(), e.as_str(), b.as_str())),
        );
        let form = form.and_then(|r| {
            Ok(runs::RunRequest {
                worker: runs::parse_worker(&worker.get_untracked())?,
                ..r
            })
        });
        let request = match form {
            Ok(r) => r,
            Err(err) => {
                stage.set(Stage::Failed(err.into()));
                return;
            }
        };
        let toast_id = next_toast.get_value();
        next_toast.set_value(toast_id + 1);
        spawn_local(async move {
            let outcome = start_run(clients, wallet, ui, stage, request, toast_id).await;
            match outcome {
                Ok(()) => {}
                Err(RunError::Wallet(WalletError::Rejected)) => {
                    stage.set(Stage::Rejected);
                    toasts::show(
                        ui,
                        toast_id,
                        ToastKind::Rejected,
                        "Rejected in the wallet",
                        "nothing was sent",
                    );
                }
                Err(err) => stage.set(Stage::Failed(err)),
            }
        });
    };
    let stage_view = move || {
        match stage.get() {
        Stage::Idle => None,
        Stage::Switching => Some(view! { <p class="pending" data-testid="run-stage">"Switching the wallet to chain A…"</p> }.into_any()),
        Stage::Simulating => Some(view! { <p class="pending" data-testid="run-stage">"Simulating…"</p> }.into_any()),
        Stage::Signing { gas } => Some(view! {
            <p class="pending" data-testid="run-stage">"Simulated: " <span data-testid="run-estimate">{group(gas)}</span> " gas. Confirm in the wallet…"</p>
        }.into_any()),
        Stage::Sent { gas } => Some(view! {
            <p class="pending" data-testid="run-stage">"Estimate was " <span data-testid="run-estimate">{group(gas)}</span> " gas. Sent; waiting for its block…"</p>
        }.into_any()),
        Stage::Mined { gas } => Some(view! {
            <p class="muted" data-testid="run-stage">"Estimate was " <span data-testid="run-estimate">{group(gas)}</span> " gas. Mined: follow it below."</p>
        }.into_any()),
        Stage::Rejected => Some(view! {
            <p class="calm" data-testid="run-rejected">"Rejected in the wallet. Nothing was sent; run again when ready."</p>
        }.into_any()),
        Stage::Failed(err) => Some(view! { <p class="error" role="alert" data-testid="run-error">{err.to_string()}</p> }.into_any()),
    }
    };
    view! {
        <fieldset class="card run-form" data-testid="run-form">
            <legend>"New run"</legend>
            <p class="muted small">
                "Chain A is the wallet's chain: InteropPoW there asks the Worker on each picked chain and collects the reports."
            </p>
            <div class="field">
                <span class="label">"Chain A"</span>
                <select data-testid="chain-a" disabled=busy
                    prop:value=move || chain_a().map(|a| a.to_string()).unwrap_or_default()
                    on:change=move |ev| {
                        let Ok(id) = event_target_value(&ev).parse::<u64>() else { return };
                        let Some(clients) = chains.clients.get_untracked() else { return };
                        stage.set(Stage::Switching);
                        spawn_local(async move {
                            match wallet.switch_chain(clients, id).await {
                                Ok(()) => stage.set(Stage::Idle),
                                Err(WalletError::Rejected) => stage.set(Stage::Rejected),
                                Err(err) => stage.set(Stage::Failed(err.into())),
                            }
                        });
                    }>
                    <Show when=move || chain_a().is_none_or(|a| !chains.chains.with(|c| c.iter().any(|c| c.chain_id == a)))>
                        <option selected>{move || chain_a().map_or("connect a wallet".into(), |a| format!("chain {a} (not a devnet chain)"))}</option>
                    </Show>
                    <For each=move || chains.chains.get() key=|c| c.chain_id let:c>
                        <option value=c.chain_id selected=move || chain_a() == Some(c.chain_id)>{format!("{} ({})", c.name, c.chain_id)}</option>
                    </For>
                </select>
            </div>
            <div class="field">
                <span class="label">"Mine on"</span>
                <div class="checks">
                    <For each=move || chains.chains.get() key=|c| c.chain_id let:c>
                        {
                            let id = c.chain_id;
                            view! {
                                <label>
                                    <input type="checkbox" data-testid=format!("run-chain-{id}")
                                        prop:checked=move || picked.with(|p| p.contains(&id))
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            picked.update(|p| { p.retain(|x| *x != id); if on { p.push(id) } });
                                        }/>
                                    {id}
                                </label>
                            }
                        }
                    </For>
                    <span class="cheapest">
                        <button type="button" data-testid="pick-cheapest" disabled=busy
                            title="by the base fee of each chain's latest block"
                            on:click=move |_| {
                                let k = cheapest_k.get_untracked().trim().parse::<usize>().unwrap_or(0).max(1);
                                picked.set(chains.chains.with_untracked(|c| cheapest(c, k)));
                            }>"pick the cheapest"</button>
                        <input data-testid="cheapest-k" class="narrow" inputmode="numeric" aria-label="how many chains"
                            prop:value=cheapest_k on:input=move |ev| cheapest_k.set(event_target_value(&ev))/>
                        " chains"
                    </span>
                </div>
            </div>
            <div class="field">
                <span class="label">"Work"</span>
                <div class="checks">
                    <label><input type="radio" name="work" data-testid="work-seed" prop:checked=move || !custom.get() on:change=move |_| custom.set(false)/>"the seed's (indices 0–255, 6 zero bits)"</label>
                    <label><input type="radio" name="work" data-testid="work-custom" prop:checked=move || custom.get() on:change=move |_| custom.set(true)/>"custom"</label>
                </div>
            </div>
            <Show when=move || custom.get()>
                <div class="field inline">
                    <label>"From index " <input data-testid="work-start" inputmode="numeric" prop:value=start on:input=move |ev| start.set(event_target_value(&ev))/></label>
                    <label>"to (exclusive) " <input data-testid="work-end" inputmode="numeric" prop:value=end on:input=move |ev| end.set(event_target_value(&ev))/></label>
                    <label>"difficulty " <input data-testid="work-bits" inputmode="numeric" prop:value=bits on:input=move |ev| bits.set(event_target_value(&ev))/>" zero bits"</label>
                </div>
            </Show>
            <div class="field">
                <label class="label" for="run-worker">"Worker"</label>
                <div>
                    <input id="run-worker" data-testid="run-worker" class="address" spellcheck="false"
                        placeholder="the devnet's Worker" prop:value=worker on:input=move |ev| worker.set(event_target_value(&ev))/>
                    <p class="muted small">"InteropPoW accepts any worker address: every report is verified below, against the chain and the browser cores."</p>
                </div>
            </div>
            <button class="primary" data-testid="run-button" on:click=run
                disabled=move || busy() || wallet.account().is_none() || chains.clients.with(Option::is_none)>
                {move || if busy() { "Working…" } else { "Simulate and run" }}
            </button>
            {stage_view}
        </fieldset>
    }
}

async fn start_run(
    clients: Clients,
    wallet: WalletState,
    ui: RunsUi,
    stage: RwSignal<Stage>,
    request: runs::RunRequest,
    toast_id: u64,
) -> Result<(), RunError> {
    stage.set(Stage::Simulating);
    let a = request.chain_a;
    let worker = request.worker.unwrap_or(clients.addresses()?.worker);
    clients.check_contracts(a, &request.chains, worker).await?;
    let addresses = clients.addresses()?;
    let writer = wallet.writer(&clients, a)?;
    let prepared = runs::prepare(
        &clients,
        a,
        writer.from,
        addresses.interop_pow,
        request.calldata(worker),
    )
    .await?;
    let gas = prepared.gas_estimate;
    stage.set(Stage::Signing { gas });
    let hash = runs::send(&writer, prepared).await?;
    stage.set(Stage::Sent { gas });
    let label = format!(
        "run on {}",
        request
            .chains
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    ui.remember(TxRecord {
        hash,
        chain: a,
        label: label.clone(),
        status: TxStatus::Pending,
    });
    toasts::show(
        ui,
        toast_id,
        ToastKind::Pending,
        format!("Pending: {label}"),
        hash.to_string(),
    );
    let (status, receipt) = match runs::wait_mined(&clients, a, hash).await {
        Ok(mined) => mined,
        Err(err @ RunError::Dropped { .. }) => {
            ui.remember(TxRecord {
                hash,
                chain: a,
                label: label.clone(),
                status: TxStatus::Dropped,
            });
            toasts::show(
                ui,
                toast_id,
                ToastKind::Failed,
                format!("Dropped: {label}"),
                hash.to_string(),
            );
            return Err(err);
        }
        Err(err) => return Err(err),
    };
    ui.remember(TxRecord {
        hash,
        chain: a,
        label: label.clone(),
        status: status.clone(),
    });
    match status {
        TxStatus::Mined { block, gas_used } => {
            stage.set(Stage::Mined { gas });
            toasts::show(
                ui,
                toast_id,
                ToastKind::Mined,
                format!("Mined: {label}"),
                format!("block {block} · {} gas · {hash}", group(gas_used)),
            );
            if let Some(run_id) = run_id_of(&receipt) {
                ui.select(RunKey { chain_a: a, run_id });
            }
            Ok(())
        }
        TxStatus::Reverted { block, .. } => {
            toasts::show(
                ui,
                toast_id,
                ToastKind::Failed,
                format!("Reverted: {label}"),
                format!("block {block} · {hash}"),
            );
            Err(RunError::Reverted { hash, block })
        }
        TxStatus::Pending | TxStatus::Dropped => Ok(()),
    }
}

/// The run id a mined `run` transaction started.
fn run_id_of(receipt: &alloy::rpc::types::TransactionReceipt) -> Option<U256> {
    receipt.inner.logs().iter().find_map(|l| {
        l.log_decode::<interplay_contracts::InteropPoW::RunStarted>()
            .ok()
            .map(|e| e.inner.data.runId)
    })
}
