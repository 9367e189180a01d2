//! The Cores panel: settings, one lane per core with its recent slices, the task library and
//! upload, the demos, and a card per task (state, controls, console, message log).

use std::collections::BTreeMap;

use leptos::{prelude::*, task::spawn_local};
use parity_scale_codec::Encode;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use coreplay_abi::{MAX_INBOX, MAX_MESSAGE_BYTES};
use interplay_pow::{
    Work, index_of,
    messages::{MineRequest, Progress},
    parse_word, target_for_bits,
};

use super::{
    flags::MAX_CORES,
    host::MEMORY_LIMIT,
    library,
    protocol::TaskId,
    runtime::{Command, GRACE_MS},
    scheduler::TaskState,
    state::CoresState,
    view::{SliceBar, TaskView},
};

/// Work the page asked miners for, by miner task, to read their reports.
#[derive(Debug, Clone, Copy)]
struct Mining(RwSignal<BTreeMap<TaskId, Work>>);

#[component]
pub fn CoresPanel() -> impl IntoView {
    let state = expect_context::<CoresState>();
    provide_context(Mining(RwSignal::new(BTreeMap::new())));
    let tasks = move || {
        state
            .view
            .with(|v| v.tasks.iter().map(|t| t.id).collect::<Vec<_>>())
    };
    view! {
        <section class="panel" aria-labelledby="cores-title">
            <h2 id="cores-title">"Browser cores"</h2>
            <dl class="facts">
                <dt>"Cross-origin isolated"</dt>
                <dd data-testid="isolation">{if state.isolated { "yes" } else { "no" }}</dd>
                <dt>"Yield signal"</dt>
                <dd data-testid="yield-mode">{state.mode().describe()}</dd>
                <dt>"Cores"</dt>
                <dd><CoreCount/></dd>
                <dt>"Slice"</dt>
                <dd><SliceLength/></dd>
                <dt>"Limits"</dt>
                <dd class="muted">{format!(
                    "{} MiB memory per task · {} KiB per message · {} unread messages · {} ms grace before a core is reset",
                    MEMORY_LIMIT >> 20, MAX_MESSAGE_BYTES / 1024, MAX_INBOX, GRACE_MS,
                )}</dd>
            </dl>
            <CoreLanes/>
            <AddTask/>
            <Demos/>
            <div class="tasks" data-testid="tasks">
                <For each=tasks key=|id| *id let:id>
                    <TaskCard id=id/>
                </For>
            </div>
        </section>
    }
}

#[component]
fn CoreCount() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let runtime = state.runtime.clone();
    view! {
        <Stepper value=state.cores step=1 min=1 max=MAX_CORES as usize unit=""
            less="fewer cores" more="more cores" testid="core-count"
            on_set=move |n| runtime.send(Command::SetCores(n))/>
        <span class="muted">{format!(" of {} hardware threads", state.hardware)}</span>
    }
}

#[component]
fn SliceLength() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let runtime = state.runtime.clone();
    view! {
        <Stepper value=state.slice_ms step=10 min=10 max=1000 unit=" ms"
            less="shorter slices" more="longer slices" testid="slice-ms"
            on_set=move |ms| runtime.send(Command::SetSlice(ms))/>
    }
}

