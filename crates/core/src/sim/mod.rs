//! Simulation: the same audio engine on recordings instead of devices, deterministically.
//!
//! - [`clock`]: the [`Clock`] trait, a wall clock and a [`VirtualClock`] that tests advance.
//! - [`source`]: WAV files and synthetic signals as microphones, paced by a clock.
//! - [`sink`]: a speaker that runs the playback renderer as its clock advances and records
//!   what it played (to a WAV file, for `tandem duplex`).
//! - [`echo`]: a linear echo path (delay, gain, reverb tail) to stand in for a room.
//! - [`room`]: reverberant rooms (RT60, delay, loudspeaker level) and the set the echo
//!   canceller is scored on.
//! - [`SimAudio`]: all of it stepped together: microphone file + playback -> DSP chain frames.

pub mod clock;
pub mod echo;
pub mod room;
pub mod sink;
pub mod source;

pub use clock::{Clock, RealClock, VirtualClock};
pub use echo::EchoPath;
pub use sink::ClockedSink;
pub use source::SignalSource;

use std::sync::Arc;

use crate::audio::dsp::{CleanFrame, DspChain, DspConfig, DspStats};
use crate::audio::playback::{Player, Reference};
use crate::audio::stream::{AudioError, AudioSink, AudioSource};

/// The audio engine stepped on a virtual clock: microphone from a source, playback rendered by
/// a [`ClockedSink`], the DSP chain in between. Everything happens in the caller's thread, in
/// 10 ms steps, so a run is exactly repeatable.
pub struct SimAudio {
    pub clock: VirtualClock,
    pub player: Player,
    pub sink: ClockedSink,
    mic: Box<dyn AudioSource>,
    reference: Reference,
    chain: DspChain,
    step_ns: u64,
}

impl std::fmt::Debug for SimAudio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAudio")
            .field("now_ns", &self.clock.now_ns())
            .field("mic", &self.mic.name())
            .finish()
    }
}

impl SimAudio {
    /// `mic` must be paced by `clock` (see [`SignalSource::new`]); playback runs at
    /// `output_rate_hz`. `echo`, if given, adds what the speaker played to the microphone
    /// through that path (a room), so the echo canceller has something to do.
    pub fn new(
        clock: VirtualClock,
        mic: Box<dyn AudioSource>,
        output_rate_hz: u32,
        echo: Option<EchoPath>,
        config: DspConfig,
    ) -> Result<SimAudio, AudioError> {
        let (mut sink, player, reference) =
            ClockedSink::new(Arc::new(clock.clone()), output_rate_hz, echo)?;
        let mic: Box<dyn AudioSource> = match sink.take_echo_tap() {
            Some(tap) => Box::new(source::EchoMix::new(mic, tap)?),
            None => mic,
        };
        let chain = DspChain::new(
            config,
            mic.sample_rate_hz(),
            Some(output_rate_hz),
            Arc::new(DspStats::default()),
        )?;
        Ok(SimAudio {
            clock,
            player,
            sink,
            mic,
            reference,
            chain,
            step_ns: 10_000_000,
        })
    }

    /// Advances the clock by 10 ms: feeds the player's queue to the renderer, renders playback,
    /// reads the microphone, runs the chain.
    /// Returns the frames finished in this step.
    pub fn step(&mut self) -> Vec<CleanFrame> {
        self.clock.advance(self.step_ns);
        self.player.pump();
        self.sink.advance();
        let mut out = Vec::new();
        self.chain
            .process(self.mic.as_mut(), Some(&mut self.reference), &mut |f| {
                out.push(f)
            });
        out
    }

    /// Whether the microphone source has delivered everything.
    pub fn mic_finished(&self) -> bool {
        self.mic.is_finished()
    }

    pub fn stats(&self) -> &Arc<DspStats> {
        self.chain.stats()
    }
}
