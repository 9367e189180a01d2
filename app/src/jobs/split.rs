//! Splitting a job's range among its miners: by measured speed, by cost, or evenly.
//!
//! A miner is a rate and a latency: a browser core starts at once and mines at its measured
//! hash rate; a chain mines its whole part in one transaction, so its part costs the same time
//! for any size up to a run's bound (the contracts' `MAX_RANGE`), the latency from the click to
//! its results. Splitting by speed finds the earliest time every index can be done by and asks
//! each miner for what it can do by then: a chain whose latency is longer than the job takes
//! on the others is left out, since any part it took would only make the job wait.

use super::{Job, Miner, Part};

/// One miner and what the plan knows of it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Capacity {
    pub miner: Miner,
    /// Indices per second once started, as measured (`f64::INFINITY`: any part at once).
    pub per_s: f64,
    /// Seconds before its first result whatever its part: a chain's click-to-results time.
    pub latency_s: f64,
    /// Most indices it may take (a chain's run bound); `None` for no bound.
    pub cap: Option<u64>,
    /// Wei per part, about (a chain's relays at its base fee); 0 for a browser core.
    pub cost: u128,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// The earliest finish: each miner's share from its speed and its latency.
    #[default]
    BySpeed,
    /// The least gas: browser cores are free, so chains only when there are none, cheapest
    /// first, as few as hold the job.
    ByCost,
    /// The same share for every miner (within their caps); each takes part.
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

/// Why a miner that was offered has no part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeftOut {
    /// Its latency is longer than the job takes without it.
    TooSlowToStart,
    /// Free or cheaper miners hold the job.
    NotNeeded,
}

impl std::fmt::Display for LeftOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::TooSlowToStart => "its results would come after the others have finished the job",
            Self::NotNeeded => "cheaper miners hold the job (browser cores pay no gas)",
        })
    }
}

/// A split: the parts, tiling the job's range in the order of the miners offered, and who
/// was left out and why.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub parts: Vec<Part>,
    pub left_out: Vec<(Miner, LeftOut)>,
}

/// Splits `job` over `miners` by `strategy`: no gap or overlap, none over its cap.
pub fn split(job: &Job, miners: &[Capacity], strategy: Strategy) -> Result<Plan, SplitError> {
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
    let (sizes, why) = match strategy {
        Strategy::Even => (even(len, miners), LeftOut::NotNeeded),
        Strategy::BySpeed => (by_speed(len, miners), LeftOut::TooSlowToStart),
        Strategy::ByCost => (by_cost(len, miners), LeftOut::NotNeeded),
    };
    let mut plan = Plan::default();
    let mut at = job.start;
    for (m, size) in miners.iter().zip(sizes) {
        if size == 0 {
            plan.left_out.push((m.miner, why));
            continue;
        }
        plan.parts.push(Part {
            miner: m.miner,
            start: at,
            end: at + size,
        });
        at += size;
    }
    Ok(plan)
}

fn cap(m: &Capacity) -> u64 {
    m.cap.unwrap_or(u64::MAX)
}

/// What `m` can do by `t` seconds.
fn can_do(m: &Capacity, t: f64) -> f64 {
    if t <= m.latency_s || m.per_s.is_nan() || m.per_s <= 0.0 {
        return 0.0;
    }
    ((t - m.latency_s) * m.per_s).min(cap(m) as f64)
}

/// The earliest time by which the miners can do `len` between them, and what each does by then.
fn by_speed(len: u64, miners: &[Capacity]) -> Vec<u64> {
    let total = |t: f64| miners.iter().map(|m| can_do(m, t)).sum::<f64>();
    let mut hi = miners
        .iter()
        .map(|m| m.latency_s)
        .fold(1.0_f64, f64::max)
        .max(1.0);
    while total(hi) < len as f64 && hi < 1e12 {
        hi *= 2.0;
    }
    let mut lo = 0.0;
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if total(mid) >= len as f64 {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    let mut sizes: Vec<u64> = miners
        .iter()
        .map(|m| can_do(m, hi).floor() as u64)
        .collect();
    // Shares are floored: what is over or under goes to or comes from those that started
    // first and mine fastest.
    let mut order: Vec<usize> = (0..miners.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&miners[a], &miners[b]);
        a.latency_s
            .total_cmp(&b.latency_s)
            .then(b.per_s.total_cmp(&a.per_s))
    });
    settle(len, &mut sizes, miners, &order);
    sizes
}

