//! A job over both kinds of cores: its parts on browser-core miners and on chains, each
//! part's results and time as they come in, and the merge of all of them.

use std::collections::BTreeMap;

use alloy::primitives::{B256, TxHash};
use interplay_pow::{index_of, messages::Progress};
use leptos::{prelude::*, task::spawn_local};
use parity_scale_codec::Encode;

use super::{
    group,
    receipts::{Receipts, gas_and_cost},
    short_hex,
};
use crate::{
    chains::{
        cost,
        state::ChainsState,
        timeline::{RunKey, RunTimeline},
        verify,
    },
    charts::chart::StepChart,
    cores::{CoresState, library, protocol::TaskId, runtime::Command},
    jobs::{
        Job, Miner, Part,
        merge::{Merged, merge},
        split::{Capacity, LeftOut, Plan},
        track::{self, Track},
    },
};

/// One job on show: the plan, the browser miners, the chains' run, and what each part found.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    pub job: Job,
    pub parts: Vec<Part>,
    /// Miners offered that the plan gave no part, and why.
    pub left_out: Vec<(Miner, LeftOut)>,
    /// When the job was started (ms since the epoch, the clock chain events are seen by).
    pub began_ms: f64,
    pub tasks: BTreeMap<Miner, TaskId>,
    /// Result indices and ms since `began_ms`, per browser part (chains' come from the run).
    pub found: BTreeMap<Miner, (Vec<u64>, f64)>,
    /// Indices searched over time, per browser part (chains' come from the run).
    pub tracks: BTreeMap<Miner, Track>,
    /// The chains' run, once mined.
    pub run: Option<RunKey>,
    pub error: Option<String>,
}

impl JobRun {
    pub fn new(job: Job, plan: Plan) -> Self {
        Self {
            job,
            parts: plan.parts,
            left_out: plan.left_out,
            began_ms: js_sys::Date::now(),
            tasks: BTreeMap::new(),
            found: BTreeMap::new(),
            tracks: BTreeMap::new(),
            run: None,
            error: None,
        }
    }
}

/// The job on show and what was measured for the next plan.
#[derive(Debug, Clone, Copy)]
pub struct JobsUi {
    pub current: RwSignal<Option<JobRun>>,
    /// Indices per second one browser core mined, as last measured.
    pub core_rate: RwSignal<Option<f64>>,
    /// Each chain's last time from start to results stored (ms).
    pub chain_ms: RwSignal<BTreeMap<u64, f64>>,
}

impl JobsUi {
    pub fn new() -> Self {
        Self {
            current: RwSignal::new(None),
            core_rate: RwSignal::new(None),
            chain_ms: RwSignal::new(BTreeMap::new()),
        }
    }

    /// Browser-core speed: the last job's, or measured now by hashing on this thread (the
    /// miner task runs the same search compiled the same way).
    pub fn core_speed(&self) -> f64 {
        if let Some(rate) = self.core_rate.get_untracked() {
            return rate;
        }
        let work = interplay_pow::Work {
            seed: [0x5a; 32],
            start: 0,
            end: 8192,
            target: interplay_pow::target_for_bits(8),
        };
        let began = js_sys::Date::now();
        std::hint::black_box(work.search());
        let ms = (js_sys::Date::now() - began).max(1.0);
        let rate = 8192.0 / ms * 1000.0;
        self.core_rate.set(Some(rate));
        rate
    }

    /// A chain's speed for the plan: a run's bound of indices over its last measured time
    /// (before any, two blocks for chain A and four for another: request and report relays).
    pub fn chain_capacity(
        &self,
        chain: u64,
        chain_a: u64,
        block_time_s: u64,
        base_fee: Option<u128>,
    ) -> Capacity {
        let blocks = if chain == chain_a { 2.0 } else { 4.0 };
        let ms = self
            .chain_ms
            .with_untracked(|m| m.get(&chain).copied())
            .unwrap_or(blocks * block_time_s.max(1) as f64 * 1000.0);
        Capacity {
            miner: Miner::Chain(chain),
            // The whole part in the one transaction its worker runs in.
            per_s: f64::INFINITY,
            latency_s: ms / 1000.0,
            cap: Some(crate::chains::runs::MAX_RANGE),
            // A part costs about its relays (≈ 300k gas, see the README's gas figures); a chain
            // whose fee is unknown sorts last.
            cost: base_fee.map_or(u128::MAX, |fee| fee.saturating_mul(300_000)),
        }
    }
}

