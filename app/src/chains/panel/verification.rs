//! The selected run's reports, verified per chain: the work rebuilt from the block each worker
//! ran in (read from that chain), every result hashed here, and the whole set recomputed by a
//! miner task on the browser cores. A badge per chain; on a mismatch, which result and why.

use std::collections::HashMap;

use alloy::{eips::BlockNumberOrTag, providers::Provider};
use interplay_pow::{Work, index_of, messages::Progress};
use leptos::{prelude::*, task::spawn_local};
use parity_scale_codec::Encode;

use crate::{
    chains::{
        client::Clients,
        error::ChainError,
        state::ChainsState,
        timeline::{RunKey, RunTimeline},
        verify::{self, Problem, RanIn, Verdict},
    },
    cores::{CoresState, library, protocol::TaskId, runtime::Command},
};

/// How far one chain's check got. Kept above the view, which is rebuilt each block, so each
/// block header is read and each miner started once.
#[derive(Debug, Clone, Default)]
struct Check {
    work: Option<Work>,
    miner: Option<TaskId>,
    /// Every result index the miner found, read once from its report (the miner is then stopped).
    recomputed: Option<Vec<u64>>,
    error: Option<String>,
}

#[derive(Debug, Clone, Copy)]
struct Checks(RwSignal<HashMap<(RunKey, u64), Check>>);

impl Checks {
    fn update(self, at: (RunKey, u64), f: impl FnOnce(&mut Check)) {
        self.0.update(|m| f(m.entry(at).or_default()));
    }
}

/// Every result index of `work` the browser-cores miner `id` reported, once it has.
fn recomputed(cores: &CoresState, id: TaskId, work: &Work) -> Option<Vec<u64>> {
    let report = cores
        .view
        .with(|v| Progress::fold(v.task(id)?.to_host.iter().map(Vec::as_slice)).report)?;
    Some(
        report
            .results
            .iter()
            .filter_map(|r| index_of(&work.seed, r))
            .collect(),
    )
}

/// What the chain was asked: a job's part of the job's seed, or else the run's range from the
/// seed of the block its worker ran in, read from that chain.
async fn expected(clients: &Clients, ran: RanIn, asked: Asked) -> Result<Work, ChainError> {
    let Asked {
        start,
        end,
        target,
        job_seed,
    } = asked;
    if let Some(seed) = job_seed {
        return Ok(Work {
            seed: seed.0,
            start,
            end,
            target: target.to_be_bytes(),
        });
    }
    let chain = clients.chain(ran.chain)?;
    let block = chain
        .provider
        .get_block_by_number(BlockNumberOrTag::Number(ran.block))
        .await
        .map_err(|e| chain.rpc_down(e))?
        .ok_or(ChainError::BlockMissing {
            chain_id: ran.chain,
            block: ran.block,
        })?;
    Ok(verify::expected_work(
        ran.chain,
        block.header.timestamp,
        block.header.parent_hash,
        start,
        end,
        target,
    ))
}

/// The work a chain of a run was asked for, as the run's events say.
#[derive(Debug, Clone, Copy)]
struct Asked {
    start: u64,
    end: u64,
    target: alloy::primitives::U256,
    job_seed: Option<alloy::primitives::B256>,
}

/// The expected work, then a browser-cores miner for it.
async fn start_check(
    clients: Clients,
    cores: CoresState,
    checks: Checks,
    at: (RunKey, u64),
    ran: RanIn,
    asked: Asked,
) {
    let fail = |e: String| checks.update(at, |c| c.error = Some(e));
    let work = match expected(&clients, ran, asked).await {
        Ok(work) => work,
        Err(e) => return fail(e.to_string()),
    };
    checks.update(at, |c| c.work = Some(work));
    let module = match library::module("miner").await {
        Ok(m) => m,
        Err(e) => return fail(format!("the miner task: {e}")),
    };
    let name = format!("verify run {} · chain {}", at.0.run_id, ran.chain);
    let request = interplay_pow::messages::MineRequest::from(work).encode();
    match cores.runtime.add(&name, module, None, vec![request]).await {
        Ok(id) => checks.update(at, |c| c.miner = Some(id)),
        Err(e) => fail(format!("browser cores refused the miner: {e}")),
    }
}

