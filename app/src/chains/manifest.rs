//! Finding and reading the devnet manifest.

use interplay_manifest::{DEFAULT_ADMIN_PORT, Manifest};

use super::error::ChainError;

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
    let response =
        crate::fetch::fetch_ok(url)
            .await
            .map_err(|reason| ChainError::DevnetUnreachable {
                url: url.into(),
                reason,
            })?;
    let json = crate::fetch::read_body(response.json())
        .await
        .map_err(ChainError::BadManifest)?;
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
