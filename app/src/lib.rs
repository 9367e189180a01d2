//! Interplay: a playground for parallel computation across browser cores (Coreplay tasks in
//! Web Workers) and chain cores (a devnet Superchain). `main.rs` mounts [`App`]; the
//! `worker` binary runs [`cores::worker`].

pub mod chains;
pub mod charts;
pub mod cores;
pub mod fetch;
pub mod jobs;

use leptos::prelude::*;

use chains::{ChainsPanel, ChainsState};
use cores::{CoresPanel, CoresState, isolation};

#[component]
pub fn App() -> impl IntoView {
    let cores = CoresState::new(
        isolation::cross_origin_isolated(),
        isolation::hardware_concurrency(),
    );
    let chains = ChainsState::new(chains::manifest::manifest_url());
    provide_context(cores);
    provide_context(chains);
    provide_context(chains::wallet::WalletState::new());
    view! {
        <Header/>
        <main class="panels">
            <CoresPanel/>
            <ChainsPanel/>
        </main>
    }
}

#[component]
fn Header() -> impl IntoView {
    view! {
        <header class="top">
            <h1>"Interplay"</h1>
            <p class="tagline">"Parallel computation across browser cores and chain cores."</p>
        </header>
    }
}