/// Everyone takes part, with the same share where caps allow.
fn even(len: u64, miners: &[Capacity]) -> Vec<u64> {
    let mut sizes = vec![0u64; miners.len()];
    let mut free: Vec<usize> = (0..miners.len()).collect();
    let mut left = len;
    // A miner whose share is over its cap is held at it and the rest shared again.
    loop {
        let share = left / free.len().max(1) as u64;
        let (capped, rest): (Vec<usize>, Vec<usize>) =
            free.iter().partition(|&&k| cap(&miners[k]) <= share);
        if capped.is_empty() {
            for &k in &free {
                sizes[k] = share;
            }
            break;
        }
        for &k in &capped {
            sizes[k] = cap(&miners[k]);
            left -= sizes[k];
        }
        free = rest;
        if free.is_empty() {
            break;
        }
    }
    let order: Vec<usize> = (0..miners.len()).collect();
    settle(len, &mut sizes, miners, &order);
    // Each miner asked takes part: an empty share borrows one index from the largest part.
    for k in 0..miners.len() {
        if sizes[k] == 0 {
            let largest = (0..miners.len()).max_by_key(|&j| sizes[j]).unwrap_or(k);
            if sizes[largest] > 1 {
                sizes[largest] -= 1;
                sizes[k] = 1;
            }
        }
    }
    sizes
}

/// Free miners (browser cores) share the job evenly; with none, the cheapest chains take it,
/// each up to its cap, as few as hold it.
fn by_cost(len: u64, miners: &[Capacity]) -> Vec<u64> {
    let free: Vec<usize> = (0..miners.len())
        .filter(|&k| miners[k].cost == 0 && miners[k].cap.is_none())
        .collect();
    let mut sizes = vec![0u64; miners.len()];
    if !free.is_empty() {
        let chosen: Vec<Capacity> = free.iter().map(|&k| miners[k]).collect();
        for (&k, size) in free.iter().zip(even(len, &chosen)) {
            sizes[k] = size;
        }
        return sizes;
    }
    let mut order: Vec<usize> = (0..miners.len()).collect();
    order.sort_by_key(|&k| miners[k].cost);
    let mut left = len;
    for k in order {
        let take = left.min(cap(&miners[k]));
        sizes[k] = take;
        left -= take;
    }
    sizes
}

