//! The yield flags in shared memory. Per core, three `Int32Array` words: `slice` holds the
//! current slice's generation shifted left once, with bit 0 the flag the task reads; `finished`
//! holds the generation of the last slice that returned; `serving` holds the task whose call
//! handler runs right now (0 = none), so an overrun inside a call is blamed on the callee. A
//! `Float64Array` notes when each flag rose. Generations make stale timers harmless: the clock
//! raises the flag with a compare-and-swap on the exact slice word it was armed for.

use js_sys::{Atomics, Float64Array, Int32Array, SharedArrayBuffer};

/// Cores the buffers have room for (the core count can change while tasks run).
pub const MAX_CORES: u32 = 64;

/// `Int32Array` words per core.
const WORDS: u32 = 3;

/// Generations wrap within the 31 bits the slice word has for them.
pub const GENERATION_MASK: u32 = 0x3fff_ffff;

#[derive(Debug, Clone)]
pub struct Flags {
    pub words_buffer: SharedArrayBuffer,
    pub stamps_buffer: SharedArrayBuffer,
    words: Int32Array,
    stamps: Float64Array,
}

impl Flags {
    /// `None` when the page is not cross-origin isolated (no `SharedArrayBuffer`).
    pub fn new() -> Option<Self> {
        if !super::isolation::cross_origin_isolated() {
            return None;
        }
        Self::from_buffers(
            Some(SharedArrayBuffer::new(MAX_CORES * WORDS * 4)),
            Some(SharedArrayBuffer::new(MAX_CORES * 8)),
        )
    }

    pub fn from_buffers(
        words: Option<SharedArrayBuffer>,
        stamps: Option<SharedArrayBuffer>,
    ) -> Option<Self> {
        let (words_buffer, stamps_buffer) = (words?, stamps?);
        Some(Self {
            words: Int32Array::new(&words_buffer),
            stamps: Float64Array::new(&stamps_buffer),
            words_buffer,
            stamps_buffer,
        })
    }

    /// Main thread, before a slice: a new generation with the flag down.
    pub fn start(&self, core: u32, generation: u32) {
        let _ = Atomics::store(&self.words, core * WORDS, (generation << 1) as i32);
    }

    /// Clock (or main thread): raise the flag if slice `generation` is still the current one,
    /// then note when (`now` gives ms since the epoch). The stamp follows the store, so the
    /// latency measured from it is the task's alone; a core that returns before the stamp is
    /// written sees an older one and falls back to when it saw the flag itself.
    pub fn raise(&self, core: u32, generation: u32, now: impl Fn() -> f64) {
        let down = (generation << 1) as i32;
        if Atomics::compare_exchange(&self.words, core * WORDS, down, down | 1) == Ok(down) {
            self.stamps.set_index(core, now());
        }
    }

    /// Core: is the flag up? (A failed load means the flags are unusable; yielding is safe.)
    pub fn raised(&self, core: u32) -> bool {
        Atomics::load(&self.words, core * WORDS).map_or(true, |w| w & 1 == 1)
    }

    /// When the flag rose, in ms since the epoch, if it has.
    pub fn raised_at(&self, core: u32) -> Option<f64> {
        self.raised(core).then(|| self.stamps.get_index(core))
    }

    /// Core: slice `generation` returned.
    pub fn finished(&self, core: u32, generation: u32) {
        let _ = Atomics::store(&self.words, core * WORDS + 1, generation as i32);
    }

    /// Core: task `task`'s call handler starts (or, with 0, no handler runs); returns the
    /// task that was serving before, to put back when this call returns.
    pub fn serve(&self, core: u32, task: u32) -> u32 {
        Atomics::exchange(&self.words, core * WORDS + 2, task as i32).map_or(0, |w| w as u32)
    }

    /// Main thread: the task whose call handler is running on `core`, if any.
    pub fn serving(&self, core: u32) -> Option<u32> {
        Atomics::load(&self.words, core * WORDS + 2)
            .ok()
            .map(|w| w as u32)
            .filter(|t| *t != 0)
    }

    /// Clock: is slice `generation` still running on `core`?
    pub fn running(&self, core: u32, generation: u32) -> bool {
        let current = Atomics::load(&self.words, core * WORDS).map(|w| (w as u32) >> 1);
        let done = Atomics::load(&self.words, core * WORDS + 1).map(|w| w as u32);
        current == Ok(generation) && done != Ok(generation)
    }
}
