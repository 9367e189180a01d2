//! Putting a job's parts back together: every part's result indices, checked to lie in that
//! part, merged in index order. The merge is complete once every part has answered.

use std::collections::BTreeMap;

use super::{Miner, Part};

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Merged {
    /// Every result index the parts reported so far, ascending.
    pub indices: Vec<u64>,
    /// Parts still mining.
    pub waiting: Vec<Miner>,
    /// Indices a miner reported outside its part: a dishonest or broken miner.
    pub strays: Vec<(Miner, u64)>,
}

impl Merged {
    pub fn complete(&self) -> bool {
        self.waiting.is_empty() && self.strays.is_empty()
    }
}

/// Merges what each part found (`found[miner]`, result indices) over the plan `parts`.
pub fn merge(parts: &[Part], found: &BTreeMap<Miner, Vec<u64>>) -> Merged {
    let mut out = Merged::default();
    for part in parts {
        let Some(indices) = found.get(&part.miner) else {
            out.waiting.push(part.miner);
            continue;
        };
        for &i in indices {
            if (part.start..part.end).contains(&i) {
                out.indices.push(i);
            } else {
                out.strays.push((part.miner, i));
            }
        }
    }
    out.indices.sort_unstable();
    out.indices.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_merge_in_index_order_and_strays_are_named() {
        let parts = [
            Part {
                miner: Miner::Chain(902),
                start: 0,
                end: 10,
            },
            Part {
                miner: Miner::Core(0),
                start: 10,
                end: 20,
            },
            Part {
                miner: Miner::Chain(901),
                start: 20,
                end: 30,
            },
        ];
        let mut found =
            BTreeMap::from([(Miner::Core(0), vec![12, 19]), (Miner::Chain(902), vec![3])]);
        let m = merge(&parts, &found);
        assert_eq!(m.indices, [3, 12, 19]);
        assert_eq!(m.waiting, [Miner::Chain(901)]);
        assert!(!m.complete());
        found.insert(Miner::Chain(901), vec![21, 5]);
        let m = merge(&parts, &found);
        assert_eq!(m.indices, [3, 12, 19, 21]);
        assert_eq!(m.strays, [(Miner::Chain(901), 5)]);
        assert!(!m.complete(), "a stray result spoils the merge");
        found.insert(Miner::Chain(901), vec![]);
        assert!(merge(&parts, &found).complete());
    }
}
