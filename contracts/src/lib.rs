//! Interplay's contracts as Rust types. The bindings are generated from the committed solc-js
//! artifacts (`contracts/artifacts`), so the Rust side can never drift from what is deployed;
//! `node contracts/build.mjs --check` (run by this crate's tests) keeps the artifacts honest.

alloy::sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    Hello,
    "artifacts/Hello.json"
);
