//! A run's timeline, folded from chain events: `run` mined on A → request sent → relayed on each
//! destination → worker ran → report sent → report relayed on A → results stored. Pure: the
//! panel shows what [`RunTimeline::build`] returns for the events seen so far.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, Bytes, TxHash, U256};

use super::events::{ChainEvent, EventKind, Seen};
use crate::charts::{Curve, Kind};

/// A message not relayed within this many of its destination's blocks is flagged stuck...
pub const STUCK_AFTER_BLOCKS: u64 = 5;
/// ...and, when the app saw it sent, this long after: five 200 ms blocks are only a second,
/// which a busy relayer may need.
pub const STUCK_AFTER_MS: f64 = 3_000.0;

/// A run is known by its chain A and its id there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RunKey {
    pub chain_a: u64,
    pub run_id: U256,
}

/// One step that happened: where, when, in which transaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub chain: u64,
    pub block: u64,
    pub tx: TxHash,
    pub timestamp: u64,
    /// When the app saw it, if it saw it happen (see [`Seen::at_ms`]).
    pub at_ms: Option<f64>,
}

impl From<&Seen> for Step {
    fn from(s: &Seen) -> Self {
        Self {
            chain: s.chain,
            block: s.block,
            tx: s.tx,
            timestamp: s.timestamp,
            at_ms: s.at_ms,
        }
    }
}

/// A message of a leg, sent but maybe not relayed yet.
#[derive(Debug, Clone, PartialEq)]
pub struct Hop {
    pub sent: Step,
    pub hash: B256,
    pub destination: u64,
    pub relayed: Option<Step>,
    /// Not relayed after [`STUCK_AFTER_BLOCKS`] of the destination's blocks.
    pub stuck: bool,
}

/// What happened for one chain of a run.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Leg {
    /// `None` for chain A itself: its worker runs in the `run` transaction.
    pub request: Option<Hop>,
    pub worker_ran: Option<(Step, u64)>,
    pub report: Option<Hop>,
    pub stored: Option<(Step, usize)>,
    /// What the chain reported, as stored on A: its seed and `found` (start, 2-byte offsets).
    pub claim: Option<(B256, Bytes)>,
}

impl Leg {
    pub fn done(&self) -> bool {
        self.stored.is_some()
    }

    /// The first hop that is stuck, if any.
    pub fn stuck_hop(&self) -> Option<&Hop> {
        [self.request.as_ref(), self.report.as_ref()]
            .into_iter()
            .flatten()
            .find(|h| h.stuck)
    }
}

