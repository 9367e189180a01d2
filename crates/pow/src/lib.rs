//! The proof-of-work search that `Worker.compute()` performs on chain, defined once for every
//! other place that must agree with it bit for bit: the contracts' tests, the app's verifier and
//! the Coreplay miner task (which builds this crate for wasm32, hence no dependencies beyond a
//! keccak implementation).
//!
//! The seed's work: `seed` = the first 31 bytes of `keccak256(abi.encodePacked(chainid,
//! timestamp, blockhash(number - 1)))`; for each `i` in `0..255` the preimage is `seed ‖ i` (one
//! byte) and it is a result when `keccak256(preimage) < 2^250 - 1`.
//!
//! Generalized without changing that default: the seed is the 32-byte word `seed ‖ 0x00`, the
//! preimage for index `i` is that word plus `i` (big-endian, wrapping), and the target is any
//! 256-bit bound. For `i < 256` the sum only fills the last byte, so the default work is exactly
//! the seed contract's.

use tiny_keccak::{Hasher, Keccak};

/// A 256-bit big-endian word, as the EVM stores `bytes32` and `uint256`.
pub type Word = [u8; 32];

/// Indices the seed contract tries: `0..255`.
pub const DEFAULT_RANGE: std::ops::Range<u64> = 0..255;

/// The seed contract's bound, `2^250 - 1`: a hash below it is a result (about 1 in 64).
pub const DEFAULT_TARGET: Word = {
    let mut t = [0xff; 32];
    t[0] = 0x03;
    // 2^250 - 1 = 0x03ff…ff, and "< 2^250 - 1" excludes 0x03ff…ff itself, which `<` handles.
    t
};

/// keccak-256.
/// The target `2^(256 - bits) - 1`: a hash is below it when its first `bits` bits are zero
/// (and it is not exactly the target). `bits` = 6 is the seed's [`DEFAULT_TARGET`].
pub fn target_for_bits(bits: u32) -> Word {
    let bits = bits.min(256) as usize;
    let mut target = [0xff; 32];
    target[..bits / 8].fill(0);
    if bits < 256 && !bits.is_multiple_of(8) {
        target[bits / 8] = 0xff >> (bits % 8);
    }
    target
}

/// Parses a 32-byte word from hex (with or without `0x`; shorter input is left-padded).
pub fn parse_word(hex: &str) -> Option<Word> {
    let hex = hex.trim().trim_start_matches("0x");
    if hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let padded = format!("{hex:0>64}");
    let mut word = [0u8; 32];
    for (i, byte) in word.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&padded[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(word)
}

pub fn keccak256(data: &[u8]) -> Word {
    let mut out = [0u8; 32];
    let mut hasher = Keccak::v256();
    hasher.update(data);
    hasher.finalize(&mut out);
    out
}

/// The seed word of a run: the first 31 bytes of
/// `keccak256(abi.encodePacked(uint256 chainid, uint256 timestamp, bytes32 blockhash))`, then 0.
pub fn seed(chain_id: u64, timestamp: u64, parent_hash: &Word) -> Word {
    let mut packed = [0u8; 96];
    packed[24..32].copy_from_slice(&chain_id.to_be_bytes());
    packed[56..64].copy_from_slice(&timestamp.to_be_bytes());
    packed[64..96].copy_from_slice(parent_hash);
    let mut word = keccak256(&packed);
    word[31] = 0;
    word
}

/// `seed + index` as 256-bit big-endian integers, wrapping like Solidity's `unchecked` add.
pub fn preimage(seed: &Word, index: u64) -> Word {
    let mut out = *seed;
    let mut carry = u128::from(index);
    for byte in out.iter_mut().rev() {
        if carry == 0 {
            break;
        }
        let sum = u128::from(*byte) + (carry & 0xff);
        *byte = sum as u8;
        carry = (carry >> 8) + (sum >> 8);
    }
    out
}

/// What to search: a seed, a half-open index range and a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    pub seed: Word,
    pub start: u64,
    pub end: u64,
    pub target: Word,
}

impl Work {
    /// The seed contract's work for this seed.
    pub fn default_for(seed: Word) -> Self {
        Self {
            seed,
            start: DEFAULT_RANGE.start,
            end: DEFAULT_RANGE.end,
            target: DEFAULT_TARGET,
        }
    }

    /// Whether index `i` yields a result; returns its preimage if so.
    pub fn try_index(&self, i: u64) -> Option<Word> {
        let candidate = preimage(&self.seed, i);
        (keccak256(&candidate) < self.target).then_some(candidate)
    }