/// − value + buttons that keep `value` within `min..=max` and report each change.
#[component]
fn Stepper<T>(
    value: RwSignal<T>,
    step: T,
    min: T,
    max: T,
    unit: &'static str,
    less: &'static str,
    more: &'static str,
    testid: &'static str,
    on_set: impl Fn(T) + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Copy
        + Ord
        + std::fmt::Display
        + std::ops::Add<Output = T>
        + std::ops::Sub<Output = T>
        + Send
        + Sync
        + 'static,
{
    let set = move |n: T| {
        let n = n.clamp(min, max);
        value.set(n);
        on_set(n);
    };
    let down = set.clone();
    view! {
        <span class="stepper">
            <button aria-label=less on:click=move |_| {
                let v = value.get_untracked();
                down(if v > min + step { v - step } else { min })
            }>"−"</button>
            <output data-testid=testid>{move || format!("{}{unit}", value.get())}</output>
            <button aria-label=more on:click=move |_| set(value.get_untracked() + step)>"+"</button>
        </span>
    }
}

/// One lane per core: its recent slices, coloured by task.
#[component]
fn CoreLanes() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let shown = move || {
        state.view.with(|v| {
            v.cores
                .iter()
                .filter(|c| c.active || !c.timeline.is_empty())
                .map(|c| c.index)
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="lanes">
            <For each=shown key=|index| *index let:index>
                <CoreLane index=index/>
            </For>
        </div>
    }
}

/// A core's lane. Its bars are keyed by slice number, so a view update adds the new slices'
/// bars and drops the oldest instead of redrawing the lane: the page's own thread shares the
/// machine with the cores, and every millisecond it spends is taken from them.
#[component]
fn CoreLane(index: usize) -> impl IntoView {
    let state = expect_context::<CoresState>();
    let core = Memo::new(move |_| state.view.with(|v| v.cores.get(index).cloned()));
    let bars = move || {
        core.with(|c| {
            c.as_ref().map_or_else(Vec::new, |c| {
                let first = c.slices - c.timeline.len() as u64;
                (first..)
                    .zip(c.timeline.iter().cloned())
                    .collect::<Vec<_>>()
            })
        })
    };
    let full = move || f64::from(state.slice_ms.get_untracked()) * 1.5;
    let slices = move || core.with(|c| c.as_ref().map_or(0, |c| c.slices));
    let resets = move || {
        core.with(|c| {
            c.as_ref()
                .filter(|c| c.resets > 0)
                .map(|c| format!("{} reset(s)", c.resets))
        })
    };
    view! {
        <div class="lane" data-testid=format!("core-{index}")>
            <span class="lane-name">{format!("core {index}")}</span>
            <div class="timeline" aria-label=format!("recent slices on core {index}")>
                <For each=bars key=|(seq, _)| *seq children=move |(_, b)| bar(&b, full())/>
            </div>
            <span class="muted lane-facts">
                <span data-testid="core-slices">{slices}</span>" slices "
                <span class="error">{resets}</span>
            </span>
        </div>
    }
}

fn bar(b: &SliceBar, full: f64) -> impl IntoView + use<> {
    let pct = (b.ms / full * 100.0).clamp(3.0, 100.0);
    view! {
        <span
            class=b.ended.class()
            data-task=b.task
            data-ms=format!("{:.3}", b.ms)
            style=format!("height:{pct:.0}%;--hue:{}", hue(b.task))
            title=format!("task {}: {:.2} ms", b.task, b.ms)
        ></span>
    }
}

fn hue(task: TaskId) -> u32 {
    (task * 67 + 30) % 360
}

/// Add a task from the library or upload a `.wasm`.
#[component]
fn AddTask() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let names = LocalResource::new(library::index);
    let chosen = RwSignal::new(String::from("counter"));
    let error = RwSignal::new(None::<String>);
    let runtime = state.runtime.clone();
    let add = move |_| {
        let name = chosen.get_untracked();
        let runtime = runtime.clone();
        spawn_local(async move {
            let result = match library::module(&name).await {
                Ok(module) => {
                    runtime
                        .add(&name, module, None, library::greeting(&name))
                        .await
                }
                Err(e) => Err(e),
            };
            error.set(result.err());
        });
    };
    let runtime = state.runtime.clone();
    let upload = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        input.set_value("");
        let runtime = runtime.clone();
        spawn_local(async move {
            let name = file.name().trim_end_matches(".wasm").to_owned();
            let result = match JsFuture::from(file.array_buffer()).await {
                Ok(buffer) => {
                    let module = js_sys::Uint8Array::new(&buffer).to_vec();
                    runtime.add(&name, module, None, vec![]).await
                }
                Err(e) => Err(format!(
                    "cannot read {name}: {}",
                    super::host::js_error_message(&e)
                )),
            };
            error.set(result.err());
        });
    };
    let options = move || {
        names.get().map(|list| match list {
            Ok(list) => list
                .into_iter()
                .map(|n| {
                    let label = format!("{n} — {}", library::about(&n));
                    view! { <option value=n.clone() selected=n == "counter">{label}</option> }
                })
                .collect_view()
                .into_any(),
            Err(e) => view! { <option disabled=true>{e}</option> }.into_any(),
        })
    };
    view! {
        <div class="add-task">
            <label>"Library "
                <select data-testid="library" on:change=move |ev| chosen.set(event_target_value(&ev))>{options}</select>
            </label>
            <button data-testid="add-task" on:click=add>"Add task"</button>
            <label class="upload">"or upload a .wasm "
                <input type="file" accept=".wasm,application/wasm" data-testid="upload" on:change=upload/>
            </label>
            {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="add-error">{e}</p> })}
        </div>
    }
}