/// Starts one miner per browser part, each on its own core where there are enough.
pub async fn start_browser_parts(cores: CoresState, jobs: JobsUi) {
    let Some(run) = jobs.current.get_untracked() else {
        return;
    };
    let module = match library::module("miner").await {
        Ok(m) => m,
        Err(e) => {
            jobs.current
                .update(|j| set_error(j, format!("the miner task: {e}")));
            return;
        }
    };
    let n_cores = cores.cores.get_untracked().max(1);
    for part in &run.parts {
        let Miner::Core(k) = part.miner else { continue };
        let request =
            interplay_pow::messages::MineRequest::from(run.job.part(part.start, part.end)).encode();
        let name = format!("job part {} · {}..{}", k + 1, part.start, part.end);
        let core = Some(k as usize % n_cores);
        match cores
            .runtime
            .add(&name, module.clone(), core, vec![request])
            .await
        {
            Ok(id) => jobs.current.update(|j| {
                if let Some(j) = j.as_mut().filter(|j| j.began_ms == run.began_ms) {
                    j.tasks.insert(part.miner, id);
                }
            }),
            Err(e) => {
                jobs.current
                    .update(|j| set_error(j, format!("browser cores refused a miner: {e}")));
                return;
            }
        }
    }
}

fn set_error(job: &mut Option<JobRun>, error: String) {
    if let Some(j) = job.as_mut() {
        j.error = Some(error);
    }
}

/// What a part of the job stands at, for its row and its lines.
#[derive(Debug, Clone, PartialEq)]
struct PartRow {
    part: Part,
    /// Indices done so far (browser miners tell; a chain's part is all or nothing).
    hashes: u64,
    found: Option<(Vec<u64>, Option<f64>)>,
    track: Track,
    chain: Option<ChainCosts>,
}

/// A chain part's: blocks of chain A from the run to its results, and the transactions it
/// paid for (the run itself for chain A, else the relays of its request and its report).
#[derive(Debug, Clone, PartialEq)]
struct ChainCosts {
    blocks: Option<u64>,
    txs: Vec<(u64, TxHash)>,
}

