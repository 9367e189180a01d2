//! The selected run's timeline: a row per chain, a cell per step (block, tx, time since the
//! run was mined), stuck messages flagged with why, and Relay now.

use std::collections::HashMap;

use alloy::primitives::{B256, TxHash};
use leptos::{prelude::*, task::spawn_local};

use super::{
    RunsUi,
    receipts::{Receipts, gas_and_cost},
    short_hex,
};
use crate::chains::{
    cost,
    events::EventKind,
    relay,
    runs::RunError,
    state::ChainsState,
    timeline::{Hop, Leg, RunTimeline, Step},
};
use crate::charts::chart::StepChart;

/// What is known of a stuck message, by its hash. Kept above the table, which is rebuilt as
/// the run moves on: a relay in flight stays "Relaying…" (no second click sends a second
/// relay), and why is asked once.
#[derive(Debug, Clone, Default)]
struct StuckMessage {
    why: Option<String>,
    asked: bool,
    relaying: bool,
    outcome: Option<Result<TxHash, RunError>>,
}

#[derive(Clone, Copy)]
struct StuckMessages(RwSignal<HashMap<B256, StuckMessage>>);

impl StuckMessages {
    fn get(self, hash: B256) -> StuckMessage {
        self.0.with(|m| m.get(&hash).cloned().unwrap_or_default())
    }

    fn update(self, hash: B256, f: impl FnOnce(&mut StuckMessage)) {
        self.0.update(|m| f(m.entry(hash).or_default()));
    }
}

#[component]
pub fn RunView() -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let ui = expect_context::<RunsUi>();
    provide_context(StuckMessages(RwSignal::new(HashMap::new())));
    let timeline = Memo::new(move |_| {
        let key = ui.selected.get()?;
        let pow = chains
            .clients
            .with(|c| c.as_ref().and_then(|c| c.addresses))?
            .interop_pow;
        let heads = chains.heads();
        chains.events.with(|events| {
            // Each new block re-runs this, so the time floor of "stuck" is seen to pass.
            let now = Some(js_sys::Date::now());
            RunTimeline::build_at(key, events, &heads, pow, now)
        })
    });
    let waiting = move || ui.selected.get().is_some() && timeline.with(Option::is_none);
    // Redrawn at each new block (heads), so an open run's lines move on to now.
    let results = Signal::derive(move || {
        chains.heads();
        timeline.with(|t| {
            t.as_ref()
                .map(|t| t.results_curves((!t.complete()).then(js_sys::Date::now)))
                .unwrap_or_default()
        })
    });
    view! {
        <Show when=move || ui.selected.get().is_some()>
            <fieldset class="card run-view" data-testid="timeline">
                <legend>{move || ui.selected.get().map(|k| format!("Run {} on chain {}", k.run_id, k.chain_a))}</legend>
                <Show when=waiting>
                    <p class="muted" data-testid="timeline-loading">"Reading the run from chain…"</p>
                </Show>
                {move || timeline.get().map(|t| view! { <TimelineTable t=t/> })}
                <StepChart curves=results title="Results over time, per chain"
                    x_unit="seconds since the run was mined" y_unit="results"
                    empty="Nothing to chart until the run is read from chain."
                    testid="run-chart"/>
                <super::verification::Verification timeline=timeline/>
            </fieldset>
        </Show>
    }
}