/// Ready-made setups: ping/pong across two cores, and a mining request.
#[component]
fn Demos() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let Mining(mining) = expect_context::<Mining>();
    let rounds = RwSignal::new(String::from("1000"));
    let error = RwSignal::new(None::<String>);
    let runtime = state.runtime.clone();
    let cores = state.cores;
    let ping_pong = move |_| {
        let runtime = runtime.clone();
        let rounds: u32 = rounds.get_untracked().trim().parse().unwrap_or(1000);
        // Different cores when there are two, so every message crosses between workers.
        let (a, b) = if cores.get_untracked() >= 2 {
            (Some(0), Some(1))
        } else {
            (None, None)
        };
        spawn_local(async move {
            let result = async {
                let pong = runtime
                    .add("pong", library::module("pong").await?, a, vec![])
                    .await?;
                runtime
                    .add(
                        "ping",
                        library::module("ping").await?,
                        b,
                        vec![(pong, rounds).encode()],
                    )
                    .await
            }
            .await;
            error.set(result.err());
        });
    };
    let runtime = state.runtime.clone();
    // The task that answers the calls: calc, or one whose handler never returns.
    let server = RwSignal::new(String::from("calc"));
    let calls = move |_| {
        let runtime = runtime.clone();
        let n: u64 = rounds.get_untracked().trim().parse().unwrap_or(1000);
        spawn_local(async move {
            // Synchronous calls reach only tasks on the caller's core.
            let result = async {
                let server = server.get_untracked();
                let calc = runtime
                    .add(&server, library::module(&server).await?, Some(0), vec![])
                    .await?;
                runtime
                    .add(
                        "calc-client",
                        library::module("calc-client").await?,
                        Some(0),
                        vec![(calc, n).encode()],
                    )
                    .await
            }
            .await;
            error.set(result.err());
        });
    };
    let seed = RwSignal::new(String::from(
        "0x1f2e3d4c5b6a798897a6b5c4d3e2f1000112233445566778899aabbccddeeff00",
    ));
    let start = RwSignal::new(String::from("0"));
    let end = RwSignal::new(String::from("2000000"));
    let bits = RwSignal::new(String::from("18"));
    // ~80 µs of hashing between checks: a prompt yield, at a cost of well under 1 %.
    let check_every = RwSignal::new(String::from("256"));
    let miners = RwSignal::new(String::from("1"));
    let runtime = state.runtime.clone();
    let mine = move |_| {
        let work = (|| {
            Some(Work {
                seed: parse_word(&seed.get_untracked())?,
                start: start.get_untracked().trim().parse().ok()?,
                end: end.get_untracked().trim().parse().ok()?,
                target: target_for_bits(bits.get_untracked().trim().parse().ok()?),
            })
        })();
        let check = check_every.get_untracked().trim().parse::<u64>().ok();
        let parts = miners
            .get_untracked()
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=u64::from(MAX_CORES)).contains(n));
        let (Some(work), Some(check), Some(parts)) =
            (work.filter(|w| w.start <= w.end), check, parts)
        else {
            error.set(Some(format!(
                "mining needs a hex seed (≤ 32 bytes), start ≤ end, difficulty bits, a check interval and 1–{MAX_CORES} miners"
            )));
            return;
        };
        let runtime = runtime.clone();
        spawn_local(async move {
            let module = match library::module("miner").await {
                Ok(module) => module,
                Err(e) => return error.set(Some(e)),
            };
            // One miner per part; each goes to the least loaded core.
            for part in work.split(parts) {
                let request = MineRequest {
                    check_every: check,
                    ..MineRequest::from(part)
                }
                .encode();
                match runtime
                    .add("miner", module.clone(), None, vec![request])
                    .await
                {
                    Ok(id) => {
                        mining.update(|m| {
                            m.insert(id, part);
                        });
                        error.set(None);
                    }
                    Err(e) => return error.set(Some(e)),
                }
            }
        });
    };
    let field = |label: &'static str, value: RwSignal<String>, id: &'static str| {
        view! {
            <label>{label}" "
                <input data-testid=id prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
            </label>
        }
    };
    view! {
        <div class="demos">
            <div class="demo">
                <button data-testid="ping-pong" on:click=ping_pong>"Ping/pong across two cores"</button>
                <button data-testid="calls" on:click=calls>"Calls within one core"</button>
                {field("rounds", rounds, "rounds")}
                <label>"served by "
                    <select data-testid="call-server" on:change=move |ev| server.set(event_target_value(&ev))>
                        <option value="calc" selected>"calc"</option>
                        <option value="bad-serve">"bad-serve (never returns)"</option>
                    </select>
                </label>
            </div>
            <div class="demo">
                <button data-testid="mine" on:click=mine>"Mine"</button>
                {field("seed", seed, "seed")}
                {field("indices from", start, "start")}
                {field("to", end, "end")}
                {field("difficulty bits", bits, "bits")}
                {field("yield check every (hashes; 0 = never)", check_every, "check-every")}
                {field("split across miners", miners, "miners")}
            </div>
            {move || error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </div>
    }
}

