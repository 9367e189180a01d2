//! What the relayer keeps between runs: per chain, the next block to scan; the messages seen and
//! not relayed yet; those parked (no relay can succeed as things stand) and those dead-lettered
//! (they kept reverting). Saved whole, atomically, after every scan and every relay round.

use std::{collections::BTreeMap, path::Path, time::Instant};

use alloy::primitives::B256;
use interplay_contracts::interop::SentMessage;
use interplay_manifest::RelayMessage;
use serde::{Deserialize, Serialize};

use super::RelayerError;

pub(super) const STATE_VERSION: u32 = 2;

/// Where scanning of one chain stands.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Cursor {
    /// Every block below this one was read.
    pub next_block: u64,
    /// The hash of block `next_block - 1` when it was read, to notice a chain that was reset.
    pub last_hash: Option<B256>,
    /// The block read last (and its hash) before a rescan from block 0 that another chain's
    /// reset asked for: still checked until the rescan passes it, so a reset of this chain too
    /// is noticed.
    #[serde(default)]
    pub checkpoint: Option<(u64, B256)>,
}

/// Where a message's log is: unique per message on chains that are not reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MessageKey {
    pub source: u64,
    pub block: u64,
    pub log_index: u64,
}

impl MessageKey {
    pub fn of(message: &SentMessage) -> Self {
        Self {
            source: message.source,
            block: message.block,
            log_index: message.log_index,
        }
    }
}

/// A message seen and not relayed yet.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Pending {
    pub message: SentMessage,
    pub destination: u64,
    /// Every attempt that failed, for the backoff.
    pub attempts: u32,
    /// Failed attempts that held the message's fault (a revert, a refused transaction), not the
    /// chain's: past the limit the message is dead-lettered.
    #[serde(default)]
    pub faults: u32,
    #[serde(default)]
    pub last_error: Option<String>,
    /// Not persisted: after a restart every pending message is due at once.
    #[serde(skip, default = "Instant::now")]
    pub next_try: Instant,
    /// The last attempt failed because the destination was unreachable: retry as soon as it
    /// answers again rather than after the backoff.
    #[serde(skip)]
    pub waiting_for_chain: bool,
}

impl Pending {
    pub fn new(message: SentMessage, destination: u64) -> Self {
        Self {
            message,
            destination,
            attempts: 0,
            faults: 0,
            last_error: None,
            next_try: Instant::now(),
            waiting_for_chain: false,
        }
    }

    pub fn key(&self) -> MessageKey {
        MessageKey::of(&self.message)
    }

    pub fn report(&self) -> RelayMessage {
        report(&self.message, self.attempts, None, self.last_error.clone())
    }
}

/// Why a message is no longer tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ParkKind {
    /// No relay of it can succeed: it needs more gas than a block holds, or its destination id
    /// is beyond 64 bits.
    Unrelayable,
    /// Its destination is a chain this relayer has no connection to; tried again when a later
    /// run knows it.
    UnknownChain,
    /// It failed the most times allowed (dead letter).
    RetriesExhausted,
}

impl ParkKind {
    fn name(self) -> &'static str {
        match self {
            Self::Unrelayable => "unrelayable",
            Self::UnknownChain => "unknown_chain",
            Self::RetriesExhausted => "retries_exhausted",
        }
    }
}

/// A message set aside, with the reason.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Parked {
    pub message: SentMessage,
    pub attempts: u32,
    pub kind: ParkKind,
    pub reason: String,
}

impl Parked {
    pub fn key(&self) -> MessageKey {
        MessageKey::of(&self.message)
    }

    pub fn report(&self) -> RelayMessage {
        report(
            &self.message,
            self.attempts,
            Some(self.kind.name().to_owned()),
            Some(self.reason.clone()),
        )
    }
}

fn report(
    message: &SentMessage,
    attempts: u32,
    kind: Option<String>,
    reason: Option<String>,
) -> RelayMessage {
    RelayMessage {
        source: message.source,
        destination: message.destination.to_string(),
        hash: message.hash.to_string(),
        block: message.block,
        log_index: message.log_index,
        attempts,
        kind,
        reason,
    }
}

/// The state file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(super) struct State {
    pub version: u32,
    pub cursors: BTreeMap<u64, Cursor>,
    pub pending: Vec<Pending>,
    #[serde(default)]
    pub parked: Vec<Parked>,
    /// Dead letters.
    #[serde(default)]
    pub dead: Vec<Parked>,
    /// Relayed (or found relayed) in a block the destination's scan has not covered yet: a
    /// reset of the destination there would go unnoticed, so each is checked once it has.
    #[serde(default)]
    pub relayed: Vec<Pending>,
}

