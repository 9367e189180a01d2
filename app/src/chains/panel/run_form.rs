//! The run form: chain A (where the wallet is), the chains to mine on, the work, then a
//! simulation (gas, or the custom error) before the wallet is asked to sign.

use alloy::primitives::U256;
use leptos::{prelude::*, task::spawn_local};

use super::{
    RunsUi, group,
    job::{self, JobRun, JobsUi},
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
use crate::{
    cores::CoresState,
    jobs::{
        Miner,
        split::{self, Capacity, Strategy},
    },
};

/// What the form asks the chains to mine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WorkKind {
    Seed,
    Custom,
    /// A job over browser cores and chains.
    Job,
}

/// A fresh job seed. Nothing rides on it being unpredictable: any seed is as good as another
/// for a search, and the chains mine whatever seed the job names.
fn random_seed() -> String {
    let entropy: Vec<u8> = (0..4)
        .flat_map(|_| js_sys::Math::random().to_be_bytes())
        .chain(js_sys::Date::now().to_be_bytes())
        .collect();
    alloy::hex::encode_prefixed(interplay_pow::keccak256(&entropy))
}

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
    let cores = expect_context::<CoresState>();
    let jobs = expect_context::<JobsUi>();
    let kind = RwSignal::new(WorkKind::Seed);
    let job_seed = RwSignal::new(random_seed());
    let job_cores = RwSignal::new(cores.cores.get_untracked().to_string());
    let strategy = RwSignal::new(Strategy::BySpeed);
    // One miner per browser core unless the user says otherwise, following the cores setting.
    Effect::new(move |_| job_cores.set(cores.cores.get().to_string()));
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
        let connected = match wallet.status.get_untracked() {
            Status::Connected { chain_id, .. } => Some(chain_id),
            _ => None,
        };
        let request = match kind.get_untracked() {
            WorkKind::Job => {
                let form = JobForm {
                    seed: &job_seed.get_untracked(),
                    start: &s,
                    end: &e,
                    bits: &b,
                    cores: &job_cores.get_untracked(),
                    strategy: strategy.get_untracked(),
                };
                let run = match plan_job(
                    &jobs,
                    &cores,
                    chains.block_time(),
                    connected,
                    selected,
                    &chains.chains.with_untracked(|c| {
                        c.iter()
                            .filter_map(|c| Some((c.chain_id, c.base_fee?)))
                            .collect()
                    }),
                    form,
                ) {
                    Ok(run) => run,
                    Err(err) => {
                        stage.set(Stage::Failed(err));
                        return;
                    }
                };
                let chain_parts: Vec<(u64, u64, u64)> = run
                    .parts
                    .iter()
                    .filter_map(|p| match p.miner {
                        Miner::Chain(c) => Some((c, p.start, p.end)),
                        Miner::Core(_) => None,
                    })
                    .collect();
                let job = run.job;
                let chain_id = match connected {
                    Some(id) => id,
                    None if chain_parts.is_empty() => 0,
                    None => {
                        stage.set(Stage::Failed(RunError::Wallet(WalletError::NoWallet)));
                        return;
                    }
                };
                job::begin(cores.clone(), jobs, run);
                if chain_parts.is_empty() {
                    stage.set(Stage::Idle);
                    return;
                }
                Ok(runs::RunRequest {
                    chain_a: chain_id,
                    chains: chain_parts.iter().map(|(c, ..)| *c).collect(),
                    work: runs::Work::Job {
                        seed: alloy::primitives::B256::from(job.seed),
                        parts: chain_parts.iter().map(|(_, s, e)| (*s, *e)).collect(),
                        bits: job.bits,
                    },
                    worker: None,
                })
            }
            k => {
                let Some(chain_id) = connected else {
                    stage.set(Stage::Failed(RunError::Wallet(WalletError::NoWallet)));
                    return;
                };
                runs::parse_form(
                    chain_id,
                    selected,
                    (k == WorkKind::Custom).then_some((s.as_str(), e.as_str(), b.as_str())),
                )
            }
        };
        let form = request.and_then(|r| {
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
        let is_job = matches!(request.work, runs::Work::Job { .. });
        let toast_id = next_toast.get_value();
        next_toast.set_value(toast_id + 1);
        spawn_local(async move {
            let outcome = start_run(clients, wallet, ui, stage, request, toast_id).await;
            match outcome {
                Ok(key) => {
                    if is_job && let Some(key) = key {
                        jobs.current.update(|j| {
                            if let Some(j) = j.as_mut() {
                                j.run = Some(key);
                            }
                        });
                    }
                }
                Err(err) if is_job => {
                    // The chains' parts will not come: said on the job, not only on the form.
                    let why = err.to_string();
                    jobs.current.update(|j| {
                        if let Some(j) = j.as_mut() {
                            j.error = Some(format!("the chains' part was not run: {why}"));
                        }
                    });
                    stage.set(match err {
                        RunError::Wallet(WalletError::Rejected) => Stage::Rejected,
                        err => Stage::Failed(err),
                    });
                }
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
                    <label><input type="radio" name="work" data-testid="work-seed" prop:checked=move || kind.get() == WorkKind::Seed on:change=move |_| kind.set(WorkKind::Seed)/>"the seed's (indices 0–255, 6 zero bits)"</label>
                    <label><input type="radio" name="work" data-testid="work-custom" prop:checked=move || kind.get() == WorkKind::Custom on:change=move |_| kind.set(WorkKind::Custom)/>"custom"</label>
                    <label title="one seed and range, split between browser cores and the picked chains">
                        <input type="radio" name="work" data-testid="work-job" prop:checked=move || kind.get() == WorkKind::Job on:change=move |_| kind.set(WorkKind::Job)/>"a job over browser cores and chains"
                    </label>
                </div>
            </div>
            <Show when=move || kind.get() == WorkKind::Job>
                <div class="field">
                    <label class="label" for="job-seed">"Job seed"</label>
                    <div class="inline">
                        <input id="job-seed" data-testid="job-seed" class="address" spellcheck="false"
                            prop:value=job_seed on:input=move |ev| job_seed.set(event_target_value(&ev))/>
                        <button type="button" data-testid="job-new-seed" on:click=move |_| job_seed.set(random_seed())>"new seed"</button>
                    </div>
                </div>
            </Show>
            <Show when=move || kind.get() != WorkKind::Seed>
                <div class="field inline">
                    <label>"From index " <input data-testid="work-start" inputmode="numeric" prop:value=start on:input=move |ev| start.set(event_target_value(&ev))/></label>
                    <label>"to (exclusive) " <input data-testid="work-end" inputmode="numeric" prop:value=end on:input=move |ev| end.set(event_target_value(&ev))/></label>
                    <label>"difficulty " <input data-testid="work-bits" inputmode="numeric" prop:value=bits on:input=move |ev| bits.set(event_target_value(&ev))/>" zero bits"</label>
                </div>
            </Show>
            <Show when=move || kind.get() == WorkKind::Job>
                <div class="field inline">
                    <label>"Browser cores " <input data-testid="job-cores" class="narrow" inputmode="numeric" prop:value=job_cores on:input=move |ev| job_cores.set(event_target_value(&ev))/></label>
                    <label>"split "
                        <select data-testid="job-split" on:change=move |ev| strategy.set(match event_target_value(&ev).as_str() {
                            "even" => Strategy::Even,
                            "cost" => Strategy::ByCost,
                            _ => Strategy::BySpeed,
                        })>
                            <option value="speed" selected=move || strategy.get() == Strategy::BySpeed>"by measured speed (earliest finish)"</option>
                            <option value="cost" selected=move || strategy.get() == Strategy::ByCost>"by cost (least gas)"</option>
                            <option value="even" selected=move || strategy.get() == Strategy::Even>"evenly"</option>
                        </select>
                    </label>
                    <span class="muted small">"a chain mines at most " {group(runs::MAX_RANGE)} " indices; no chains picked runs it on browser cores alone, with nothing to sign"</span>
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
                disabled=move || busy() || chains.clients.with(Option::is_none)
                    || (wallet.account().is_none() && kind.get() != WorkKind::Job)>
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
) -> Result<Option<RunKey>, RunError> {
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
            let key = run_id_of(&receipt).map(|run_id| RunKey { chain_a: a, run_id });
            if let Some(key) = key {
                ui.select(key);
            }
            Ok(key)
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
        TxStatus::Pending | TxStatus::Dropped => Ok(None),
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

/// The job fields of the form, as typed.
struct JobForm<'a> {
    seed: &'a str,
    start: &'a str,
    end: &'a str,
    bits: &'a str,
    cores: &'a str,
    strategy: Strategy,
}

/// The job the form describes, split over its browser-core miners and the picked chains.
fn plan_job(
    jobs: &JobsUi,
    cores: &CoresState,
    block_time_s: u64,
    chain_a: Option<u64>,
    chains: Vec<u64>,
    fees: &std::collections::BTreeMap<u64, u128>,
    form: JobForm<'_>,
) -> Result<JobRun, RunError> {
    let base_fee = |chain: u64| fees.get(&chain).copied();
    let job = runs::parse_job(form.seed, form.start, form.end, form.bits)?;
    let max = cores.cores.get_untracked();
    let n: usize = form
        .cores
        .trim()
        .parse()
        .ok()
        .filter(|n| *n <= max)
        .ok_or(runs::FormError::BadCores { max })?;
    let rate = if n > 0 { jobs.core_speed() } else { 0.0 };
    let mut miners: Vec<Capacity> = (0..n as u32)
        .map(|k| Capacity {
            miner: Miner::Core(k),
            per_s: rate,
            latency_s: 0.0,
            cap: None,
            cost: 0,
        })
        .collect();
    let a = chain_a.unwrap_or_default();
    miners.extend(
        chains
            .iter()
            .map(|c| jobs.chain_capacity(*c, a, block_time_s, base_fee(*c))),
    );
    let plan = split::split(&job, &miners, form.strategy).map_err(runs::FormError::from)?;
    Ok(JobRun::new(job, plan))
}