#[component]
fn TaskCard(id: TaskId) -> impl IntoView {
    let state = expect_context::<CoresState>();
    let task = Memo::new(move |_| state.view.with(|v| v.task(id).cloned()));
    let get = move |f: fn(&TaskView) -> String| {
        move || task.with(|t| t.as_ref().map(f).unwrap_or_default())
    };
    let runtime = state.runtime.clone();
    let command = move |make: fn(TaskId) -> Command| {
        let runtime = runtime.clone();
        move |_| runtime.send(make(id))
    };
    let (pause, resume, kill) = (
        command(Command::Pause),
        command(Command::Resume),
        command(Command::Kill),
    );
    let live = move || task.with(|t| t.as_ref().is_some_and(|t| t.state.is_live()));
    let paused = move || task.with(|t| t.as_ref().is_some_and(|t| t.state == TaskState::Paused));
    let reason = move || {
        task.with(|t| match t.as_ref().map(|t| &t.state) {
            Some(TaskState::Failed(r) | TaskState::Preempted(r)) => Some(r.clone()),
            _ => None,
        })
    };
    view! {
        <article class="task" data-testid=move || format!("task-{}", get(|t| t.name.clone())())
            data-task-id=id style=format!("--hue:{}", hue(id))>
            <header>
                <span class="swatch"></span>
                <h3>{get(|t| format!("{} #{}", t.name, t.id))}</h3>
                <span class="muted">{get(|t| format!("core {}", t.core))}</span>
                <span class=move || format!("status {}", get(|t| t.state.label().into())()) data-testid="status">
                    {get(|t| t.state.label().into())}
                </span>
                <span class="controls">
                    {move || {
                        let (pause, resume, kill) = (pause.clone(), resume.clone(), kill.clone());
                        live().then(move || view! {
                            {if paused() {
                                view! { <button on:click=resume>"Resume"</button> }.into_any()
                            } else {
                                view! { <button on:click=pause>"Pause"</button> }.into_any()
                            }}
                            <button on:click=kill>"Kill"</button>
                        })
                    }}
                </span>
            </header>
            {move || reason().map(|r| view! { <p class="error" role="alert" data-testid="reason">{r}</p> })}
            <dl class="facts inline">
                <dt>"Slices"</dt><dd data-testid="slices">{get(|t| t.slices.to_string())}</dd>
                <dt>"Mean slice"</dt><dd>{get(|t| t.mean_slice_ms().map_or("–".into(), |ms| format!("{ms:.2} ms")))}</dd>
                <dt>"Yield latency"</dt><dd>{get(|t| t.last_yield_latency_ms.map_or("–".into(), |ms| format!("{:.0} µs", ms * 1000.0)))}</dd>
                <dt>"Messages"</dt><dd data-testid="messages">{get(|t| format!("{} in · {} out", t.received, t.sent))}</dd>
                <dt>"Restored"</dt><dd>{get(|t| t.restores.to_string())}</dd>
            </dl>
            <MinerStats task=task/>
            <pre class="console" data-testid="console">{move || task.with(|t| t.as_ref().map(|t| t.console.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default())}</pre>
            <details>
                <summary>"Message log"</summary>
                <ol class="log" data-testid="log">
                    {move || task.with(|t| t.as_ref().map(|t| t.log.iter().rev().take(30).map(|e| {
                        let arrow = if e.outgoing { "→" } else { "←" };
                        let peer = if e.peer == 0 { "host".to_string() } else { format!("#{}", e.peer) };
                        view! { <li>{format!("{arrow} {peer} · {} B · {}", e.bytes, e.preview)}</li> }
                    }).collect_view()))}
                </ol>
            </details>
        </article>
    }
}

/// Live hash rate and results for a miner the page sent work to.
#[component]
fn MinerStats(task: Memo<Option<TaskView>>) -> impl IntoView {
    let Mining(mining) = expect_context::<Mining>();
    let stats = move || {
        let t = task.get()?;
        let work = mining.with(|m| m.get(&t.id).copied())?;
        let Progress { hashes, report } = Progress::fold(t.to_host.iter().map(Vec::as_slice));
        let results = report.map(|r| r.results);
        let rate = if t.busy_ms > 0.0 {
            hashes as f64 / t.busy_ms * 1000.0
        } else {
            0.0
        };
        let total = work.end - work.start;
        let found = results.map(|r| {
            let indices: Vec<String> = r
                .iter()
                .filter_map(|w| index_of(&work.seed, w))
                .map(|i| i.to_string())
                .collect();
            (r.len(), indices.join(","))
        });
        Some(view! {
            <dl class="facts inline miner">
                <dt>"Hash rate"</dt><dd data-testid="hash-rate">{format!("{:.1} kH/s", rate / 1000.0)}</dd>
                <dt>"Progress"</dt><dd data-testid="progress">{format!("{hashes} / {total}")}</dd>
            </dl>
            {found.map(|(n, indices)| view! {
                <p>{format!("{n} results: ")}<code data-testid="results">{indices}</code></p>
            })}
        })
    };
    view! { {stats} }
}
