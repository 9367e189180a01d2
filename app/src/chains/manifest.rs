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

/// Whether `url` names this machine. A manifest from elsewhere chooses the RPCs the page
/// reads and offers to add to a wallet, and the burner's key: the page says so.
pub fn is_local_url(url: &str) -> bool {
    match url::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Domain(name)) => name == "localhost" || name.ends_with(".localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The hosts among the manifest's URL and its chains' RPCs that are not this machine.
pub fn remote_hosts(manifest_url: &str, manifest: Option<&Manifest>) -> Vec<String> {
    let rpcs = manifest
        .into_iter()
        .flat_map(|m| m.chains.iter().map(|c| c.rpc_url.as_str()));
    let mut hosts: Vec<String> = std::iter::once(manifest_url)
        .chain(rpcs)
        .filter(|u| !is_local_url(u))
        .map(|u| {
            url::Url::parse(u)
                .ok()
                .and_then(|p| p.host_str().map(str::to_owned))
                .unwrap_or_else(|| u.to_owned())
        })
        .collect();
    hosts.dedup();
    hosts
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts_are_local() {
        for local in [
            "http://127.0.0.1:8420/manifest.json",
            "http://127.8.0.1/",
            "http://localhost:9545",
            "http://devnet.localhost/",
            "http://[::1]:9545",
        ] {
            assert!(is_local_url(local), "{local}");
        }
        for remote in [
            "https://example.com/manifest.json",
            "http://10.0.0.2:9545",
            "http://127.0.0.1.example.com/",
            "http://localhost.example.com/",
            "not a url",
            "",
        ] {
            assert!(!is_local_url(remote), "{remote}");
        }
    }

    #[test]
    fn remote_hosts_name_each_host_once() {
        let mut manifest = interplay_manifest::Manifest {
            version: 1,
            chains: interplay_manifest::local_chains(2, "127.0.0.1"),
            block_time: 1,
            accounts: vec![],
            contracts: None,
        };
        assert!(remote_hosts("http://127.0.0.1:8420/manifest.json", Some(&manifest)).is_empty());
        for c in &mut manifest.chains {
            c.rpc_url = "https://rpc.example.org/".into();
        }
        assert_eq!(
            remote_hosts("https://evil.example/m.json", Some(&manifest)),
            vec!["evil.example".to_owned(), "rpc.example.org".to_owned()]
        );
    }
}
