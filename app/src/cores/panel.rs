//! The Cores panel: how the browser cores run, and the counter task proving the pipeline.

use std::{cell::Cell, rc::Rc};

use leptos::{prelude::*, task::spawn_local};

use super::{
    runtime::{CoreWorker, RuntimeError, SharedFlags, fetch_bytes},
    state::{CoresState, TaskStatus, TaskView},
};

/// Largest core count the selector offers beyond the hardware's.
const MAX_CORES: usize = 64;

#[component]
pub fn CoresPanel() -> impl IntoView {
    let state = expect_context::<CoresState>();
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
                <dd data-testid="slice-ms">{move || format!("{} ms", state.slice_ms.get())}</dd>
            </dl>
            <CounterCard/>
        </section>
    }
}

#[component]
fn CoreCount() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let cores = state.cores;
    view! {
        <span class="stepper">
            <button aria-label="fewer cores" on:click=move |_| cores.update(|c| *c = c.saturating_sub(1).max(1))>"−"</button>
            <output data-testid="core-count">{move || cores.get()}</output>
            <button aria-label="more cores" on:click=move |_| cores.update(|c| *c = (*c + 1).min(MAX_CORES))>"+"</button>
            <span class="muted">{format!(" of {} hardware threads", state.hardware)}</span>
        </span>
    }
}

#[component]
fn CounterCard() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let view = state.counter;
    let stop = StoredValue::new_local(None::<Rc<Cell<bool>>>);
    on_cleanup(move || {
        if let Some(flag) = stop.try_get_value().flatten() {
            flag.set(true);
        }
    });
    let running = move || matches!(view.get().status, TaskStatus::Loading | TaskStatus::Running);
    let toggle = move |_| {
        if running() {
            if let Some(flag) = stop.get_value() {
                flag.set(true);
            }
            return;
        }
        let flag = Rc::new(Cell::new(false));
        stop.set_value(Some(flag.clone()));
        view.set(TaskView {
            status: TaskStatus::Loading,
            ..TaskView::new("counter", 0)
        });
        spawn_local(async move {
            let result = run_counter(state, flag).await;
            view.update(|v| match result {
                Ok(()) if v.status == TaskStatus::Running => v.status = TaskStatus::Stopped,
                Ok(()) => {}
                Err(err) => v.fail(err.to_string()),
            });
        });
    };
    view! {
        <article class="task" data-testid="counter-task">
            <header>
                <h3>"counter"</h3>
                <span class="status" data-testid="counter-status">{move || view.get().status.label()}</span>
                <button on:click=toggle>{move || if running() { "Stop counter" } else { "Start counter" }}</button>
            </header>
            <p class="muted">"Counts forever, asking should_yield() on every step; each slice ends when the yield flag rises."</p>
            <dl class="facts">
                <dt>"Slices"</dt>
                <dd data-testid="counter-slices">{move || view.get().slices}</dd>
                <dt>"Mean slice"</dt>
                <dd data-testid="counter-mean-slice">
                    {move || view.get().mean_slice_ms().map_or("–".into(), |ms| format!("{ms:.1} ms"))}
                </dd>
                <dt>"Yield checks"</dt>
                <dd>{move || view.get().yield_checks}</dd>
            </dl>
            <Timeline/>
            {move || view.get().error.map(|e| view! { <p class="error" role="alert">{e}</p> })}
            <pre class="console" data-testid="counter-console">{move || view.get().console.join("\n")}</pre>
        </article>
    }
}

/// Bars for the recent slices, height relative to twice the slice length.
#[component]
fn Timeline() -> impl IntoView {
    let state = expect_context::<CoresState>();
    let bars = move || {
        let full = f64::from(state.slice_ms.get()) * 2.0;
        state
            .counter
            .get()
            .timeline
            .into_iter()
            .map(|ms| {
                let pct = (ms / full * 100.0).clamp(2.0, 100.0);
                view! { <span class="bar" style=format!("height:{pct:.0}%") title=format!("{ms:.1} ms")></span> }
            })
            .collect_view()
    };
    view! { <div class="timeline" aria-label="recent slices">{bars}</div> }
}

/// Loads the counter task onto core 0 and runs it slice by slice until stopped.
async fn run_counter(state: CoresState, stop: Rc<Cell<bool>>) -> Result<(), RuntimeError> {
    let flags = SharedFlags::new(state.cores.get_untracked() as u32);
    let mut core = CoreWorker::spawn(0, flags.as_ref()).await?;
    let module = fetch_bytes("tasks/counter.wasm").await?;
    core.load(1, "counter", module).await?;
    state.counter.update(|v| v.status = TaskStatus::Running);
    let slice_ms = state.slice_ms.get_untracked();
    core.run_slices(flags.as_ref(), 1, slice_ms, stop, |report| {
        state.counter.update(|v| v.record(report))
    })
    .await?;
    Ok(())
}
