//! The admin server: serves the manifest and the relayer's report to the app (a page on another
//! origin) over HTTP.

use std::{net::SocketAddr, sync::Arc};

use axum::{Json, Router, http::header, response::IntoResponse, routing::get};
use interplay_manifest::{Manifest, RELAYER_REPORT_VERSION, RelayerReport};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::{DevnetError, RelayerStatus};

/// Binds the admin server and serves until `shutdown` flips to true.
pub(crate) async fn serve(
    host: &str,
    port: u16,
    manifest: Arc<Manifest>,
    relayer: Option<watch::Receiver<RelayerStatus>>,
    mut shutdown: watch::Receiver<bool>,
) -> Result<(SocketAddr, JoinHandle<()>), DevnetError> {
    let listener = TcpListener::bind((host, port))
        .await
        .map_err(|source| DevnetError::Bind {
            what: "admin server",
            port,
            source,
        })?;
    let addr = listener.local_addr().map_err(DevnetError::Wait)?;
    let app = Router::new()
        .route(
            "/manifest.json",
            get(move || {
                let manifest = manifest.clone();
                async move { with_cross_origin_headers(Json(manifest.as_ref().clone())) }
            }),
        )
        .route(
            "/relayer",
            get(move || {
                let report = relayer.as_ref().map_or_else(
                    || RelayerReport {
                        version: RELAYER_REPORT_VERSION,
                        ..RelayerReport::default()
                    },
                    |status| status.borrow().report(),
                );
                async move { with_cross_origin_headers(Json(report)) }
            }),
        );
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = shutdown.wait_for(|stop| *stop).await;
        };
        if let Err(err) = axum::serve(listener, app)
            .with_graceful_shutdown(stop)
            .await
        {
            tracing::error!(target: "devnet::admin", %err, "admin server failed");
        }
    });
    Ok((addr, task))
}

/// The app is cross-origin isolated (COEP: require-corp), so it may only read responses that
/// allow it through CORS.
fn with_cross_origin_headers(body: impl IntoResponse) -> impl IntoResponse {
    (
        [
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::HeaderName::from_static("cross-origin-resource-policy"),
                "cross-origin",
            ),
        ],
        body,
    )
}
