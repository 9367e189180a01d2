//! The task library: the modules the site serves under `tasks/` (built by
//! `worker-tasks/build.sh`), what each one does, and what the host sends it to start.

use parity_scale_codec::Encode;
use wasm_bindgen::JsCast;

use coreplay_abi::HOST_TASK;

/// A line about what a library task does, for the picker.
pub fn about(name: &str) -> &'static str {
    match name {
        "counter" => "counts forever, checking the yield flag at every step",
        "miner" => "mines the Worker contract's proof of work for each request it gets",
        "ping" => "plays ping/pong with the task it is told about",
        "pong" => "echoes every message back to its sender",
        "calc" => "serves synchronous calls from tasks on its core (sums)",
        "calc-client" => "calls the calc task it is told about, synchronously",
        "bad-spin" => "misbehaves: never checks the yield flag",
        "bad-trap" => "misbehaves: traps after a few slices",
        "bad-memory" => "misbehaves: allocates memory without bound",
        "bad-flood" => "misbehaves: floods the host with messages",
        "bad-pointer" => "misbehaves: hands the host a pointer outside its memory",
        "bad-oversize" => "misbehaves: sends a message over the size limit",
        "bad-serve" => "misbehaves: serves calls with a handler that never returns",
        "bad-imports" => "misbehaves: imports a function the ABI does not have",
        "bad-malformed" => "misbehaves: is not a valid WebAssembly module",
        _ => "",
    }
}

/// Messages the host sends a library task as it starts, so it has something to do.
pub fn greeting(name: &str) -> Vec<Vec<u8>> {
    match name {
        // Its victim is the host: the flood must fail it, not the page.
        "bad-flood" => vec![HOST_TASK.encode()],
        _ => vec![],
    }
}

/// The names in `tasks/index.json`.
pub async fn index() -> Result<Vec<String>, String> {
    let response = crate::fetch::fetch_ok("tasks/index.json")
        .await
        .map_err(|e| format!("tasks/index.json: {e}"))?;
    let json = crate::fetch::read_body(response.json()).await?;
    let tasks = js_sys::Reflect::get(&json, &"tasks".into())
        .ok()
        .and_then(|v| v.dyn_into::<js_sys::Array>().ok())
        .ok_or("tasks/index.json has no `tasks` list")?;
    Ok(tasks.iter().filter_map(|v| v.as_string()).collect())
}

/// The module `tasks/<name>.wasm`.
pub async fn module(name: &str) -> Result<Vec<u8>, String> {
    let url = format!("tasks/{name}.wasm");
    let response = crate::fetch::fetch_ok(&url)
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let buffer = crate::fetch::read_body(response.array_buffer())
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