/// Brings `sizes` to a sum of exactly `len`, adding to or taking from miners in `order`,
/// within their caps.
fn settle(len: u64, sizes: &mut [u64], miners: &[Capacity], order: &[usize]) {
    let mut sum: u64 = sizes.iter().sum();
    for &k in order.iter().rev() {
        let take = sizes[k].min(sum.saturating_sub(len));
        sizes[k] -= take;
        sum -= take;
    }
    while sum < len {
        let before = sum;
        for &k in order {
            if sum < len && sizes[k] < cap(&miners[k]) {
                // Only miners already in, or a first one: a latency-bound miner left out stays out.
                if sizes[k] > 0 || sizes.iter().all(|s| *s == 0) {
                    let add = ((len - sum) / order.len().max(1) as u64)
                        .max(1)
                        .min(cap(&miners[k]) - sizes[k]);
                    sizes[k] += add;
                    sum += add;
                }
            }
        }
        if sum == before {
            // Those in are full: let anyone with room in.
            for &k in order {
                if sum < len && sizes[k] < cap(&miners[k]) {
                    let add = (len - sum).min(cap(&miners[k]) - sizes[k]);
                    sizes[k] += add;
                    sum += add;
                }
            }
            if sum == before {
                break;
            }
        }
    }
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
            latency_s: 0.0,
            cap: None,
            cost: 0,
        }
    }

    fn chain(id: u64, per_s: f64) -> Capacity {
        Capacity {
            miner: Miner::Chain(id),
            per_s,
            latency_s: 0.0,
            cap: Some(1024),
            cost: 1,
        }
    }

    /// A chain as the app sees one: its whole part at once, after `latency_s`, for `cost` wei.
    fn slow_chain(id: u64, latency_s: f64, cost: u128) -> Capacity {
        Capacity {
            latency_s,
            cost,
            ..chain(id, f64::INFINITY)
        }
    }

    fn lens(plan: &Plan) -> Vec<u64> {
        plan.parts.iter().map(Part::len).collect()
    }

    fn tiles(job: &Job, plan: &Plan) {
        let parts = &plan.parts;
        assert_eq!(parts.first().map(|p| p.start), Some(job.start));
        assert_eq!(parts.last().map(|p| p.end), Some(job.end));
        for w in parts.windows(2) {
            assert_eq!(w[0].end, w[1].start, "no gap, no overlap: {parts:?}");
        }
    }

    #[test]
    fn by_speed_gives_faster_miners_proportionally_more() {
        let j = job(100, 1100);
        let plan = split(&j, &[core(0, 300.0), core(1, 100.0)], Strategy::BySpeed).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [750, 250]);
    }

    #[test]
    fn a_chain_is_held_at_its_cap_and_the_cores_take_the_rest() {
        let j = job(0, 10_000);
        let miners = [chain(901, 1e9), core(0, 1.0), core(1, 1.0)];
        let plan = split(&j, &miners, Strategy::BySpeed).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [1024, 4488, 4488]);
    }

    #[test]
    fn even_shares_equally_and_every_miner_gets_an_index() {
        let j = job(0, 10);
        let plan = split(
            &j,
            &[core(0, 1.0), chain(901, 5.0), chain(902, 0.0)],
            Strategy::Even,
        )
        .expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [4, 3, 3]);
        let j = job(0, 2);
        let plan = split(
            &j,
            &[core(0, 1.0), core(1, 1.0), chain(901, 1.0)],
            Strategy::Even,
        );
        assert_eq!(
            plan.map(|p| lens(&p)),
            Ok(vec![1, 1]),
            "two indices, three miners"
        );
    }

    #[test]
    fn by_speed_leaves_out_a_chain_that_would_only_make_the_job_wait() {
        let cores = [core(0, 1.6e6), core(1, 1.6e6)];
        let chains = [slow_chain(901, 0.6, 1), slow_chain(902, 0.9, 1)];
        let miners = [cores.as_slice(), chains.as_slice()].concat();
        // 2,048 indices take the cores about a millisecond: a chain's 0.6 s is all waiting.
        let j = job(0, 2048);
        let plan = split(&j, &miners, Strategy::BySpeed).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [1024, 1024]);
        assert_eq!(
            plan.left_out,
            [
                (Miner::Chain(901), LeftOut::TooSlowToStart),
                (Miner::Chain(902), LeftOut::TooSlowToStart)
            ]
        );
        // 4,000,000 take them 1.25 s: each chain's whole part comes in before that.
        let j = job(0, 4_000_000);
        let plan = split(&j, &miners, Strategy::BySpeed).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [1_998_976, 1_998_976, 1024, 1024]);
        assert!(plan.left_out.is_empty());
        // Chains alone: all of them, whatever their latency.
        let j = job(0, 1500);
        let plan = split(&j, &chains, Strategy::BySpeed).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan).iter().sum::<u64>(), 1500);
    }

    #[test]
    fn by_cost_uses_free_cores_and_otherwise_the_fewest_cheapest_chains() {
        let chains = [
            slow_chain(901, 0.5, 3),
            slow_chain(902, 0.5, 1),
            slow_chain(903, 0.5, 2),
        ];
        let j = job(0, 1500);
        let plan = split(&j, &chains, Strategy::ByCost).expect("split");
        tiles(&j, &plan);
        let parts: Vec<_> = plan.parts.iter().map(|p| (p.miner, p.len())).collect();
        assert_eq!(parts, [(Miner::Chain(902), 1024), (Miner::Chain(903), 476)]);
        assert_eq!(plan.left_out, [(Miner::Chain(901), LeftOut::NotNeeded)]);
        let miners = [chains.as_slice(), &[core(0, 1.0), core(1, 9.0)]].concat();
        let plan = split(&j, &miners, Strategy::ByCost).expect("split");
        tiles(&j, &plan);
        assert_eq!(lens(&plan), [750, 750], "browser cores pay no gas");
        assert_eq!(plan.left_out.len(), 3);
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
        let plan = split(
            &job(0, 2048),
            &[chain(901, 1.0), chain(902, 3.0)],
            Strategy::BySpeed,
        )
        .expect("exactly full");
        assert_eq!(lens(&plan), [1024, 1024]);
        assert_eq!(
            split(&job(0, 1), &[], Strategy::Even),
            Err(SplitError::NoMiners)
        );
    }
}
