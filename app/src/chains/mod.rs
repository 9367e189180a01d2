//! Chain cores: the devnet's chains as the app sees them.
//!
//! - [`manifest`]: where the devnet is and what it runs
//! - [`watch`]: the live block-number poller
//! - [`panel`]: the Chains panel

pub mod manifest;
pub mod panel;
pub mod state;
pub mod watch;

pub use panel::ChainsPanel;
pub use state::ChainsState;