#[component]
pub fn Verification(timeline: Memo<Option<RunTimeline>>) -> impl IntoView {
    let chains = expect_context::<ChainsState>();
    let cores = expect_context::<CoresState>();
    let checks = Checks(RwSignal::new(HashMap::new()));
    // Start each chain's check once its report is stored and its worker's block is known.
    {
        let cores = cores.clone();
        Effect::new(move |_| {
            let Some(t) = timeline.get() else { return };
            let Some(clients) = chains.clients.get_untracked() else {
                return;
            };
            for ran in verify::ran_in(&t) {
                let at = (t.key, ran.chain);
                let reported = t
                    .legs
                    .iter()
                    .any(|(c, l)| *c == ran.chain && l.claim.is_some());
                if !reported || checks.0.with_untracked(|m| m.contains_key(&at)) {
                    continue;
                }
                checks.update(at, |_| {});
                let (start, end) = t.range_of(ran.chain);
                let asked = Asked {
                    start,
                    end,
                    target: t.target,
                    job_seed: t.job.as_ref().map(|j| j.seed),
                };
                spawn_local(start_check(
                    clients.clone(),
                    cores.clone(),
                    checks,
                    at,
                    ran,
                    asked,
                ));
            }
        });
    }
    // A miner's answer is kept once it is in, and the miner stopped: it would wait for more
    // work, holding its memory.
    Effect::new(move |_| {
        let finished: Vec<_> = checks.0.with(|m| {
            m.iter()
                .filter(|(_, c)| c.recomputed.is_none())
                .filter_map(|(at, c)| {
                    let (work, id) = c.work.zip(c.miner)?;
                    recomputed(&cores, id, &work).map(|found| (*at, id, found))
                })
                .collect()
        });
        for (at, id, found) in finished {
            checks.update(at, |c| c.recomputed = Some(found));
            cores.runtime.send(Command::Kill(id));
        }
    });
    let rows = move || {
        let t = timeline.get()?;
        Some(
            t.legs
                .iter()
                .map(|(chain, leg)| {
                    let at = (t.key, *chain);
                    let check = checks.0.with(|m| m.get(&at).cloned()).unwrap_or_default();
                    let verdict = match (&leg.claim, check.work) {
                        (Some((seed, found)), Some(work)) => Some(verify::check(
                            &work,
                            &seed.0,
                            found,
                            check.recomputed.as_deref(),
                        )),
                        _ => None,
                    };
                    (*chain, verdict, check.error, leg.claim.is_some())
                })
                .collect::<Vec<_>>(),
        )
    };
    view! {
        <div class="verification" data-testid="verification">
            <h3>"Verification"</h3>
            <p class="muted small">
                "Each report is checked here, trusting no chain: the seed from the block its worker ran in (a job's own seed for a job), every result's hash below the target, no duplicates, and the whole set recomputed by a miner on the browser cores."
            </p>
            <ul class="verdicts">
                {move || rows().unwrap_or_default().into_iter().map(|(chain, verdict, error, reported)| {
                    view! { <VerdictRow chain=chain verdict=verdict error=error reported=reported/> }
                }).collect_view()}
            </ul>
        </div>
    }
}

/// How many problems a verdict lists before "and N more".
const SHOWN: usize = 5;

#[component]
fn VerdictRow(
    chain: u64,
    verdict: Option<Verdict>,
    error: Option<String>,
    reported: bool,
) -> impl IntoView {
    let (state, badge) = match (&verdict, &error, reported) {
        (_, Some(_), _) => ("error", "cannot check".to_owned()),
        (None, _, false) => ("waiting", "no report yet".to_owned()),
        (None, _, true) | (Some(Verdict::Checking), _, _) => {
            ("checking", "checking on browser cores…".to_owned())
        }
        (Some(Verdict::Verified { results }), _, _) => {
            ("verified", format!("verified · {results} results"))
        }
        (Some(Verdict::Invalid(p)), _, _) => (
            "invalid",
            format!(
                "invalid · {} problem{}",
                p.len(),
                if p.len() == 1 { "" } else { "s" }
            ),
        ),
    };
    let problems: Vec<Problem> = match verdict {
        Some(Verdict::Invalid(p)) => p,
        _ => Vec::new(),
    };
    let more = problems.len().saturating_sub(SHOWN);
    view! {
        <li data-testid=format!("verdict-{chain}") data-state=state>
            <span class="chain">{format!("chain {chain}")}</span>
            <span class=format!("badge {state}") data-testid="verdict-badge">{badge}</span>
            {error.map(|e| view! { <span class="error" role="alert">{format!(" {e}")}</span> })}
            {(!problems.is_empty()).then(|| view! {
                <ul class="problems" data-testid="verdict-problems">
                    {problems.into_iter().take(SHOWN).map(|p| view! { <li>{p.to_string()}</li> }).collect_view()}
                    {(more > 0).then(|| view! { <li class="muted">{format!("and {more} more")}</li> })}
                </ul>
            })}
        </li>
    }
}