    /// The same search cut into `parts` contiguous ranges of near-equal size (at least one
    /// part, none empty unless the whole range is), for as many miners.
    pub fn split(&self, parts: u64) -> Vec<Self> {
        let len = self.end - self.start;
        let parts = parts.clamp(1, len.max(1));
        (0..parts)
            .map(|k| Self {
                start: self.start + len / parts * k + k.min(len % parts),
                end: self.start + len / parts * (k + 1) + (k + 1).min(len % parts),
                ..*self
            })
            .collect()
    }

    /// Every result in order of index (the contract's `compute()`).
    pub fn search(&self) -> Vec<Word> {
        (self.start..self.end)
            .filter_map(|i| self.try_index(i))
            .collect()
    }
}

/// Whether `candidate` is a valid result of `work`: it is `seed + i` for an `i` in range, and
/// its hash is below the target. This is what the app checks for every reported result.
pub fn verify(work: &Work, candidate: &Word) -> bool {
    let Some(i) = index_of(&work.seed, candidate) else {
        return false;
    };
    (work.start..work.end).contains(&i) && keccak256(candidate) < work.target
}

/// The `i` with `preimage(seed, i) == candidate`, if it fits in a u64.
pub fn index_of(seed: &Word, candidate: &Word) -> Option<u64> {
    // candidate - seed (mod 2^256), big-endian; must fit in the low 8 bytes.
    let mut diff = [0u8; 32];
    let mut borrow = 0i16;
    for k in (0..32).rev() {
        let d = i16::from(candidate[k]) - i16::from(seed[k]) - borrow;
        borrow = i16::from(d < 0);
        diff[k] = d.rem_euclid(256) as u8;
    }
    if diff[..24].iter().any(|&b| b != 0) {
        return None;
    }
    let mut low = [0u8; 8];
    low.copy_from_slice(&diff[24..]);
    Some(u64::from_be_bytes(low))
}

#[cfg(test)]
mod tests {

    #[test]
    fn targets_from_bits() {
        assert_eq!(crate::target_for_bits(6), crate::DEFAULT_TARGET);
        assert_eq!(crate::target_for_bits(0), [0xff; 32]);
        assert_eq!(crate::target_for_bits(256), [0; 32]);
        let t = crate::target_for_bits(12);
        assert_eq!(&t[..3], &[0, 0x0f, 0xff]);
    }

    #[test]
    fn words_parse_from_hex() {
        let w = crate::parse_word("0x0102").expect("hex");
        assert_eq!(&w[30..], &[1, 2]);
        assert_eq!(crate::parse_word(&"ab".repeat(32)), Some([0xab; 32]));
        assert_eq!(crate::parse_word("xyz"), None);
        assert_eq!(crate::parse_word(&"0".repeat(65)), None);
    }
    use super::*;

    fn hex(s: &str) -> Word {
        let mut w = [0u8; 32];
        for (i, b) in w.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex");
        }
        w
    }

    #[test]
    fn split_parts_cover_the_range_in_order_and_find_the_same_results() {
        let work = Work {
            seed: [3; 32],
            start: 7,
            end: 7 + 10_003,
            target: target_for_bits(6),
        };
        for parts in [1, 2, 3, 4, 7, 10_003, 20_000] {
            let split = work.split(parts);
            assert_eq!(split.len() as u64, parts.min(10_003));
            assert_eq!(split[0].start, work.start);
            assert_eq!(split.last().map(|w| w.end), Some(work.end));
            for pair in split.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
                let sizes = (pair[0].end - pair[0].start, pair[1].end - pair[1].start);
                assert!(sizes.0.abs_diff(sizes.1) <= 1, "{sizes:?}");
            }
            let joined: Vec<Word> = split.iter().flat_map(Work::search).collect();
            assert_eq!(joined, work.search());
        }
        let empty = Work { end: 7, ..work };
        assert_eq!(empty.split(3), vec![empty]);
    }

    #[test]
    fn keccak_matches_the_known_empty_hash() {
        assert_eq!(
            keccak256(b""),
            hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470")
        );
    }

    #[test]
    fn default_target_is_two_to_the_250_minus_one() {
        assert_eq!(DEFAULT_TARGET[0], 0x03);
        assert!(DEFAULT_TARGET[1..].iter().all(|&b| b == 0xff));
    }

    #[test]
    fn below_256_the_preimage_is_seed_then_one_byte() {
        let seed = seed(901, 1_700_000_000, &[7; 32]);
        assert_eq!(seed[31], 0);
        for i in [0u64, 1, 77, 254] {
            let p = preimage(&seed, i);
            assert_eq!(&p[..31], &seed[..31]);
            assert_eq!(p[31], i as u8);
        }
    }

    #[test]
    fn larger_indices_carry_into_the_seed() {
        let mut seed = [0u8; 32];
        seed[30] = 0xff;
        let p = preimage(&seed, 0x1_05);
        assert_eq!((p[29], p[30], p[31]), (1, 0, 5));
        let max = preimage(&[0xff; 32], 1);
        assert_eq!(max, [0u8; 32], "wraps like unchecked uint256 addition");
    }

    #[test]
    fn search_keeps_exactly_the_hashes_below_target_and_verify_agrees() {
        let seed = seed(902, 42, &[1; 32]);
        let work = Work::default_for(seed);
        let results = work.search();
        let expected = (0..255u64)
            .filter(|&i| keccak256(&preimage(&seed, i)) < DEFAULT_TARGET)
            .count();
        assert_eq!(results.len(), expected);
        assert!(!results.is_empty(), "about 4 of 255 pass at this target");
        for r in &results {
            assert!(verify(&work, r));
        }
        let miss = (0..255u64)
            .find(|&i| work.try_index(i).is_none())
            .expect("most indices miss");
        assert!(!verify(&work, &preimage(&seed, miss)), "hash above target");
        assert!(
            !verify(&work, &preimage(&seed, 300)),
            "index past the range"
        );
        let outside = Work { end: 0, ..work };
        assert!(!verify(&outside, &results[0]), "index outside the range");
    }

    #[test]
    fn index_of_inverts_preimage() {
        let seed = seed(901, 5, &[9; 32]);
        for i in [0u64, 255, 256, 65_537, u64::MAX] {
            assert_eq!(index_of(&seed, &preimage(&seed, i)), Some(i));
        }
        let mut far = seed;
        far[0] ^= 1;
        assert_eq!(index_of(&seed, &far), None);
    }
}