#[component]
fn TimelineTable(t: RunTimeline) -> impl IntoView {
    let total = match (t.total_ms(), t.total_block_secs()) {
        (Some(ms), _) if ms > 0.0 => {
            format!("all results {:.2} s after run was mined", ms / 1000.0)
        }
        (_, Some(secs)) => format!("all results {secs} s after run was mined (block times)"),
        _ => format!(
            "{} of {} chains reported",
            t.legs.iter().filter(|(_, l)| l.done()).count(),
            t.legs.len()
        ),
    };
    let complete = t.complete();
    let a = t.key.chain_a;
    let work = format!(
        "indices {}–{} · {} results{} · worker {} · hover a step for its transaction",
        t.start,
        t.end,
        t.results(),
        if t.complete() { "" } else { " so far" },
        short_hex(&t.worker.to_string())
    );
    let started = t.started.clone();
    let chains = expect_context::<ChainsState>();
    let receipts = expect_context::<Receipts>();
    let run_tx = [(a, t.started.tx)];
    let run_cost = move || gas_and_cost(receipts.total(chains, &run_tx));
    let relay_costs: Vec<_> = t
        .legs
        .iter()
        .map(|(chain, _)| cost::relays(&t, *chain))
        .collect();
    view! {
        <p class="muted small">{work}</p>
        <p class="muted small">"run transaction on A: " <span data-testid="run-cost">{run_cost}</span></p>
        <p data-testid="timeline-total" data-complete=complete.to_string() class:done=complete>{total}</p>
        <div class="steps-scroll">
        <table class="steps">
            <thead><tr>
                <th>"Chain"</th><th>"run mined on A"</th><th>"request sent"</th><th>"relayed"</th>
                <th>"worker ran"</th><th>"report sent"</th><th>"report relayed on A"</th><th>"results stored"</th>
                <th title="the relays of its request and its report: gas used × the price each paid">"relays: gas · cost"</th>
            </tr></thead>
            <tbody>
                {t.legs.into_iter().zip(relay_costs).map(|((chain, leg), relays)| view! {
                    <LegRow chain=chain a=a leg=leg started=started.clone() relays=relays/>
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

/// Time since the run was mined: by the app's clock when it saw both happen, else by block
/// timestamps (whole seconds).
fn since(step: &Step, started: &Step) -> String {
    match (step.at_ms, started.at_ms) {
        (Some(at), Some(t0)) => format!("+{:.2} s", (at - t0).max(0.0) / 1000.0),
        _ => format!("+{} s", step.timestamp.saturating_sub(started.timestamp)),
    }
}

fn cell(
    step: Option<&Step>,
    started: &Step,
    name: &'static str,
    na: bool,
) -> impl IntoView + use<> {
    match (step, na) {
        (_, true) => {
            view! { <td class="na" data-step=name data-done="na" title="chain A's worker runs in the run transaction">"—"</td> }.into_any()
        }
        (Some(s), _) => {
            let title = format!("chain {} · block {} · tx {}", s.chain, s.block, s.tx);
            let since = since(s, started);
            view! {
                <td class="done" data-step=name data-done="yes" title=title>
                    <span class="when">{since}</span>
                    <span class="where">{format!("block {}", s.block)}</span>
                </td>
            }
            .into_any()
        }
        (None, _) => {
            view! { <td class="waiting" data-step=name data-done="no">"…"</td> }.into_any()
        }
    }
}

#[component]
fn LegRow(
    chain: u64,
    a: u64,
    leg: Leg,
    started: Step,
    relays: Vec<(u64, TxHash)>,
) -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let receipts = expect_context::<Receipts>();
    let relay_cost = move || {
        if relays.is_empty() {
            return if chain == a {
                "in the run transaction".to_owned()
            } else {
                "…".to_owned()
            };
        }
        gas_and_cost(receipts.total(chains, &relays))
    };
    let local = chain == a;
    let hop_sent = |h: &Option<Hop>| h.as_ref().map(|h| h.sent.clone());
    let hop_relayed = |h: &Option<Hop>| h.as_ref().and_then(|h| h.relayed.clone());
    let stuck = leg.stuck_hop().cloned();
    let done = leg.done();
    view! {
        <tr data-testid=format!("leg-{chain}") data-done=done.to_string() class:stuck=stuck.is_some()>
            <th>{if local { format!("{chain} (A)") } else { chain.to_string() }}</th>
            {cell(Some(&started), &started, "run-mined", false)}
            {cell(hop_sent(&leg.request).as_ref(), &started, "request-sent", local)}
            {cell(hop_relayed(&leg.request).as_ref(), &started, "request-relayed", local)}
            {if leg.worker_ran.is_none() && (leg.report.is_some() || leg.stored.is_some()) {
                view! { <td class="na" data-step="worker-ran" data-done="na" title="this worker emits no Mined log: its report is all there is">"—"</td> }.into_any()
            } else {
                cell(leg.worker_ran.as_ref().map(|(s, _)| s), &started, "worker-ran", false).into_any()
            }}
            {cell(hop_sent(&leg.report).as_ref(), &started, "report-sent", local)}
            {cell(hop_relayed(&leg.report).as_ref(), &started, "report-relayed", local)}
            {cell(leg.stored.as_ref().map(|(s, _)| s), &started, "results-stored", false)}
            <td class="cost" data-testid="relay-cost">{relay_cost}</td>
        </tr>
        {stuck.map(|hop| view! { <StuckRow hop=hop/> })}
    }
}

/// A message that did not relay in time: why (a dry run of its relay), and Relay now.
#[component]
fn StuckRow(hop: Hop) -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let message = chains.events.with_untracked(|events| {
        events.iter().find_map(|e| match &e.kind {
            EventKind::Sent { message, .. } if message.hash == hop.hash => {
                Some((**message).clone())
            }
            _ => None,
        })
    });
    let store = expect_context::<StuckMessages>();
    let hash = hop.hash;
    let state = move || store.get(hash);
    let relaying = move || state().relaying;
    let first_look = store
        .0
        .with_untracked(|m| !m.get(&hash).is_some_and(|s| s.asked));
    if let (true, Some(message), Some(clients)) =
        (first_look, message.clone(), chains.clients.get_untracked())
    {
        store.update(hash, |s| s.asked = true);
        spawn_local(async move {
            let reason = relay::why_not_relayed(&clients, &message).await;
            let why = reason.unwrap_or_else(|| {
                "no relayer has picked it up (a relay would succeed now)".into()
            });
            store.update(hash, |s| s.why = Some(why));
        });
    }
    let relay_now = move |_| {
        let (Some(message), Some(clients)) = (message.clone(), chains.clients.get_untracked())
        else {
            return;
        };
        if store
            .0
            .with_untracked(|m| m.get(&hash).is_some_and(|s| s.relaying))
        {
            return;
        }
        store.update(hash, |s| {
            s.relaying = true;
            s.outcome = None;
        });
        spawn_local(async move {
            let result = relay::relay_now(&clients, &message).await;
            store.update(hash, |s| {
                s.outcome = Some(result);
                s.relaying = false;
            });
        });
    };
    view! {
        <tr class="stuck-row" data-testid=format!("stuck-{}", hop.destination)>
            <td colspan="9">
                <strong class="error">"Stuck: "</strong>
                {format!("message {} to chain {} not relayed after several blocks", short_hex(&hop.hash.to_string()), hop.destination)}
                <span class="muted" data-testid="stuck-why">{move || state().why.map(|w| format!(" — {w}"))}</span>
                " "
                <button data-testid="relay-now" on:click=relay_now disabled=relaying>
                    {move || if relaying() { "Relaying…" } else { "Relay now (dev key)" }}
                </button>
                {move || state().outcome.map(|o| match o {
                    Ok(hash) => view! { <span class="muted" data-testid="relay-sent">{format!(" relay sent: {}", short_hex(&hash.to_string()))}</span> }.into_any(),
                    Err(e) => view! { <span class="error" role="alert" data-testid="relay-error">{format!(" {e}")}</span> }.into_any(),
                })}
            </td>
        </tr>
    }
}
