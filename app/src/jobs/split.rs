//! Splitting a job's range among its miners, by measured speed or evenly. A chain mines at most
//! a run's range (the contracts' `MAX_RANGE`) and takes about the same
//! time for any part up to that, so its speed is that bound over its measured latency.

use super::{Job, Miner, Part};

/// One miner and what the plan knows of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub miner: Miner,
    /// Indices per second, as measured.
    pub per_s: f64,
    /// Most indices it may take (a chain's run bound); `None` for no bound.
    pub cap: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Parts in proportion to each miner's speed, so all finish about together.
    #[default]
    BySpeed,
    /// The same share for every miner (within their caps).
    Even,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("pick at least one browser core or chain for the job")]
    NoMiners,
    #[error(
        "the job's {len} indices are more than its chains may take ({room}); add browser cores or shorten the range"
    )]
    TooLarge { len: u64, room: u64 },
}

/// Parts in the order of `miners`, tiling `job`'s range with no gap or overlap. Every miner gets
/// at least one index when there are enough; none more than its cap.
pub fn split(job: &Job, miners: &[Capacity], strategy: Strategy) -> Result<Vec<Part>, SplitError> {
    if miners.is_empty() {
        return Err(SplitError::NoMiners);
    }
    let len = job.len();
    if miners.iter().all(|m| m.cap.is_some()) {
        let room = miners.iter().filter_map(|m| m.cap).sum::<u64>();
        if room < len {
            return Err(SplitError::TooLarge { len, room });
        }
    }
    let weight = |m: &Capacity| match strategy {
        Strategy::BySpeed if m.per_s.is_finite() && m.per_s > 0.0 => m.per_s,
        Strategy::BySpeed => f64::MIN_POSITIVE,
        Strategy::Even => 1.0,
    };
    // Shares by weight; a miner over its cap is held at it and the rest shared again.
    let cap = |m: &Capacity| m.cap.unwrap_or(u64::MAX);
    let mut sizes = vec![0u64; miners.len()];
    let mut fixed = vec![false; miners.len()];
    loop {
        let left = len
            - sizes
                .iter()
                .zip(&fixed)
                .filter(|(_, f)| **f)
                .map(|(s, _)| s)
                .sum::<u64>();
        let total: f64 = miners
            .iter()
            .zip(&fixed)
            .filter(|(_, f)| !**f)
            .map(|(m, _)| weight(m))
            .sum();
        let mut capped = false;
        let free: Vec<usize> = (0..miners.len()).filter(|k| !fixed[*k]).collect();
        for k in free {
            let m = &miners[k];
            let share = left as f64 * weight(m) / total;
            if share >= cap(m) as f64 {
                sizes[k] = cap(m);
                fixed[k] = true;
                capped = true;
            } else {
                sizes[k] = share.floor() as u64;
            }
        }
        if !capped {
            break;
        }
    }
    // What flooring left over goes to the free miners with room, fastest first.
    let mut order: Vec<usize> = (0..miners.len()).collect();
    order.sort_by(|&a, &b| weight(&miners[b]).total_cmp(&weight(&miners[a])));
    let mut rest = len - sizes.iter().sum::<u64>();
    while rest > 0 {
        let before = rest;
        for &k in &order {
            if rest > 0 && sizes[k] < cap(&miners[k]) {
                sizes[k] += 1;
                rest -= 1;
            }
        }
        if rest == before {
            break;
        }
    }
    // Everyone asked takes part: an empty share borrows one index from the largest part.
    for k in 0..miners.len() {
        if sizes[k] == 0 {
            let largest = (0..miners.len()).max_by_key(|&j| sizes[j]).unwrap_or(k);
            if sizes[largest] > 1 {
                sizes[largest] -= 1;
                sizes[k] = 1;
            }
        }
    }
    let mut at = job.start;
    Ok(miners
        .iter()
        .zip(sizes)
        .map(|(m, size)| {
            let part = Part {
                miner: m.miner,
                start: at,
                end: at + size,
            };
            at += size;
            part
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(start: u64, end: u64) -> Job {
        Job {
            seed: [3; 32],
            start,
            end,
            bits: 8,
        }
    }

    fn core(k: u32, per_s: f64) -> Capacity {
        Capacity {
            miner: Miner::Core(k),
            per_s,
            cap: None,
        }
    }

    fn chain(id: u64, per_s: f64) -> Capacity {
        Capacity {
            miner: Miner::Chain(id),
            per_s,
            cap: Some(1024),
        }
    }

    fn tiles(job: &Job, parts: &[Part]) {
        assert_eq!(parts.first().map(|p| p.start), Some(job.start));
        assert_eq!(parts.last().map(|p| p.end), Some(job.end));
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start, "no gap, no overlap: {parts:?}");
        }
    }

    #[test]
    fn by_speed_gives_faster_miners_proportionally_more() {
        let j = job(100, 1100);
        let parts = split(&j, &[core(0, 300.0), core(1, 100.0)], Strategy::BySpeed).expect("split");
        tiles(&j, &parts);
        assert_eq!(parts.iter().map(Part::len).collect::<Vec<_>>(), [750, 250]);
    }

    #[test]
    fn a_chain_is_held_at_its_cap_and_the_cores_take_the_rest() {
        let j = job(0, 10_000);
        let miners = [chain(901, 1e9), core(0, 1.0), core(1, 1.0)];
        let parts = split(&j, &miners, Strategy::BySpeed).expect("split");
        tiles(&j, &parts);
        assert_eq!(
            parts.iter().map(Part::len).collect::<Vec<_>>(),
            [1024, 4488, 4488]
        );
    }

    #[test]
    fn even_shares_equally_and_every_miner_gets_an_index() {
        let j = job(0, 10);
        let parts = split(
            &j,
            &[core(0, 1.0), chain(901, 5.0), chain(902, 0.0)],
            Strategy::Even,
        )
        .expect("split");
        tiles(&j, &parts);
        assert_eq!(parts.iter().map(Part::len).collect::<Vec<_>>(), [4, 3, 3]);
        // A miner whose share rounds to nothing still takes part.
        let parts = split(&j, &[core(0, 1e6), chain(901, 1.0)], Strategy::BySpeed).expect("split");
        tiles(&j, &parts);
        assert_eq!(parts.iter().map(Part::len).collect::<Vec<_>>(), [9, 1]);
    }

    #[test]
    fn chains_alone_cannot_take_more_than_their_caps() {
        let err = split(
            &job(0, 3000),
            &[chain(901, 1.0), chain(902, 1.0)],
            Strategy::BySpeed,
        );
        assert_eq!(
            err,
            Err(SplitError::TooLarge {
                len: 3000,
                room: 2048
            })
        );
        let parts = split(
            &job(0, 2048),
            &[chain(901, 1.0), chain(902, 3.0)],
            Strategy::BySpeed,
        )
        .expect("exactly full");
        assert_eq!(
            parts.iter().map(Part::len).collect::<Vec<_>>(),
            [1024, 1024]
        );
        assert_eq!(
            split(&job(0, 1), &[], Strategy::Even),
            Err(SplitError::NoMiners)
        );
    }
}
