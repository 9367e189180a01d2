//! Finding and reading the devnet manifest.

use interplay_manifest::{DEFAULT_ADMIN_PORT, Manifest};
use wasm_bindgen::JsCast;

use super::state::ChainError;

/// The manifest URL: `?manifest=<url>` on the page, else the local devnet's admin server.
pub fn manifest_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().search().ok())
        .and_then(|search| web_sys::UrlSearchParams::new_with_str(&search).ok())
        .and_then(|params| params.get("manifest"))
        .unwrap_or_else(|| default_manifest_url(DEFAULT_ADMIN_PORT))
}

pub fn default_manifest_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}/manifest.json")
}

/// Fetches and parses the manifest.
pub async fn fetch_manifest(url: &str) -> Result<Manifest, ChainError> {
    let unreachable = |reason: String| ChainError::DevnetUnreachable {
        url: url.into(),
        reason,
    };
    let window = web_sys::window().ok_or_else(|| unreachable("no window".into()))?;
    let response: web_sys::Response =
        wasm_bindgen_futures::JsFuture::from(window.fetch_with_str(url))
            .await
            .map_err(|e| unreachable(crate::cores::host::js_error_message(&e)))?
            .unchecked_into();
    if !response.ok() {
        return Err(unreachable(format!("HTTP {}", response.status())));
    }
    let json = response
        .json()
        .map_err(|e| unreachable(crate::cores::host::js_error_message(&e)))?;
    let json = wasm_bindgen_futures::JsFuture::from(json)
        .await
        .map_err(|e| ChainError::BadManifest(crate::cores::host::js_error_message(&e)))?;
    let manifest: Manifest =
        serde_wasm_bindgen::from_value(json).map_err(|e| ChainError::BadManifest(e.to_string()))?;
    if manifest.version != interplay_manifest::MANIFEST_VERSION {
        return Err(ChainError::BadManifest(format!(
            "version {} (this app reads version {})",
            manifest.version,
            interplay_manifest::MANIFEST_VERSION
        )));
    }
    Ok(manifest)
}
