//! Chain cores: the devnet's chains, the user's wallet, runs and their timelines.
//!
//! - [`manifest`]: where the devnet is and what it runs
//! - [`client`]: one HTTP reader per chain, shared
//! - [`watch`]: `use_chain_watch`, following every chain block by block
//! - [`events`]: our contracts' logs, decoded
//! - [`timeline`]: a run's steps, folded from events (pure)
//! - [`wallet`]: EIP-6963 wallets, the devnet burner, the EIP-1193 transport
//! - [`runs`]: the run form, simulation, sending, recent transactions
//! - [`cost`]: gas and gas × price of a run's transactions, from receipts
//! - [`relay`]: relaying a stuck message by hand
//! - [`verify`]: checking a chain's report against its own block and the browser cores (pure)
//! - [`panel`]: the Chains panel's components

pub mod client;
pub mod cost;
pub mod error;
pub mod events;
pub mod manifest;
pub mod panel;
pub mod relay;
pub mod runs;
pub mod state;
pub mod storage;
pub mod timeline;
pub mod verify;
pub mod wallet;
pub mod watch;

pub use panel::ChainsPanel;
pub use state::ChainsState;
