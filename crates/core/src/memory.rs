//! The process's memory allocator: fewer arenas, large blocks of their own, and free memory
//! given back when the loop is idle.
//!
//! glibc gives every thread that meets a locked heap an arena of its own (up to eight per core)
//! and keeps what each arena once held: the live loop's stages (ASR, end-of-turn, TTS, the text
//! and voice models, the reasoner) each allocate and free tens of megabytes a call on threads of
//! their own, so the freed memory of every stage stayed counted in the resident set. Two arenas
//! measured 40 MB less peak RSS on the rig (`scripts/bench-live.sh`, BENCHMARKS.md) at the same
//! CPU. Blocks of [`MMAP_THRESHOLD`] or more (the largest of ONNX Runtime's inference buffers)
//! are mapped for themselves and unmapped when freed: glibc's own threshold rises to the
//! largest block freed (up to 32 MiB), after which those buffers were carved from the heaps and
//! their holes stayed resident (BENCHMARKS.md).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How many malloc arenas the process may use.
pub const MALLOC_ARENAS: i32 = 2;

/// Blocks this large or larger get a mapping of their own. Lower costs CPU and latency: every
/// block above it is faulted in afresh on every call. On the rig at 256 KiB the ASR thread's
/// share went from 6.4 to 9.4 % of a core; at 1 MiB peak RSS was 28 MB lower than at 8 MiB
/// but the ASR's 5 MB buffers were faulted in on every call (its thread 6.4 -> 7.8 %) and the
/// development suite's turn-taking answers came later in some scenarios (251 -> 293-655 ms);
/// at 8 MiB they came as before (BENCHMARKS.md).
pub const MMAP_THRESHOLD: i32 = 8 << 20;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`] and fixes its mmap threshold at
/// [`MMAP_THRESHOLD`]; call first thing in `main`, before other threads start. Returns
/// whether the allocator took both settings (always false elsewhere than glibc).
pub fn tune_allocator() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        /// `M_ARENA_MAX` and `M_MMAP_THRESHOLD` in glibc's `malloc.h`.
        const M_ARENA_MAX: std::ffi::c_int = -8;
        const M_MMAP_THRESHOLD: std::ffi::c_int = -3;
        #[allow(unsafe_code)]
        unsafe extern "C" {
            fn mallopt(param: std::ffi::c_int, value: std::ffi::c_int) -> std::ffi::c_int;
        }
        // SAFETY: mallopt takes two integers and changes an allocator setting; glibc documents
        // both as safe to set at any time (they apply to allocations made from then on).
        #[allow(unsafe_code)]
        let ok = unsafe {
            mallopt(M_ARENA_MAX, MALLOC_ARENAS) == 1
                && mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        };
        ok
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}

/// How long the live loop must have been quiet (no engine event) before freed memory is given
/// back to the system: a pause between exchanges (a trim takes a few milliseconds, on its own
/// thread).
pub const IDLE_TRIM_AFTER: Duration = Duration::from_secs(2);
/// How often the trimming thread looks.
const TRIM_CHECK_EVERY: Duration = Duration::from_secs(1);

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
                        let before = resident_mb();
                        let released = release_free_memory();
                        tracing::debug!(released, ?before, after = ?resident_mb(), "gave free memory back after a quiet spell");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(%e, "no thread to give free memory back when idle");
        }
    });
}

/// The process's resident set in MB (`VmRSS`), where `/proc` tells it.
pub fn resident_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
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
    fn glibc_takes_the_allocator_settings() {
        assert!(super::tune_allocator());
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