#[component]
pub fn JobView() -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let cores = expect_context::<CoresState>();
    let jobs = expect_context::<JobsUi>();
    // The chains' run of the job, as its events show it.
    let timeline = Memo::new(move |_| {
        let key = jobs.current.with(|j| j.as_ref().and_then(|j| j.run))?;
        let pow = chains
            .clients
            .with(|c| c.as_ref().and_then(|c| c.addresses))?
            .interop_pow;
        let heads = chains.heads();
        chains
            .events
            .with(|events| RunTimeline::build(key, events, &heads, pow))
    });
    // Each browser miner's progress is kept as a reading of its track, and its report as it
    // lands, when the miner is stopped and its speed kept for the next plan. One fold of each
    // unfinished miner's messages per view update; the rows read the tracks, not the messages.
    Effect::new(move |_| {
        let Some(run) = jobs.current.get() else {
            return;
        };
        let at_ms = js_sys::Date::now() - run.began_ms;
        let news: Vec<(Miner, TaskId, Progress, f64)> = cores.view.with(|v| {
            run.tasks
                .iter()
                .filter(|(m, _)| !run.found.contains_key(m))
                .filter_map(|(m, id)| {
                    let t = v.task(*id)?;
                    let p = Progress::fold(t.to_host.iter().map(Vec::as_slice));
                    let last = run
                        .tracks
                        .get(m)
                        .and_then(|t| t.searched.last())
                        .map(|r| r.1);
                    let new = p.report.is_some() || (p.hashes > 0 && last != Some(p.hashes));
                    new.then_some((*m, *id, p, t.busy_ms))
                })
                .collect()
        });
        if news.is_empty() {
            return;
        }
        let mut done = Vec::new();
        jobs.current.update(|j| {
            let Some(j) = j.as_mut() else { return };
            for (miner, id, progress, busy_ms) in news {
                let Some(report) = progress.report else {
                    j.tracks
                        .entry(miner)
                        .or_default()
                        .searched(at_ms / 1000.0, progress.hashes);
                    continue;
                };
                let indices: Vec<u64> = report
                    .results
                    .iter()
                    .filter_map(|r| index_of(&j.job.seed, r))
                    .collect();
                j.found.insert(miner, (indices, at_ms));
                let rate = (busy_ms > 0.0).then(|| report.hashes as f64 / busy_ms * 1000.0);
                done.push((id, rate));
            }
        });
        for (id, rate) in done {
            if let Some(rate) = rate {
                jobs.core_rate.set(Some(rate));
            }
            cores.runtime.send(Command::Kill(id));
        }
    });
    // Each chain's time to results, for the next plan.
    Effect::new(move |_| {
        let (Some(t), Some(began)) = (
            timeline.get(),
            jobs.current.with(|j| j.as_ref().map(|j| j.began_ms)),
        ) else {
            return;
        };
        for (chain, leg) in &t.legs {
            if let Some(at) = leg.stored.as_ref().and_then(|(s, _)| s.at_ms) {
                let ms = at - began;
                if jobs.chain_ms.with_untracked(|m| m.get(chain) != Some(&ms)) {
                    jobs.chain_ms.update(|m| {
                        m.insert(*chain, ms);
                    });
                }
            }
        }
    });
    let rows = Memo::new(move |_| -> Option<(JobRun, Vec<PartRow>, Merged)> {
        let run = jobs.current.get()?;
        let t = timeline.get();
        let since_began = |at_ms: Option<f64>| at_ms.map(|at| (at - run.began_ms).max(0.0));
        let rows: Vec<PartRow> = run
            .parts
            .iter()
            .map(|part| match part.miner {
                Miner::Core(_) => {
                    let mut track = run.tracks.get(&part.miner).cloned().unwrap_or_default();
                    let hashes = track.searched.last().map_or(0, |r| r.1);
                    let found = run
                        .found
                        .get(&part.miner)
                        .map(|(f, at)| (f.clone(), Some(*at)));
                    track.results = found
                        .as_ref()
                        .and_then(|(f, at)| Some((at.as_ref()? / 1000.0, f.len())));
                    PartRow {
                        part: *part,
                        hashes: if found.is_some() { part.len() } else { hashes },
                        found,
                        track,
                        chain: None,
                    }
                }
                Miner::Chain(chain) => {
                    let leg = t
                        .as_ref()
                        .and_then(|t| t.legs.iter().find(|(c, _)| *c == chain))
                        .map(|(_, l)| l);
                    let stored_at = leg.and_then(|l| since_began(l.stored.as_ref()?.0.at_ms));
                    let found = leg.and_then(|l| {
                        let (seed, found) = l.claim.as_ref()?;
                        Some((
                            verify::claimed_indices(&run.job.seed, &seed.0, found)?,
                            stored_at,
                        ))
                    });
                    // The worker mines its whole part in the transaction that relays the request
                    // (a worker that logs no Mined is only known done by its report).
                    let searched_at = leg
                        .and_then(|l| since_began(l.worker_ran.as_ref()?.0.at_ms))
                        .or(stored_at);
                    let track = Track {
                        searched: searched_at
                            .map(|at| vec![(at / 1000.0, part.len())])
                            .unwrap_or_default(),
                        results: found
                            .as_ref()
                            .and_then(|(f, at)| Some((at.as_ref()? / 1000.0, f.len()))),
                    };
                    let extra = t.as_ref().map(|t| {
                        let blocks = leg
                            .and_then(|l| l.stored.as_ref())
                            .map(|(s, _)| s.block.saturating_sub(t.started.block));
                        let txs = if chain == t.key.chain_a {
                            vec![(chain, t.started.tx)]
                        } else {
                            cost::relays(t, chain)
                        };
                        ChainCosts { blocks, txs }
                    });
                    PartRow {
                        part: *part,
                        hashes: if found.is_some() { part.len() } else { 0 },
                        found,
                        track,
                        chain: Some(extra.unwrap_or(ChainCosts {
                            blocks: None,
                            txs: Vec::new(),
                        })),
                    }
                }
            })
            .collect();
        let found: BTreeMap<Miner, Vec<u64>> = rows
            .iter()
            .filter_map(|r| r.found.as_ref().map(|(f, _)| (r.part.miner, f.clone())))
            .collect();
        let merged = merge(&run.parts, &found);
        Some((run, rows, merged))
    });
    // Both charts from the same rows; carried on to now at each block or slice while open.
    let lines = Memo::new(move |_| {
        chains.heads();
        rows.with(|r| {
            let Some((run, rows, merged)) = r else {
                return (Vec::new(), Vec::new());
            };
            let tracks: BTreeMap<Miner, Track> = rows
                .iter()
                .map(|r| (r.part.miner, r.track.clone()))
                .collect();
            let now_s = (!merged.complete()).then(|| (js_sys::Date::now() - run.began_ms) / 1000.0);
            track::curves(&run.parts, &tracks, now_s)
        })
    });
    let searched = Signal::derive(move || lines.with(|l| l.0.clone()));
    let results = Signal::derive(move || lines.with(|l| l.1.clone()));
    let receipts = expect_context::<Receipts>();
    view! {
        <Show when=move || rows.with(Option::is_some)>
        <fieldset class="card job-view" data-testid="job">
            <legend>"Job"</legend>
        {move || rows.get().map(|(run, rows, merged)| {
            let job = run.job;
            let last = rows.iter().filter_map(|r| r.found.as_ref().and_then(|(_, at)| *at)).reduce(f64::max);
            let complete = merged.complete();
            let summary = if complete {
                let time = last.map_or("(times unknown after a reload)".to_owned(), |ms| format!("in {:.2} s", ms / 1000.0));
                format!("{} results from {} parts, {time}", merged.indices.len(), rows.len())
            } else {
                format!("{} results so far; waiting for {}", merged.indices.len(),
                    merged.waiting.iter().map(Miner::to_string).collect::<Vec<_>>().join(", "))
            };
            let strays = merged.strays.clone();
            let indices = merged.indices.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
            view! {
                    <p class="muted small">
                        "Seed " <code title=B256::from(job.seed).to_string()>{short_hex(&B256::from(job.seed).to_string())}</code>
                        {format!(" · indices {}..{} ({}) · {} zero bits", job.start, job.end, group(job.len()), job.bits)}
                    </p>
                    {run.error.map(|e| view! { <p class="error" role="alert" data-testid="job-error">{e}</p> })}
                    <div class="steps-scroll">
                    <table class="parts" data-testid="job-parts">
                        <thead><tr>
                            <th>"Miner"</th><th>"Indices"</th><th>"Done"</th><th>"Results"</th><th>"Time"</th>
                            <th title="indices searched per second, from the job's start to this part's results">"Indices/s"</th>
                            <th title="chain A's blocks from the run to this chain's results">"Blocks"</th>
                            <th title="gas used × the price each paid: the run transaction for chain A, the relays of its request and report for another chain">"Gas · cost"</th>
                        </tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let len = r.part.len().max(1);
                                let pct = r.hashes.min(len) * 100 / len;
                                let (results, time, speed) = match &r.found {
                                    Some((f, Some(at))) => (
                                        f.len().to_string(),
                                        format!("{:.2} s", at / 1000.0),
                                        compact(r.part.len() as f64 / (at / 1000.0).max(0.001)),
                                    ),
                                    Some((f, None)) => (f.len().to_string(), "—".into(), "—".into()),
                                    None => ("…".into(), "…".into(), "—".into()),
                                };
                                let kind = match r.part.miner { Miner::Core(_) => "core", Miner::Chain(_) => "chain" };
                                let (blocks, gas) = match r.chain {
                                    None => ("—".to_owned(), view! { <span class="muted" title="browser cores pay no gas">"—"</span> }.into_any()),
                                    Some(ChainCosts { blocks, txs }) => (
                                        blocks.map_or("…".into(), |b| b.to_string()),
                                        view! { <span>{move || if txs.is_empty() { "…".to_owned() } else { gas_and_cost(receipts.total(chains, &txs)) }}</span> }.into_any(),
                                    ),
                                };
                                view! {
                                    <tr data-testid=format!("job-part-{}", part_id(r.part.miner)) data-kind=kind data-done=r.found.is_some().to_string()>
                                        <td>{r.part.miner.to_string()}</td>
                                        <td class="num">{format!("{}..{}", r.part.start, r.part.end)}</td>
                                        <td class="num" title=format!("{pct}%")><progress max="100" value=pct></progress></td>
                                        <td class="num">{results}</td>
                                        <td class="num">{time}</td>
                                        <td class="num">{speed}</td>
                                        <td class="num" data-testid="job-part-blocks">{blocks}</td>
                                        <td class="num cost" data-testid="job-part-gas">{gas}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                    {(!run.left_out.is_empty()).then(|| view! {
                        <p class="muted small" data-testid="job-left-out">
                            {run.left_out.iter().map(|(m, why)| format!("{m} has no part: {why}.")).collect::<Vec<_>>().join(" ")}
                        </p>
                    })}
                    <p data-testid="job-merged" data-complete=complete.to_string()
                        data-indices=indices data-ms=last.map(|ms| format!("{ms:.0}"))>
                        <strong>{summary}</strong>
                    </p>
                    {(!strays.is_empty()).then(|| view! {
                        <p class="error" role="alert" data-testid="job-strays">
                            {strays.iter().take(5).map(|(m, i)| format!("{m} reported index {i}, outside its part")).collect::<Vec<_>>().join("; ")}
                        </p>
                    })}
            }
        })}
            <div class="charts" data-testid="job-charts">
                <StepChart curves=searched title="Indices searched, per miner"
                    x_unit="seconds since the job began" y_unit="indices"
                    empty="" testid="job-searched-chart"/>
                <StepChart curves=results title="Results found, per miner"
                    x_unit="seconds since the job began" y_unit="results"
                    empty="" testid="job-results-chart"/>
            </div>
        </fieldset>
        </Show>
    }
}

/// 1_234_567.0 → "1.23 M", 13_595.0 → "13.6 k", 797.0 → "797": a rate that fits its column.
fn compact(x: f64) -> String {
    match x {
        x if x >= 1e6 => format!("{:.2} M", x / 1e6),
        x if x >= 1e4 => format!("{:.1} k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// `core-1`, `chain-901`: a part's test id.
fn part_id(miner: Miner) -> String {
    match miner {
        Miner::Core(k) => format!("core-{}", k + 1),
        Miner::Chain(c) => format!("chain-{c}"),
    }
}

/// Starts `run`: shown at once, the browser parts mining while the chains' run is signed.
/// A job still mining when another begins is stopped: its miners would hold cores for nothing.
pub fn begin(cores: CoresState, jobs: JobsUi, run: JobRun) {
    if let Some(old) = jobs.current.get_untracked() {
        for (miner, id) in &old.tasks {
            if !old.found.contains_key(miner) {
                cores.runtime.send(Command::Kill(*id));
            }
        }
    }
    jobs.current.set(Some(run));
    spawn_local(start_browser_parts(cores, jobs));
}
