//! What a run cost: gas used and gas × effective price, from each transaction's receipt. Which
//! transactions a run paid for comes from its timeline: the `run` on A, and per other chain the
//! relay of its request there and the relay of its report on A.

use alloy::primitives::TxHash;

use super::timeline::RunTimeline;

/// One transaction's receipt, as far as cost goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxCost {
    pub gas_used: u64,
    /// Wei per gas actually paid (base fee + tip).
    pub effective_gas_price: u128,
}

impl TxCost {
    pub fn wei(&self) -> u128 {
        u128::from(self.gas_used) * self.effective_gas_price
    }
}

/// The sum of several transactions' costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Total {
    pub gas_used: u64,
    pub wei: u128,
}

impl Total {
    pub fn with(mut self, cost: &TxCost) -> Self {
        self.gas_used += cost.gas_used;
        self.wei += cost.wei();
        self
    }
}

/// The relays a chain's leg needed, as (chain the transaction is on, hash): none for chain A,
/// whose work is in the `run` transaction.
pub fn relays(t: &RunTimeline, chain: u64) -> Vec<(u64, TxHash)> {
    t.legs
        .iter()
        .filter(|(c, _)| *c == chain)
        .flat_map(|(_, leg)| [leg.request.as_ref(), leg.report.as_ref()])
        .flatten()
        .filter_map(|hop| hop.relayed.as_ref().map(|s| (s.chain, s.tx)))
        .collect()
}

/// Wei as gwei, two decimals: devnet prices are fractions of a gwei.
pub fn gwei(wei: u128) -> String {
    let centi = wei / 10_000_000;
    format!(
        "{}.{:02} gwei",
        super::panel::group((centi / 100) as u64),
        centi % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_is_gas_times_the_price_paid() {
        let relay = TxCost {
            gas_used: 126_000,
            effective_gas_price: 250_000_000,
        };
        assert_eq!(relay.wei(), 31_500_000_000_000);
        let total = Total::default().with(&relay).with(&relay);
        assert_eq!(total.gas_used, 252_000);
        assert_eq!(gwei(total.wei), "63,000.00 gwei");
        assert_eq!(gwei(12_345_678), "0.01 gwei");
    }
}
