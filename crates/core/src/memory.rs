//! The process's memory allocator: fewer arenas, and free memory given back when the loop is
//! idle.
//!
//! glibc gives every thread that meets a locked heap an arena of its own (up to eight per core)
//! and keeps what each arena once held: the live loop's stages (ASR, end-of-turn, TTS, the text
//! and voice models, the reasoner) each allocate and free tens of megabytes a call on threads of
//! their own, so the freed memory of every stage stayed counted in the resident set. Two arenas
//! measured 40 MB less peak RSS on the rig (`scripts/bench-live.sh`, BENCHMARKS.md) at the same
//! CPU.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many malloc arenas the process may use.
pub const MALLOC_ARENAS: i32 = 2;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`]; call first thing in `main`, before other
/// threads start. Returns whether the allocator took the setting (always false elsewhere than
/// glibc).
pub fn cap_malloc_arenas() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// `M_ARENA_MAX` in glibc's `malloc.h`.
        const M_ARENA_MAX: std::ffi::c_int = -8;
        #[allow(unsafe_code)]
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt takes two integers and changes an allocator setting; glibc documents
        // M_ARENA_MAX as safe to set at any time (it bounds arenas created from then on).
        #[allow(unsafe_code)]
        let ok = unsafe { mallopt(M_ARENA_MAX, MALLOC_ARENAS) };
        ok == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// How long the live loop must have been quiet (no engine event) before freed memory is given
/// back to the system.
pub const IDLE_TRIM_AFTER: Duration = Duration::from_secs(15);
/// How often the trimming thread looks.
const TRIM_CHECK_EVERY: Duration = Duration::from_secs(5);

/// Milliseconds since [`START`] of the live loop's last event (0: none yet).
static LAST_ACTIVITY_MS: AtomicU64 = AtomicU64::new(0);
static START: OnceLock<Instant> = OnceLock::new();
static TRIMMER: OnceLock<()> = OnceLock::new();

fn since_start_ms() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

/// The live loop did something (an event: speech heard, a transcript, our voice): memory is
/// in use. One atomic store; no lock, no allocation.
pub fn note_activity() {
    LAST_ACTIVITY_MS.store(since_start_ms().max(1), Ordering::Relaxed);
}

/// Starts (once per process) a thread that gives the allocator's free memory back to the
/// system once the live loop has been quiet for [`IDLE_TRIM_AFTER`], once per quiet spell:
/// the resident set after a conversation falls back instead of staying at its peak. It never
/// runs on the loop's threads.
pub fn start_idle_trimmer() {
    TRIMMER.get_or_init(|| {
        since_start_ms();
        let spawned = std::thread::Builder::new()
            .name("tandem-trim".into())
            .spawn(|| {
                let mut trimmed_after = u64::MAX;
                loop {
                    std::thread::sleep(TRIM_CHECK_EVERY);
                    let last = LAST_ACTIVITY_MS.load(Ordering::Relaxed);
                    let quiet =
                        since_start_ms().saturating_sub(last) >= IDLE_TRIM_AFTER.as_millis() as u64;
                    if quiet && trimmed_after != last {
                        trimmed_after = last;
                        let released = release_free_memory();
                        tracing::debug!(released, "gave free memory back after a quiet spell");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(%e, "no thread to give free memory back when idle");
        }
    });
}

/// Gives the allocator's free pages back to the system (glibc's `malloc_trim`); whether any
/// were released (always false elsewhere than glibc).
pub fn release_free_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        #[allow(unsafe_code)]
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes a byte count and only returns free memory to the system;
        // glibc's allocator locks each arena while it does.
        #[allow(unsafe_code)]
        let released = unsafe { malloc_trim(0) };
        released == 1
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_arena_cap() {
        assert!(super::cap_malloc_arenas());
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn freed_memory_goes_back() {
        // Blocks below the mmap threshold stay in the heap when freed; freeing every other one
        // leaves page-sized holes that only a trim gives back (free itself only trims the top).
        let mut blocks: Vec<Option<Vec<u8>>> =
            (0..400).map(|i| Some(vec![i as u8; 64 * 1024])).collect();
        for b in blocks.iter_mut().step_by(2) {
            *b = None;
        }
        assert!(super::release_free_memory());
        drop(blocks);
    }
}
