//! Who did what, when: each part's indices searched and results found over the job's time,
//! as chart lines on one axis for browser cores and chains alike.

use std::collections::BTreeMap;

use super::{Miner, Part};
use crate::charts::{Curve, Kind};

/// What is known of one part over time (seconds since the job began).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Track {
    /// Indices searched so far, as readings: a browser miner tells after every slice; a
    /// chain's part is searched in the one transaction its worker ran in.
    pub searched: Vec<(f64, u64)>,
    /// When its results came and how many.
    pub results: Option<(f64, usize)>,
}

impl Track {
    /// Keeps a reading of indices searched; one that says nothing new is dropped.
    pub fn searched(&mut self, at_s: f64, hashes: u64) {
        if self.searched.last().is_none_or(|&(_, h)| h != hashes) {
            self.searched.push((at_s, hashes));
        }
    }
}

/// The lines of a job: indices searched and results found, one line per part. A part still
/// going has its lines carried on to `now_s`.
pub fn curves(
    parts: &[Part],
    tracks: &BTreeMap<Miner, Track>,
    now_s: Option<f64>,
) -> (Vec<Curve>, Vec<Curve>) {
    let empty = Track::default();
    parts
        .iter()
        .map(|part| {
            let kind = match part.miner {
                Miner::Core(_) => Kind::Core,
                Miner::Chain(_) => Kind::Chain,
            };
            let t = tracks.get(&part.miner).unwrap_or(&empty);
            let name = part.miner.to_string();
            let mut searched = Curve::new(name.clone(), kind);
            let mut results = Curve::new(name, kind);
            searched.push(0.0, 0.0);
            results.push(0.0, 0.0);
            for &(at, hashes) in &t.searched {
                searched.push(at, hashes.min(part.len()) as f64);
            }
            match t.results {
                Some((at, n)) => {
                    searched.push(at, part.len() as f64);
                    results.push(at, n as f64);
                }
                None => {
                    if let Some(now) = now_s {
                        let done = searched.last().unwrap_or(0.0);
                        searched.push(now, done);
                        results.push(now, 0.0);
                    }
                }
            }
            (searched, results)
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_part_gets_a_line_of_each_kind_that_ends_when_its_results_come() {
        let parts = [
            Part {
                miner: Miner::Core(0),
                start: 0,
                end: 100,
            },
            Part {
                miner: Miner::Chain(901),
                start: 100,
                end: 150,
            },
        ];
        let mut core = Track::default();
        core.searched(0.1, 40);
        core.searched(0.15, 40);
        core.searched(0.2, 90);
        core.results = Some((0.3, 4));
        let chain = Track {
            searched: vec![(0.8, 50)],
            results: None,
        };
        let tracks = BTreeMap::from([(Miner::Core(0), core), (Miner::Chain(901), chain)]);
        let (searched, results) = curves(&parts, &tracks, Some(1.0));
        assert_eq!(
            searched[0].points,
            [(0.0, 0.0), (0.1, 40.0), (0.2, 90.0), (0.3, 100.0)],
            "a reading with nothing new is not kept; done means all of the part"
        );
        assert_eq!(results[0].points, [(0.0, 0.0), (0.3, 4.0)]);
        assert_eq!(
            (searched[1].kind, searched[1].name.as_str()),
            (Kind::Chain, "chain 901")
        );
        assert_eq!(searched[1].points, [(0.0, 0.0), (0.8, 50.0), (1.0, 50.0)]);
        assert_eq!(
            results[1].points,
            [(0.0, 0.0), (1.0, 0.0)],
            "still waiting: on to now"
        );
    }
}
