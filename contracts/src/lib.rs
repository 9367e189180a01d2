//! Interplay's contracts as Rust types, and how they get onto a chain. The bindings are
//! generated from the committed solc-js artifacts (`contracts/artifacts`), so the Rust side can
//! never drift from what is deployed; `node contracts/build.mjs --check` (run by this crate's
//! tests) keeps the artifacts honest.

pub mod client;
pub mod deploy;
pub mod interop;

pub use client::{send_mined, start_run, with_gas_margin};

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
