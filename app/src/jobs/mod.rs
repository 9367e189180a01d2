//! One job over both kinds of cores: a seed, an index range and a difficulty, split into parts
//! for browser-core miners and chains ([`split`]), and the parts' results put back together
//! ([`merge`]). Pure: the run form plans with it and the job view shows what it returns.

pub mod merge;
pub mod split;
pub mod track;

use interplay_pow::{Word, Work, target_for_bits};

/// A search shared by every kind of core: chains mine it from this seed, not their block's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Job {
    pub seed: Word,
    pub start: u64,
    pub end: u64,
    pub bits: u32,
}

impl Job {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The whole search, as the native `pow-search` runs it.
    pub fn work(&self) -> Work {
        Work {
            seed: self.seed,
            start: self.start,
            end: self.end,
            target: target_for_bits(self.bits),
        }
    }

    /// One part's search.
    pub fn part(&self, start: u64, end: u64) -> Work {
        Work {
            start,
            end,
            ..self.work()
        }
    }
}

/// Who mines a part: the `k`-th browser-core miner of the job, or a chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Miner {
    Core(u32),
    Chain(u64),
}

impl std::fmt::Display for Miner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Core(k) => write!(f, "browser core {}", k + 1),
            Self::Chain(id) => write!(f, "chain {id}"),
        }
    }
}

/// A contiguous piece of a job's range and who mines it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub miner: Miner,
    pub start: u64,
    pub end: u64,
}

impl Part {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
