//! Each devnet chain: id, live head, RPC, health and the account's balance there.

use leptos::prelude::*;

use super::format_eth;
use crate::chains::state::{ChainView, ChainsState};

#[component]
pub fn ChainTable() -> impl IntoView {
    let state = expect_context::<ChainsState>();
    view! {
        <table class="chains">
            <thead>
                <tr><th>"Chain"</th><th>"Id"</th><th>"Block"</th><th title="the latest block's base fee">"Base fee"</th><th>"Balance"</th><th>"RPC"</th></tr>
            </thead>
            <tbody>
                <For each=move || state.chains.get() key=|c| c.chain_id let:chain>
                    <ChainRow chain_id=chain.chain_id/>
                </For>
            </tbody>
        </table>
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
    let field =
        move |f: fn(&ChainView) -> String| move || chain().map(|c| f(&c)).unwrap_or_default();
    view! {
        <tr data-testid=format!("chain-{chain_id}")>
            <td>{field(|c| c.name.clone())}</td>
            <td data-testid="chain-id">{chain_id}</td>
            <td data-testid="block-number">{field(|c| c.block.map_or("…".into(), |b| b.to_string()))}</td>
            <td data-testid="base-fee">{field(|c| c.base_fee.map_or("…".into(), super::format_gwei))}</td>
            <td data-testid="balance">{field(|c| c.balance.map_or("—".into(), format_eth))}</td>
            <td>
                <code>{field(|c| c.rpc_url.clone())}</code>
                {move || chain().and_then(|c| c.error).map(|e| view! { <span class="error" role="alert" data-testid="chain-error">{e.to_string()}</span> })}
            </td>
        </tr>
    }
}
