//! Receipts of a run's transactions, read once each and shared by the views that price them.

use std::collections::HashMap;

use alloy::{primitives::TxHash, providers::Provider};
use leptos::{prelude::*, task::spawn_local};

use super::group;
use crate::chains::{
    cost::{self, Total, TxCost},
    state::ChainsState,
};

/// Receipts read so far, by transaction: `None` while being read (or unreadable).
#[derive(Clone, Copy)]
pub struct Receipts(RwSignal<HashMap<TxHash, Option<TxCost>>>);

impl Receipts {
    pub fn new() -> Self {
        Self(RwSignal::new(HashMap::new()))
    }
}

impl Receipts {
    /// The cost of `tx` on `chain`, reading its receipt the first time it is asked for.
    pub fn cost(self, chains: ChainsState, chain: u64, tx: TxHash) -> Option<TxCost> {
        if let Some(known) = self.0.with(|m| m.get(&tx).copied()) {
            return known;
        }
        self.0.update_untracked(|m| {
            m.insert(tx, None);
        });
        let clients = chains.clients.get_untracked()?;
        spawn_local(async move {
            let Ok(c) = clients.chain(chain) else { return };
            if let Ok(Some(r)) = c.provider.get_transaction_receipt(tx).await {
                let cost = TxCost {
                    gas_used: r.gas_used,
                    effective_gas_price: r.effective_gas_price,
                };
                self.0.update(|m| {
                    m.insert(tx, Some(cost));
                });
            } else {
                // Asked again on a later render.
                self.0.update_untracked(|m| {
                    m.remove(&tx);
                });
            }
        });
        None
    }

    pub fn total(self, chains: ChainsState, txs: &[(u64, TxHash)]) -> Option<Total> {
        txs.iter()
            .map(|&(chain, tx)| self.cost(chains, chain, tx))
            .collect::<Option<Vec<_>>>()
            .map(|costs| costs.iter().fold(Total::default(), |t, c| t.with(c)))
    }
}

pub fn gas_and_cost(total: Option<Total>) -> String {
    total.map_or("…".into(), |t| {
        format!("{} gas · {}", group(t.gas_used), cost::gwei(t.wei))
    })
}
