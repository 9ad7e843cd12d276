//! The process's memory allocator.
//!
//! glibc gives every thread that meets a locked heap an arena of its own (up to eight per core)
//! and keeps what each arena once held: the live loop's stages (ASR, end-of-turn, TTS, the text
//! and voice models, the reasoner) each allocate and free tens of megabytes a call on threads of
//! their own, so the freed memory of every stage stayed counted in the resident set. Two arenas
//! measured 40 MB less peak RSS on the rig (`scripts/bench-live.sh`, BENCHMARKS.md) at the same
//! CPU.

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

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_arena_cap() {
        assert!(super::cap_malloc_arenas());
    }
}
