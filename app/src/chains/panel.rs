//! The Chains panel: each devnet chain's id and live block number.

use leptos::prelude::*;

use super::state::ChainsState;

#[component]
pub fn ChainsPanel() -> impl IntoView {
    let state = expect_context::<ChainsState>();
    let problem = move || match state.manifest.get() {
        Some(Err(err)) => Some(
            view! { <p class="error" role="alert" data-testid="devnet-error">{err.to_string()}</p> },
        ),
        _ => None,
    };
    let connecting = move || state.manifest.with(Option::is_none);
    view! {
        <section class="panel" aria-labelledby="chains-title">
            <h2 id="chains-title">"Chain cores"</h2>
            <p class="muted">"Devnet manifest: " <code>{move || state.manifest_url.get()}</code></p>
            <Show when=connecting>
                <p class="muted">"Connecting to the devnet…"</p>
            </Show>
            {problem}
            <table class="chains">
                <thead>
                    <tr><th>"Chain"</th><th>"Id"</th><th>"Block"</th><th>"RPC"</th></tr>
                </thead>
                <tbody>
                    <For each=move || state.chains.get() key=|c| c.chain_id let:chain>
                        <ChainRow chain_id=chain.chain_id/>
                    </For>
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn ChainRow(chain_id: u64) -> impl IntoView {
    let state = expect_context::<ChainsState>();
    let chain = move || {
        state
            .chains
            .with(|all| all.iter().find(|c| c.chain_id == chain_id).cloned())
    };
    let field = move |f: fn(&super::state::ChainView) -> String| {
        move || chain().map(|c| f(&c)).unwrap_or_default()
    };
    view! {
        <tr data-testid=format!("chain-{chain_id}")>
            <td>{field(|c| c.name.clone())}</td>
            <td data-testid="chain-id">{chain_id}</td>
            <td data-testid="block-number">{field(|c| c.block.map_or("…".into(), |b| b.to_string()))}</td>
            <td>
                <code>{field(|c| c.rpc_url.clone())}</code>
                {move || chain().and_then(|c| c.error).map(|e| view! { <span class="error" role="alert">{e.to_string()}</span> })}
            </td>
        </tr>
    }
}