/// A job's seed and the part of its range each chain was asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct JobParts {
    pub seed: B256,
    /// `(chain, start, end)` in the order the run asked the chains.
    pub parts: Vec<(u64, u64, u64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunTimeline {
    pub key: RunKey,
    pub requester: Address,
    pub worker: Address,
    pub started: Step,
    pub start: u64,
    pub end: u64,
    pub target: U256,
    /// Set for a job (`runJob`): every chain mines its part of the job's seed.
    pub job: Option<JobParts>,
    /// In the order the run asked them.
    pub legs: Vec<(u64, Leg)>,
}

impl RunTimeline {
    /// Every run started on any chain, newest last.
    pub fn runs(events: &[ChainEvent]) -> Vec<RunKey> {
        events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::RunStarted { run_id, .. } => Some(RunKey {
                    chain_a: e.seen.chain,
                    run_id,
                }),
                _ => None,
            })
            .collect()
    }

    /// The run's timeline from the events seen so far; `heads` are the chains' latest blocks.
    ///
    /// Logs are matched by the transactions they must share, so a stranger's look-alike logs
    /// (anyone may call `Worker.runWork` or send a message) cannot stand in for a step.
    pub fn build(
        key: RunKey,
        events: &[ChainEvent],
        heads: &BTreeMap<u64, u64>,
        interop_pow: Address,
    ) -> Option<Self> {
        Self::build_at(key, events, heads, interop_pow, None)
    }

    /// [`Self::build`] at `now_ms` (the app's clock), which holds back the stuck flag of a
    /// message seen sent less than [`STUCK_AFTER_MS`] ago.
    pub fn build_at(
        key: RunKey,
        events: &[ChainEvent],
        heads: &BTreeMap<u64, u64>,
        interop_pow: Address,
        now_ms: Option<f64>,
    ) -> Option<Self> {
        let (seen, requester, worker, chains, start, end, target) =
            events.iter().find_map(|e| match &e.kind {
                EventKind::RunStarted {
                    run_id,
                    requester,
                    worker,
                    chains,
                    start,
                    end,
                    target,
                } if e.seen.chain == key.chain_a && *run_id == key.run_id => Some((
                    &e.seen,
                    *requester,
                    *worker,
                    chains.clone(),
                    *start,
                    *end,
                    *target,
                )),
                _ => None,
            })?;
        let a = key.chain_a;
        // Only from the run's own transaction: anyone can emit look-alike logs elsewhere.
        let job = events.iter().find_map(|e| match &e.kind {
            EventKind::JobStarted {
                run_id,
                seed,
                starts,
                ends,
            } if e.seen.chain == a
                && e.seen.tx == seen.tx
                && *run_id == key.run_id
                && starts.len() == chains.len()
                && ends.len() == chains.len() =>
            {
                Some(JobParts {
                    seed: *seed,
                    parts: chains
                        .iter()
                        .zip(starts.iter().zip(ends))
                        .map(|(c, (s, e))| (*c, *s, *e))
                        .collect(),
                })
            }
            _ => None,
        });
        let hop = |sent: &ChainEvent| -> Option<Hop> {
            let EventKind::Sent {
                destination,
                message,
                destination_head,
                ..
            } = &sent.kind
            else {
                return None;
            };
            let relayed = events.iter().find_map(|e| match &e.kind {
                EventKind::Relayed { source, hash }
                    if e.seen.chain == *destination
                        && *source == sent.seen.chain
                        && *hash == message.hash =>
                {
                    Some(Step::from(&e.seen))
                }
                _ => None,
            });
            let long_enough = match (now_ms, sent.seen.at_ms) {
                (Some(now), Some(at)) => now - at >= STUCK_AFTER_MS,
                _ => true,
            };
            let stuck = relayed.is_none()
                && long_enough
                && match (destination_head, heads.get(destination)) {
                    (Some(then), Some(now)) => *now >= then + STUCK_AFTER_BLOCKS,
                    _ => false,
                };
            Some(Hop {
                sent: Step::from(&sent.seen),
                hash: message.hash,
                destination: *destination,
                relayed,
                stuck,
            })
        };
        let legs = chains
            .iter()
            .map(|&chain| {
                let request = (chain != a)
                    .then(|| {
                        events.iter().find(|e| {
                            e.seen.chain == a
                                && e.seen.tx == seen.tx
                                && matches!(&e.kind, EventKind::Sent { destination, target, .. } if *destination == chain && *target == worker)
                        })
                    })
                    .flatten()
                    .and_then(hop);
                // The worker runs in the run transaction on A, elsewhere in the request's relay.
                let ran_in = if chain == a {
                    Some(seen.tx)
                } else {
                    request.as_ref().and_then(|h| h.relayed.as_ref()).map(|s| s.tx)
                };
                let mined = ran_in.and_then(|tx| {
                    events.iter().find(|e| {
                        e.seen.chain == chain
                            && e.seen.tx == tx
                            && matches!(e.kind, EventKind::Mined { run_id, origin, .. } if run_id == key.run_id && origin == a)
                    })
                });
                let worker_ran = mined.and_then(|e| match e.kind {
                    EventKind::Mined { results, .. } => Some((Step::from(&e.seen), results)),
                    _ => None,
                });
                // In the same transaction as the worker's run: found whether or not the worker
                // is the devnet's (another emits no `Mined` that we know of).
                let report = (chain != a)
                    .then(|| {
                        ran_in.and_then(|tx| {
                            events.iter().find(|e| {
                                e.seen.chain == chain
                                    && e.seen.tx == tx
                                    && matches!(&e.kind, EventKind::Sent { destination, target, .. } if *destination == a && *target == interop_pow)
                            })
                        })
                    })
                    .flatten()
                    .and_then(hop);
                let reported = events.iter().find_map(|e| match &e.kind {
                    EventKind::Reported {
                        run_id, chain_id, seed, found,
                    } if e.seen.chain == a && *run_id == key.run_id && *chain_id == chain => {
                        Some((Step::from(&e.seen), *seed, found.clone()))
                    }
                    _ => None,
                });
                let stored = reported
                    .as_ref()
                    .map(|(step, _, found)| (step.clone(), found.len().saturating_sub(8) / 2));
                let claim = reported.map(|(_, seed, found)| (seed, found));
                (
                    chain,
                    Leg {
                        request,
                        worker_ran,
                        report,
                        stored,
                        claim,
                    },
                )
            })
            .collect();
        Some(Self {
            key,
            requester,
            worker,
            started: Step::from(seen),
            start,
            end,
            target,
            job,
            legs,
        })
    }

    /// The range `chain` was asked to mine: its part of a job, or the run's range.
    pub fn range_of(&self, chain: u64) -> (u64, u64) {
        self.job
            .as_ref()
            .and_then(|j| j.parts.iter().find(|(c, ..)| *c == chain))
            .map_or((self.start, self.end), |(_, s, e)| (*s, *e))
    }

    pub fn complete(&self) -> bool {
        self.legs.iter().all(|(_, l)| l.done())
    }

    /// From `run` mined to the last result stored, once every chain reported (app clock, ms).
    pub fn total_ms(&self) -> Option<f64> {
        if !self.complete() {
            return None;
        }
        self.legs
            .iter()
            .map(|(_, l)| l.stored.as_ref().and_then(|(s, _)| s.at_ms))
            .collect::<Option<Vec<f64>>>()?
            .into_iter()
            .reduce(f64::max)
            .zip(self.started.at_ms)
            .map(|(last, started)| last - started)
    }

    /// The same span by block timestamps (whole seconds), for runs read after the fact.
    pub fn total_block_secs(&self) -> Option<u64> {
        if !self.complete() {
            return None;
        }
        self.legs
            .iter()
            .filter_map(|(_, l)| l.stored.as_ref().map(|(s, _)| s.timestamp))
            .max()
            .map(|last| last.saturating_sub(self.started.timestamp))
    }

    /// Seconds from the run mined to `step`: by the app's clock when it saw both, else by
    /// block timestamps (whole seconds).
    pub fn since_s(&self, step: &Step) -> f64 {
        match (step.at_ms, self.started.at_ms) {
            (Some(at), Some(t0)) => (at - t0).max(0.0) / 1000.0,
            _ => step.timestamp.saturating_sub(self.started.timestamp) as f64,
        }
    }

    /// Results per chain over time since the run was mined: a chain's line rises when its
    /// results are stored on A. While the run is open, every line reaches `now_ms` (the
    /// chart moves on with each block).
    pub fn results_curves(&self, now_ms: Option<f64>) -> Vec<Curve> {
        let now_s = now_ms
            .zip(self.started.at_ms)
            .map(|(now, t0)| (now - t0).max(0.0) / 1000.0);
        self.legs
            .iter()
            .map(|(chain, leg)| {
                let mut c = Curve::new(format!("chain {chain}"), Kind::Chain);
                c.push(0.0, 0.0);
                if let Some((step, n)) = &leg.stored {
                    c.push(self.since_s(step), *n as f64);
                } else if let Some(now) = now_s {
                    c.push(now, 0.0);
                }
                c
            })
            .collect()
    }

    /// Seconds from the run mined to `chain`'s results stored, once they are.
    pub fn chain_secs(&self, chain: u64) -> Option<f64> {
        let (_, leg) = self.legs.iter().find(|(c, _)| *c == chain)?;
        leg.stored.as_ref().map(|(s, _)| self.since_s(s))
    }

    pub fn results(&self) -> usize {
        self.legs
            .iter()
            .filter_map(|(_, l)| l.stored.as_ref().map(|(_, n)| *n))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Bytes, address};
    use interplay_contracts::interop::SentMessage;

    use super::*;

    const A: u64 = 901;
    const B: u64 = 902;
    const POW: Address = Address::repeat_byte(0x90);
    const WORKER: Address = Address::repeat_byte(0x77);

    fn seen(chain: u64, block: u64, tx: u8, at_ms: f64) -> Seen {
        Seen {
            chain,
            block,
            tx: TxHash::repeat_byte(tx),
            log_index: 0,
            timestamp: at_ms as u64 / 1000,
            at_ms: Some(at_ms),
        }
    }

    fn sent(from: u64, to: u64, hash: u8, destination_head: u64) -> EventKind {
        EventKind::Sent {
            destination: to,
            target: if to == A { POW } else { WORKER },
            message: Box::new(SentMessage {
                source: from,
                destination: U256::from(to),
                origin: Address::ZERO,
                block: 0,
                log_index: 0,
                timestamp: 0,
                payload: Bytes::new(),
                hash: B256::repeat_byte(hash),
            }),
            destination_head: Some(destination_head),
        }
    }

    fn ev(seen: Seen, kind: EventKind) -> ChainEvent {
        ChainEvent { seen, kind }
    }

    fn run_on(chains: Vec<u64>) -> ChainEvent {
        ev(
            seen(A, 10, 1, 1000.0),
            EventKind::RunStarted {
                run_id: U256::from(1),
                requester: address!("0x00000000000000000000000000000000000000aa"),
                worker: WORKER,
                chains,
                start: 0,
                end: 255,
                target: U256::MAX,
            },
        )
    }

    fn key() -> RunKey {
        RunKey {
            chain_a: A,
            run_id: U256::from(1),
        }
    }

    /// Every event of a 2-chain run, in the order the chains make them.
    fn full_run() -> Vec<ChainEvent> {
        let one = U256::from(1);
        let found = |n: usize| Bytes::from(vec![0u8; 8 + 2 * n]);
        vec![
            run_on(vec![A, B]),
            ev(seen(A, 10, 1, 1000.0), sent(A, B, 0x11, 20)),
            ev(
                seen(A, 10, 1, 1000.0),
                EventKind::Mined {
                    run_id: one,
                    origin: A,
                    seed: B256::ZERO,
                    results: 3,
                },
            ),
            ev(
                seen(A, 10, 1, 1000.0),
                EventKind::Reported {
                    run_id: one,
                    chain_id: A,
                    seed: B256::ZERO,
                    found: found(3),
                },
            ),
            ev(
                seen(B, 21, 2, 1500.0),
                EventKind::Relayed {
                    source: A,
                    hash: B256::repeat_byte(0x11),
                },
            ),
            ev(
                seen(B, 21, 2, 1500.0),
                EventKind::Mined {
                    run_id: one,
                    origin: A,
                    seed: B256::ZERO,
                    results: 5,
                },
            ),
            ev(seen(B, 21, 2, 1500.0), sent(B, A, 0x22, 11)),
            ev(
                seen(A, 12, 3, 2400.0),
                EventKind::Relayed {
                    source: B,
                    hash: B256::repeat_byte(0x22),
                },
            ),
            ev(
                seen(A, 12, 3, 2400.0),
                EventKind::Reported {
                    run_id: one,
                    chain_id: B,
                    seed: B256::ZERO,
                    found: found(5),
                },
            ),
        ]
    }

    #[test]
    fn a_full_run_has_every_step_and_its_total() {
        let events = full_run();
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        assert_eq!(t.legs.len(), 2);
        let (a, local) = &t.legs[0];
        assert_eq!(*a, A);
        assert!(
            local.request.is_none() && local.report.is_none(),
            "A runs in the run tx"
        );
        assert_eq!(local.worker_ran.as_ref().map(|w| w.1), Some(3));
        let (b, remote) = &t.legs[1];
        assert_eq!(*b, B);
        let request = remote.request.as_ref().expect("request sent");
        assert_eq!(
            request.relayed.as_ref().map(|s| (s.chain, s.block)),
            Some((B, 21))
        );
        let report = remote.report.as_ref().expect("report sent");
        assert_eq!(report.destination, A);
        assert_eq!(report.relayed.as_ref().map(|s| s.block), Some(12));
        assert_eq!(remote.stored.as_ref().map(|s| s.1), Some(5));
        assert!(t.complete());
        assert_eq!(t.results(), 8);
        assert_eq!(t.total_ms(), Some(1400.0));
    }

    #[test]
    fn each_chain_s_results_line_rises_when_they_are_stored_and_open_lines_reach_now() {
        let events = full_run();
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        let curves = t.results_curves(Some(9_000.0));
        let points: Vec<_> = curves
            .iter()
            .map(|c| (c.name.as_str(), c.points.clone()))
            .collect();
        assert_eq!(
            points,
            [
                ("chain 901", vec![(0.0, 3.0)]),
                ("chain 902", vec![(0.0, 0.0), (1.4, 5.0)]),
            ],
            "chain A's results are stored in the run's own block"
        );
        assert_eq!(t.chain_secs(B), Some(1.4));
        // B's report not yet relayed: its line stays at 0 up to now.
        let t = RunTimeline::build(key(), &events[..6], &heads, POW).expect("run seen");
        let b = &t.results_curves(Some(3_000.0))[1];
        assert_eq!(b.points, [(0.0, 0.0), (2.0, 0.0)]);
        assert_eq!(t.chain_secs(B), None);
    }

    #[test]
    fn a_job_gives_each_chain_its_part_only_from_the_run_s_own_transaction() {
        let job = |tx: u8, starts: Vec<u64>| {
            ev(
                seen(A, 10, tx, 1000.0),
                EventKind::JobStarted {
                    run_id: U256::from(1),
                    seed: B256::repeat_byte(7),
                    starts,
                    ends: vec![300, 100],
                },
            )
        };
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let mut events = full_run();
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        assert_eq!(
            (t.job.clone(), t.range_of(B)),
            (None, (0, 255)),
            "a plain run"
        );
        // A look-alike in another transaction, and one with a part missing, are not the job.
        events.push(job(9, vec![100, 0]));
        events.push(job(1, vec![100]));
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        assert_eq!(t.job, None);
        events.push(job(1, vec![100, 0]));
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        let parts = t.job.as_ref().map(|j| (j.seed, j.parts.clone()));
        assert_eq!(
            parts,
            Some((B256::repeat_byte(7), vec![(A, 100, 300), (B, 0, 100)]))
        );
        assert_eq!((t.range_of(A), t.range_of(B)), ((100, 300), (0, 100)));
    }

    #[test]
    fn a_run_read_after_the_fact_is_timed_by_its_blocks_not_the_app_clock() {
        let mut events = full_run();
        // A reload mid-run: the first steps were read from history, the last as it happened.
        for e in &mut events[..3] {
            e.seen.at_ms = None;
        }
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run");
        assert!(t.complete());
        assert_eq!(t.total_ms(), None);
        assert_eq!(t.total_block_secs(), Some(1));
    }

    #[test]
    fn steps_fill_in_as_events_arrive_in_any_order() {
        let events = full_run();
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        // Only the first half seen: the B leg waits at "report relayed".
        let t = RunTimeline::build(key(), &events[..7], &heads, POW).expect("run seen");
        assert!(!t.complete());
        assert_eq!(t.total_ms(), None);
        let remote = &t.legs[1].1;
        assert!(remote.report.as_ref().is_some_and(|h| h.relayed.is_none()));
        // Reversed order gives the same timeline.
        let mut reversed = events.clone();
        reversed.reverse();
        assert_eq!(
            RunTimeline::build(key(), &reversed, &heads, POW),
            RunTimeline::build(key(), &events, &heads, POW)
        );
    }

    #[test]
    fn on_fast_blocks_a_message_seen_sent_is_stuck_only_after_a_few_seconds_too() {
        let events = full_run()[..4].to_vec();
        let later = BTreeMap::from([(A, 10), (B, 20 + STUCK_AFTER_BLOCKS)]);
        let sent_at = events
            .iter()
            .find_map(|e| matches!(e.kind, EventKind::Sent { .. }).then_some(e.seen.at_ms))
            .flatten()
            .expect("seen live");
        let at =
            |ms: f64| RunTimeline::build_at(key(), &events, &later, POW, Some(ms)).expect("run");
        assert!(
            at(sent_at + 1_000.0).legs[1].1.stuck_hop().is_none(),
            "blocks, but 1 s"
        );
        assert!(at(sent_at + STUCK_AFTER_MS).legs[1].1.stuck_hop().is_some());
    }

    #[test]
    fn a_message_not_relayed_within_a_few_blocks_is_stuck() {
        let events = full_run()[..4].to_vec();
        let fresh = BTreeMap::from([(A, 10), (B, 20 + STUCK_AFTER_BLOCKS - 1)]);
        let t = RunTimeline::build(key(), &events, &fresh, POW).expect("run");
        assert!(t.legs[1].1.stuck_hop().is_none(), "not yet");
        let later = BTreeMap::from([(A, 10), (B, 20 + STUCK_AFTER_BLOCKS)]);
        let t = RunTimeline::build(key(), &events, &later, POW).expect("run");
        let stuck = t.legs[1].1.stuck_hop().expect("stuck");
        assert_eq!(stuck.destination, B);
    }

    #[test]
    fn a_stranger_s_look_alike_logs_do_not_stand_in_for_steps() {
        let one = U256::from(1);
        let mut events = full_run();
        // Before the real ones: Worker.runWork(1, …) called directly on B (another tx), and a
        // message to A sent from that tx to someone else.
        events.insert(
            1,
            ev(
                seen(B, 15, 7, 1200.0),
                EventKind::Mined {
                    run_id: one,
                    origin: A,
                    seed: B256::ZERO,
                    results: 99,
                },
            ),
        );
        let mut fake_report = sent(B, A, 0x66, 11);
        if let EventKind::Sent { target, .. } = &mut fake_report {
            *target = Address::repeat_byte(0x55);
        }
        events.insert(2, ev(seen(B, 21, 2, 1500.0), fake_report));
        let heads = BTreeMap::from([(A, 30), (B, 30)]);
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run");
        let remote = &t.legs[1].1;
        assert_eq!(
            remote.worker_ran.as_ref().map(|w| w.1),
            Some(5),
            "the real Mined, in the relay tx"
        );
        assert_eq!(
            remote.report.as_ref().map(|h| h.hash),
            Some(B256::repeat_byte(0x22))
        );
        assert!(t.complete());
    }

    #[test]
    fn a_worker_that_logs_no_mined_still_has_its_report_followed_and_its_block_known() {
        // Another worker than the devnet's: no `Mined` we decode, but its report leaves in the
        // relay of its request, and that relay is the block its seed must come from.
        let events: Vec<_> = full_run()
            .into_iter()
            .filter(|e| !matches!(e.kind, EventKind::Mined { .. }))
            .collect();
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let t = RunTimeline::build(key(), &events, &heads, POW).expect("run seen");
        let remote = &t.legs[1].1;
        assert!(remote.worker_ran.is_none());
        assert_eq!(
            remote.report.as_ref().map(|h| h.hash),
            Some(B256::repeat_byte(0x22))
        );
        assert!(t.complete());
        assert_eq!(
            remote.claim.as_ref().map(|(_, found)| found.len()),
            Some(8 + 2 * 5)
        );
        assert_eq!(
            crate::chains::verify::ran_in(&t),
            [
                crate::chains::verify::RanIn {
                    chain: A,
                    block: 10
                },
                crate::chains::verify::RanIn {
                    chain: B,
                    block: 21
                }
            ]
        );
    }

    #[test]
    fn a_legs_relays_are_what_it_paid_for() {
        let heads = BTreeMap::from([(A, 12), (B, 21)]);
        let t = RunTimeline::build(key(), &full_run(), &heads, POW).expect("run seen");
        assert_eq!(crate::chains::cost::relays(&t, A), []);
        assert_eq!(
            crate::chains::cost::relays(&t, B),
            [(B, TxHash::repeat_byte(2)), (A, TxHash::repeat_byte(3))]
        );
    }

    #[test]
    fn runs_with_the_same_id_on_other_chains_do_not_mix() {
        let mut events = full_run();
        // A run 1 on chain B, whose worker on A reports elsewhere.
        events.push(ev(
            seen(B, 30, 9, 3000.0),
            EventKind::RunStarted {
                run_id: U256::from(1),
                requester: Address::ZERO,
                worker: Address::ZERO,
                chains: vec![A],
                start: 0,
                end: 255,
                target: U256::MAX,
            },
        ));
        let heads = BTreeMap::from([(A, 12), (B, 30)]);
        assert_eq!(RunTimeline::runs(&events).len(), 2);
        let other = RunTimeline::build(
            RunKey {
                chain_a: B,
                run_id: U256::from(1),
            },
            &events,
            &heads,
            POW,
        )
        .expect("other run");
        assert!(
            other.legs[0].1.worker_ran.is_none(),
            "A's Mined event belongs to the A run"
        );
        assert!(!other.complete());
    }
}
