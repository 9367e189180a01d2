//! Checks one chain's report of a run without trusting any chain: the work is rebuilt from the
//! block the worker ran in (read from that chain), every reported result is hashed here, and
//! the complete set is recomputed by a miner on the browser cores. `InteropPoW` accepts any
//! worker address, so a report is a claim until this says otherwise.

use std::{collections::BTreeMap, fmt};

use alloy::primitives::{B256, U256};
use interplay_pow::{Word, Work, index_of, keccak256, preimage};

use super::timeline::RunTimeline;

/// The block a chain's worker ran in: where its seed comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RanIn {
    pub chain: u64,
    pub block: u64,
}

/// Where each chain's worker ran, as far as the run's messages show: chain A's in the `run`
/// transaction, every other one in the relay of its request (not wherever a `Mined` log claims).
pub fn ran_in(t: &RunTimeline) -> Vec<RanIn> {
    t.legs
        .iter()
        .filter_map(|(chain, leg)| {
            let block = if *chain == t.key.chain_a {
                Some(t.started.block)
            } else {
                leg.request
                    .as_ref()
                    .and_then(|h| h.relayed.as_ref())
                    .map(|s| s.block)
            }?;
            Some(RanIn {
                chain: *chain,
                block,
            })
        })
        .collect()
}

/// The work a chain was asked for, with the seed of the block it ran in.
pub fn expected_work(
    chain: u64,
    timestamp: u64,
    parent_hash: B256,
    start: u64,
    end: u64,
    target: U256,
) -> Work {
    Work {
        seed: interplay_pow::seed(chain, timestamp, &parent_hash.0),
        start,
        end,
        target: target.to_be_bytes(),
    }
}

/// What is wrong with a report. `k` is a result's place in the report (from 0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `found` does not hold an 8-byte start and whole 2-byte offsets.
    Malformed {
        length: usize,
    },
    WrongSeed {
        reported: B256,
        expected: B256,
    },
    /// Result `k` is not the chain's seed plus an index of the run's range.
    NotFromSeed {
        k: usize,
        preimage: B256,
    },
    /// Result `k` is `seed + index`, but its hash is not below the run's target.
    AboveTarget {
        k: usize,
        index: u64,
        hash: B256,
    },
    Duplicate {
        k: usize,
        index: u64,
    },
    /// A result the browser cores found that the report left out.
    Missing {
        index: u64,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed { length } => write!(
                f,
                "the report's {length} bytes are not a start and 2-byte offsets"
            ),
            Self::WrongSeed { reported, expected } => write!(
                f,
                "seed {reported} is not the one asked, {expected} (a job's own seed; for a run, from the chain id, timestamp and parent hash of the block the worker ran in)"
            ),
            Self::NotFromSeed { k, preimage } => write!(
                f,
                "result {k} ({preimage}) is not the chain's seed plus an index of the run's range"
            ),
            Self::AboveTarget { k, index, hash } => write!(
                f,
                "result {k} (index {index}) hashes to {hash}, not below the run's target"
            ),
            Self::Duplicate { k, index } => write!(f, "result {k} repeats index {index}"),
            Self::Missing { index } => write!(
                f,
                "index {index} is a result (browser cores found it) that the report left out"
            ),
        }
    }
}

/// A report's standing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every result checks out and the browser cores found exactly these.
    Verified {
        results: usize,
    },
    /// Every result checks out so far; the browser cores are still recomputing the set.
    Checking,
    Invalid(Vec<Problem>),
}

/// The indices a report claims: the preimages its `found` (start, then 2-byte offsets) expands
/// to, as `InteropPoW.results` returns them, located relative to the expected seed.
fn claimed(reported_seed: &Word, found: &[u8]) -> Option<Vec<Word>> {
    if found.len() < 8 || !found.len().is_multiple_of(2) {
        return None;
    }
    let mut start = [0u8; 8];
    start.copy_from_slice(&found[..8]);
    let start = u64::from_be_bytes(start);
    let base = preimage(reported_seed, start);
    Some(
        found[8..]
            .chunks_exact(2)
            .map(|o| preimage(&base, u64::from(u16::from_be_bytes([o[0], o[1]]))))
            .collect(),
    )
}

/// The indices of `seed`'s search a report claims (results not derived from `seed` left out:
/// [`check`] names those).
pub fn claimed_indices(seed: &Word, reported_seed: &Word, found: &[u8]) -> Option<Vec<u64>> {
    Some(
        claimed(reported_seed, found)?
            .iter()
            .filter_map(|r| index_of(seed, r))
            .collect(),
    )
}