impl State {
    pub fn load(path: &Path) -> Self {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::info!(target: "relayer", state = %path.display(), "no saved state; scanning every chain from block 0");
                return Self::default();
            }
            Err(e) => return Self::unreadable(path, &e.to_string()),
        };
        match serde_json::from_slice::<Self>(&bytes) {
            Ok(state) if state.version == STATE_VERSION => state,
            Ok(state) => Self::unreadable(path, &format!("version {}", state.version)),
            Err(e) => Self::unreadable(path, &e.to_string()),
        }
    }

    fn unreadable(path: &Path, reason: &str) -> Self {
        tracing::warn!(target: "relayer", state = %path.display(), reason, "saved state unreadable; rescanning every chain from block 0 (messages already relayed are skipped)");
        Self::default()
    }

    /// Written to a temporary file and renamed, so a kill mid-write leaves the old state; the
    /// directory is synced too, or a power cut could lose the rename.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension("tmp");
        {
            let mut file = std::fs::File::create(&tmp)?;
            std::io::Write::write_all(&mut file, &serde_json::to_vec_pretty(self)?)?;
            file.sync_all()?;
        }
        std::fs::rename(tmp, path)?;
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()
    }
}

/// Exclusive use of a state file for as long as it lives: two relayers on one state file would
/// each overwrite what the other saved. An `flock` on `<state>.lock`, which the kernel releases
/// when the process dies, however it dies.
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
}

impl StateLock {
    pub fn acquire(state: &Path) -> Result<Self, RelayerError> {
        use std::os::fd::AsRawFd;
        let mut lock = state.as_os_str().to_owned();
        lock.push(".lock");
        let lock = std::path::PathBuf::from(lock);
        let err = |source| RelayerError::Lock {
            state: state.to_owned(),
            lock: lock.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock)
            .map_err(err)?;
        // SAFETY: flock on a descriptor this function owns; no memory is involved.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let e = std::io::Error::last_os_error();
            return Err(if e.kind() == std::io::ErrorKind::WouldBlock {
                RelayerError::StateInUse {
                    state: state.to_owned(),
                    lock,
                }
            } else {
                err(e)
            });
        }
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Bytes, U256};
    use interplay_contracts::deploy::L2_TO_L2_MESSENGER;

    use super::*;

    fn message() -> SentMessage {
        SentMessage {
            source: 901,
            destination: U256::from(902),
            origin: L2_TO_L2_MESSENGER,
            block: 7,
            log_index: 2,
            timestamp: 1_700_000_000,
            payload: Bytes::from_static(b"payload"),
            hash: B256::repeat_byte(9),
        }
    }

    #[test]
    fn the_state_file_round_trips_with_its_pending_parked_and_dead_messages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let mut pending = Pending::new(message(), 902);
        pending.attempts = 3;
        pending.waiting_for_chain = true;
        let parked = Parked {
            message: message(),
            attempts: 1,
            kind: ParkKind::Unrelayable,
            reason: "too big".into(),
        };
        let state = State {
            version: STATE_VERSION,
            cursors: [(
                901,
                Cursor {
                    next_block: 8,
                    last_hash: Some(B256::repeat_byte(1)),
                    checkpoint: Some((30, B256::repeat_byte(2))),
                },
            )]
            .into(),
            pending: vec![pending],
            parked: vec![parked.clone()],
            dead: vec![Parked {
                kind: ParkKind::RetriesExhausted,
                ..parked
            }],
            relayed: vec![Pending::new(message(), 902)],
        };
        state.save(&path).expect("save");
        let back = State::load(&path);
        assert_eq!(back.cursors, state.cursors);
        assert_eq!(back.pending.len(), 1);
        assert_eq!(back.pending[0].message, message());
        assert_eq!(
            (back.pending[0].destination, back.pending[0].attempts),
            (902, 3)
        );
        // Not persisted: after a restart the message is due at once.
        assert!(!back.pending[0].waiting_for_chain);
        assert_eq!(back.parked[0].kind, ParkKind::Unrelayable);
        assert_eq!(
            back.dead[0].report().kind.as_deref(),
            Some("retries_exhausted")
        );
        assert_eq!(back.relayed[0].message, message());
    }

    #[test]
    fn a_state_file_takes_one_relayer_at_a_time() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        let first = StateLock::acquire(&path).expect("first");
        let second = StateLock::acquire(&path).expect_err("second");
        assert!(
            matches!(second, RelayerError::StateInUse { .. }),
            "{second}"
        );
        assert!(second.to_string().contains("another relayer"), "{second}");
        drop(first);
        StateLock::acquire(&path).expect("free again once the first is gone");
    }

    #[test]
    fn an_unreadable_or_older_state_starts_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(&path, r#"{"901": 12}"#).expect("write");
        assert!(State::load(&path).cursors.is_empty());
        std::fs::write(&path, r#"{"version": 1, "cursors": {}, "pending": []}"#).expect("write");
        assert_eq!(State::load(&path).version, 0);
    }
}
