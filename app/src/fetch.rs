//! `fetch` for the app's own files and the devnet manifest: one place that turns the browser's
//! promises and HTTP statuses into readable reasons.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::cores::host::js_error_message;

/// Fetches `url` and returns the response if its status is 2xx.
pub async fn fetch_ok(url: &str) -> Result<web_sys::Response, String> {
    let window = web_sys::window().ok_or("no window")?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .map_err(|e| js_error_message(&e))?
        .unchecked_into();
    if !response.ok() {
        return Err(format!("HTTP {}", response.status()));
    }
    Ok(response)
}

/// Awaits a body reader such as `Response::json()` or `Response::array_buffer()`.
pub async fn read_body(body: Result<js_sys::Promise, JsValue>) -> Result<JsValue, String> {
    JsFuture::from(body.map_err(|e| js_error_message(&e))?)
        .await
        .map_err(|e| js_error_message(&e))
}