/// Checks a report (`reported_seed`, `found` as `ResultsReported` carries them) against the work
/// the chain was asked for; `recomputed` is every index of that work that is a result, once the
/// browser cores have it.
pub fn check(
    work: &Work,
    reported_seed: &Word,
    found: &[u8],
    recomputed: Option<&[u64]>,
) -> Verdict {
    let Some(results) = claimed(reported_seed, found) else {
        return Verdict::Invalid(vec![Problem::Malformed {
            length: found.len(),
        }]);
    };
    let mut problems = Vec::new();
    if *reported_seed != work.seed {
        problems.push(Problem::WrongSeed {
            reported: B256::from(*reported_seed),
            expected: B256::from(work.seed),
        });
    }
    let mut seen = BTreeMap::new();
    for (k, result) in results.iter().enumerate() {
        let index = index_of(&work.seed, result).filter(|i| (work.start..work.end).contains(i));
        let Some(index) = index else {
            problems.push(Problem::NotFromSeed {
                k,
                preimage: B256::from(*result),
            });
            continue;
        };
        let hash = keccak256(result);
        if hash >= work.target {
            problems.push(Problem::AboveTarget {
                k,
                index,
                hash: B256::from(hash),
            });
        } else if seen.insert(index, k).is_some() {
            problems.push(Problem::Duplicate { k, index });
        }
    }
    if let Some(recomputed) = recomputed {
        problems.extend(
            recomputed
                .iter()
                .filter(|i| !seen.contains_key(i))
                .map(|&index| Problem::Missing { index }),
        );
    }
    match (problems.is_empty(), recomputed) {
        (false, _) => Verdict::Invalid(problems),
        (true, None) => Verdict::Checking,
        (true, Some(_)) => Verdict::Verified {
            results: results.len(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work() -> Work {
        expected_work(
            902,
            1_700_000_000,
            B256::repeat_byte(7),
            0,
            255,
            U256::from_be_bytes(interplay_pow::DEFAULT_TARGET),
        )
    }

    /// `found` as the honest worker packs it: start, then the offsets of `indices`.
    fn pack(start: u64, indices: &[u64]) -> Vec<u8> {
        let mut out = start.to_be_bytes().to_vec();
        for i in indices {
            out.extend_from_slice(&((i - start) as u16).to_be_bytes());
        }
        out
    }

    fn honest(w: &Work) -> Vec<u64> {
        (w.start..w.end)
            .filter(|&i| w.try_index(i).is_some())
            .collect()
    }

    #[test]
    fn the_seed_is_the_contracts() {
        // `interplay-pow`'s seed is checked against the Worker contract in its own tests; here,
        // that the app feeds it the chain id, timestamp and parent hash in that order.
        let w = work();
        assert_eq!(
            w.seed,
            interplay_pow::seed(902, 1_700_000_000, &[7; 32]),
            "chain id, timestamp, parent hash"
        );
        assert_eq!(w.seed[31], 0);
    }

    #[test]
    fn an_honest_report_is_verified_once_the_cores_agree() {
        let w = work();
        let indices = honest(&w);
        assert!(indices.len() > 1, "the fixture has results");
        let found = pack(0, &indices);
        assert_eq!(check(&w, &w.seed, &found, None), Verdict::Checking);
        assert_eq!(
            check(&w, &w.seed, &found, Some(&indices)),
            Verdict::Verified {
                results: indices.len()
            }
        );
    }

    #[test]
    fn a_report_with_a_start_other_than_zero_is_read_from_its_start() {
        let mut w = work();
        w.start = 100;
        let indices = honest(&w);
        let found = pack(100, &indices);
        assert_eq!(
            check(&w, &w.seed, &found, Some(&indices)),
            Verdict::Verified {
                results: indices.len()
            }
        );
    }

    #[test]
    fn a_left_out_result_is_named() {
        let w = work();
        let indices = honest(&w);
        let found = pack(0, &indices[1..]);
        assert_eq!(check(&w, &w.seed, &found, None), Verdict::Checking);
        assert_eq!(
            check(&w, &w.seed, &found, Some(&indices)),
            Verdict::Invalid(vec![Problem::Missing { index: indices[0] }])
        );
    }

    #[test]
    fn a_made_up_result_is_caught_without_the_cores() {
        let w = work();
        let mut indices = honest(&w);
        let fake = (0..255)
            .find(|i| !indices.contains(i))
            .expect("a non-result");
        indices.push(fake);
        let found = pack(0, &indices);
        let Verdict::Invalid(problems) = check(&w, &w.seed, &found, None) else {
            panic!("a fake result passed");
        };
        assert!(matches!(
            problems[..],
            [Problem::AboveTarget { k, index, .. }] if k == indices.len() - 1 && index == fake
        ));
    }

    #[test]
    fn duplicates_and_out_of_range_results_are_caught() {
        let mut w = work();
        w.end = 200;
        let indices = honest(&w);
        let beyond = (200..255)
            .find(|&i| work().try_index(i).is_some())
            .expect("a result past 200");
        let mut claimed = indices.clone();
        claimed.push(indices[0]);
        claimed.push(beyond);
        let Verdict::Invalid(problems) = check(&w, &w.seed, &pack(0, &claimed), Some(&indices))
        else {
            panic!("passed");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(
            problems[0],
            Problem::Duplicate {
                k: indices.len(),
                index: indices[0]
            }
        );
        assert!(matches!(problems[1], Problem::NotFromSeed { k, .. } if k == indices.len() + 1));
    }

    #[test]
    fn another_blocks_seed_is_caught_even_with_results_valid_for_it() {
        let w = work();
        let other = expected_work(902, 1_700_000_001, B256::repeat_byte(7), 0, 255, U256::MAX);
        let mut theirs = w;
        theirs.seed = other.seed;
        let indices = honest(&theirs);
        let Verdict::Invalid(problems) = check(&w, &theirs.seed, &pack(0, &indices), None) else {
            panic!("a foreign seed passed");
        };
        assert!(matches!(problems[0], Problem::WrongSeed { .. }));
        assert!(
            problems.len() > 1,
            "its results are checked against the chain's seed too"
        );
    }

    #[test]
    fn a_malformed_report_says_so() {
        let w = work();
        assert_eq!(
            check(&w, &w.seed, &[0; 9], None),
            Verdict::Invalid(vec![Problem::Malformed { length: 9 }])
        );
        assert!(
            Problem::Missing { index: 17 }
                .to_string()
                .contains("index 17")
        );
    }
}
