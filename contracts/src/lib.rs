//! Interplay's contracts as Rust types, and how they get onto a chain. The bindings are
//! generated from the committed solc-js artifacts (`contracts/artifacts`), so the Rust side can
//! never drift from what is deployed; `node contracts/build.mjs --check` (run by this crate's
//! tests) keeps the artifacts honest.

pub mod deploy;

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    InteropPoW,
    "artifacts/InteropPoW.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Worker,
    "artifacts/Worker.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    L2ToL2CrossDomainMessenger,
    "artifacts/L2ToL2CrossDomainMessenger.json"
);

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    CrossL2Inbox,
    "artifacts/CrossL2Inbox.json"
);

/// Gas for calls whose cost depends on the block they land in: a run's seed comes from the
/// block, and more results cost more storage than the estimate (made against another block)
/// saw. Half again as much covers the worst case of the seed's work.
pub async fn with_gas_margin<P, D, N>(
    call: alloy::contract::CallBuilder<P, D, N>,
) -> Result<alloy::contract::CallBuilder<P, D, N>, alloy::contract::Error>
where
    P: alloy::providers::Provider<N>,
    D: alloy::contract::CallDecoder,
    N: alloy::network::Network,
{
    let estimate = call.estimate_gas().await?;
    Ok(call.gas(estimate + estimate / 2))
}