/// Messages of the Coreplay miner task.
#[cfg(feature = "codec")]
pub mod messages {
    use parity_scale_codec::{Decode, DecodeAll, Encode};

    use super::{Word, Work};

    /// Hashes between yield checks: small enough to yield within ~0.1 ms, large enough that the
    /// check costs well under 1 % of the hashing.
    pub const CHECK_EVERY: u64 = 128;

    /// Ask the miner to search `work`; it answers the sender with [`MinerUpdate`]s.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct MineRequest {
        pub seed: Word,
        pub start: u64,
        pub end: u64,
        pub target: Word,
        /// Hashes between yield checks ([`CHECK_EVERY`] by default); 0 never checks, which only
        /// the benchmark's baseline should use: a miner that never checks gets preempted.
        pub check_every: u64,
    }

    /// What the miner sends back: progress at each slice's end, then the report.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub enum MinerUpdate {
        /// Hashes done so far for the current request.
        Progress {
            hashes: u64,
        },
        Report(MineReport),
    }

    /// The miner's answer: every result of the request, in index order.
    #[derive(Debug, Clone, PartialEq, Eq, Encode, Decode)]
    pub struct MineReport {
        pub results: Vec<Word>,
        pub hashes: u64,
    }

    /// What a miner's messages to the host say so far: hashes done and, once sent, the report.
    /// Messages that are not a [`MinerUpdate`] are skipped.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct Progress {
        pub hashes: u64,
        pub report: Option<MineReport>,
    }

    impl Progress {
        pub fn fold<'a>(bodies: impl IntoIterator<Item = &'a [u8]>) -> Self {
            let mut out = Self::default();
            for body in bodies {
                match MinerUpdate::decode_all(&mut &body[..]) {
                    Ok(MinerUpdate::Progress { hashes }) => out.hashes = hashes,
                    Ok(MinerUpdate::Report(report)) => {
                        out.hashes = report.hashes;
                        out.report = Some(report);
                    }
                    Err(_) => {}
                }
            }
            out
        }
    }

    impl From<Work> for MineRequest {
        fn from(w: Work) -> Self {
            Self {
                seed: w.seed,
                start: w.start,
                end: w.end,
                target: w.target,
                check_every: CHECK_EVERY,
            }
        }
    }

    impl From<MineRequest> for Work {
        fn from(r: MineRequest) -> Self {
            Self {
                seed: r.seed,
                start: r.start,
                end: r.end,
                target: r.target,
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn progress_folds_updates_to_the_last_count_and_the_report() {
            let report = MineReport {
                results: vec![[1; 32]],
                hashes: 90,
            };
            let bodies = [
                MinerUpdate::Progress { hashes: 40 }.encode(),
                b"not an update".to_vec(),
                MinerUpdate::Progress { hashes: 80 }.encode(),
            ];
            let p = Progress::fold(bodies.iter().map(Vec::as_slice));
            assert_eq!((p.hashes, p.report), (80, None));
            let mut bodies = bodies.to_vec();
            bodies.push(MinerUpdate::Report(report.clone()).encode());
            let p = Progress::fold(bodies.iter().map(Vec::as_slice));
            assert_eq!((p.hashes, p.report), (90, Some(report)));
        }
    }
}
