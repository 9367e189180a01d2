//! Raw measurements for the benchmark command (`scripts/bench-cores.sh`). Recorded only when the
//! page is opened with `?bench`, and read by the benchmark through `window.interplayBench()`.

use std::{cell::RefCell, rc::Rc};

use serde::Serialize;
use wasm_bindgen::{JsValue, prelude::Closure};

use super::protocol::{SliceOutcome, SliceReport, TaskId};

#[derive(Debug, Default, Serialize)]
struct Log {
    slices: Vec<Slice>,
    routes: Vec<Route>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Slice {
    core: usize,
    task: TaskId,
    elapsed_ms: f64,
    yield_checks: u64,
    yield_latency_ms: Option<f64>,
    yielded: bool,
    /// When the main thread asked for the slice and got its report (ms since the epoch).
    posted_at: f64,
    ended_at: f64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Route {
    from: TaskId,
    to: TaskId,
    sent_at: f64,
    /// When the main thread got it.
    routed_at: f64,
}

/// Shared with the closure the page calls.
#[derive(Debug, Clone)]
pub struct BenchLog(Rc<RefCell<Log>>);

impl BenchLog {
    /// `Some` when the page URL has `?bench`; installs `window.interplayBench()`, which returns
    /// and clears what was recorded.
    pub fn from_page() -> Option<Self> {
        let search = web_sys::window()?.location().search().ok()?;
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok()?;
        if !params.has("bench") {
            return None;
        }
        let log = Self(Rc::default());
        let shared = log.0.clone();
        let take = Closure::<dyn FnMut() -> JsValue>::new(move || {
            let taken = std::mem::take(&mut *shared.borrow_mut());
            serde_wasm_bindgen::to_value(&taken).unwrap_or(JsValue::NULL)
        });
        let _ = js_sys::Reflect::set(&js_sys::global(), &"interplayBench".into(), take.as_ref());
        // The page keeps the function for its whole life.
        take.forget();
        Some(log)
    }

    pub fn slice(&mut self, core: usize, report: &SliceReport, posted_at: f64) {
        self.0.borrow_mut().slices.push(Slice {
            core,
            task: report.task,
            elapsed_ms: report.elapsed_ms,
            yield_checks: report.yield_checks,
            yield_latency_ms: report.yield_latency_ms,
            yielded: report.outcome == SliceOutcome::Yielded,
            posted_at: posted_at + super::host::time_origin(),
            ended_at: now(),
        });
    }

    pub fn routed(&mut self, from: TaskId, to: TaskId, sent_at: f64) {
        self.0.borrow_mut().routes.push(Route {
            from,
            to,
            sent_at,
            routed_at: now(),
        });
    }
}

fn now() -> f64 {
    super::host::now_ms() + super::host::time_origin()
}
