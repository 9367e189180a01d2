//! Past runs (read from chain, so they survive a reload) and the recent transactions.

use leptos::prelude::*;

use super::{RunsUi, group, short_hex};
use crate::chains::{
    runs::TxStatus,
    state::ChainsState,
    timeline::{RunKey, RunTimeline},
};
use crate::charts::{Curve, Kind, chart::StepChart};

#[component]
pub fn History() -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let ui = expect_context::<RunsUi>();
    // The last 20 runs, newest first.
    let timelines = Memo::new(move |_| {
        let Some(pow) = chains
            .clients
            .with(|c| c.as_ref().and_then(|c| c.addresses))
            .map(|a| a.interop_pow)
        else {
            return Vec::new();
        };
        let heads = chains.heads();
        chains.events.with(|events| {
            let mut keys = RunTimeline::runs(events);
            keys.reverse();
            let mut seen = std::collections::BTreeSet::new();
            keys.retain(|k| seen.insert(*k));
            keys.truncate(20);
            keys.into_iter()
                .filter_map(|k| RunTimeline::build(k, events, &heads, pow))
                .collect::<Vec<_>>()
        })
    });
    let runs = Memo::new(move |_| {
        timelines.with(|ts| {
            ts.iter()
                .map(|t| {
                    let status = if t.complete() {
                        format!("{} results", t.results())
                    } else if t.legs.iter().any(|(_, l)| l.stuck_hop().is_some()) {
                        "stuck".into()
                    } else {
                        format!(
                            "{}/{} chains",
                            t.legs.iter().filter(|(_, l)| l.done()).count(),
                            t.legs.len()
                        )
                    };
                    (
                        t.key,
                        t.legs
                            .iter()
                            .map(|(c, _)| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        status,
                    )
                })
                .collect::<Vec<_>>()
        })
    });
    let times = Signal::derive(move || timelines.with(|ts| history_curves(ts)));
    let open = move |key: RunKey| ui.select(key);
    view! {
        <details class="card" open>
            <summary>"Runs"</summary>
            <Show when=move || runs.with(Vec::is_empty)>
                <p class="muted" data-testid="history-empty">"No runs on these chains yet."</p>
            </Show>
            <StepChart curves=times title="Time to each chain's results, run by run"
                x_unit="run (oldest first)" y_unit="seconds" markers=true
                empty="Each finished run adds a point per chain here."
                testid="history-chart"/>
            <ul class="history" data-testid="history">
                <For each=move || runs.get() key=|r| r.clone() let:r>
                    {
                        let (key, on, status) = r;
                        view! {
                            <li>
                                <button class="link" data-testid=format!("history-run-{}-{}", key.chain_a, key.run_id) on:click=move |_| open(key)>
                                    {format!("run {} on chain {}", key.run_id, key.chain_a)}
                                </button>
                                <span class="muted">{format!(" · chains {on} · {status}")}</span>
                            </li>
                        }
                    }
                </For>
            </ul>
        </details>
        <details class="card">
            <summary>"Recent transactions"</summary>
            <Show when=move || ui.txs.with(Vec::is_empty)>
                <p class="muted">"None yet."</p>
            </Show>
            <ul class="history" data-testid="recent-txs">
                <For each=move || ui.txs.get() key=|t| (t.hash, format!("{:?}", t.status)) let:t>
                    <li>
                        <code title=t.hash.to_string()>{short_hex(&t.hash.to_string())}</code>
                        {format!(" {} on chain {} · ", t.label, t.chain)}
                        {match t.status {
                            TxStatus::Pending => "pending".to_owned(),
                            TxStatus::Mined { block, gas_used } => format!("mined in #{block}, {} gas", group(gas_used)),
                            TxStatus::Reverted { block, .. } => format!("reverted in #{block}"),
                            TxStatus::Dropped => "dropped".to_owned(),
                        }}
                    </li>
                </For>
            </ul>
        </details>
    }
}

/// Per chain, the seconds from each run mined to that chain's results stored, runs numbered
/// oldest first (`newest_first` is how the list holds them).
fn history_curves(newest_first: &[RunTimeline]) -> Vec<Curve> {
    let mut curves: Vec<Curve> = Vec::new();
    for (n, t) in newest_first.iter().rev().enumerate() {
        for (chain, _) in &t.legs {
            let Some(secs) = t.chain_secs(*chain) else {
                continue;
            };
            let name = format!("chain {chain}");
            let i = match curves.iter().position(|c| c.name == name) {
                Some(i) => i,
                None => {
                    curves.push(Curve::new(name, Kind::Chain));
                    curves.len() - 1
                }
            };
            curves[i].push((n + 1) as f64, secs);
        }
    }
    curves.sort_by(|a, b| a.name.cmp(&b.name));
    curves
}
