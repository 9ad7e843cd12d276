//! User voices from the `espeak-ng` program (a formant synthesizer with many accents), next to
//! our own TTS: [`Speakers`] sends each line to the engine its voice names.
//!
//! espeak-ng is run as `espeak-ng -v NAME -s WPM -p PITCH -w FILE TEXT` (22050 Hz), resampled to
//! 16 kHz and trimmed like the TTS path. Its output depends only on those arguments.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;

use super::generate::{Speak, trim};
use super::meta::{UserVoice, VoiceEngine};
use super::{EvalError, SAMPLE_RATE_HZ};
use crate::audio::wav;

/// The fix for a missing program, in every error that needs it.
pub const INSTALL_HINT: &str = "apt-get install espeak-ng (scripts/deps.sh test installs it)";

/// Runs `espeak-ng`.
#[derive(Debug, Clone)]
pub struct EspeakNg {
    program: PathBuf,
    /// The variants this espeak-ng has (`m3`, `f4`, `Annie`...), read once: espeak-ng itself
    /// quietly ignores a variant it does not know.
    variants: Option<HashSet<String>>,
}

impl Default for EspeakNg {
    fn default() -> Self {
        EspeakNg::new()
    }
}

impl EspeakNg {
    /// `espeak-ng` from `PATH`.
    pub fn new() -> EspeakNg {
        EspeakNg::with_program(PathBuf::from("espeak-ng"))
    }

    /// A given program (tests use a missing one).
    pub fn with_program(program: PathBuf) -> EspeakNg {
        EspeakNg {
            program,
            variants: None,
        }
    }

    fn missing(&self, voice: &str) -> EvalError {
        EvalError::EspeakMissing {
            program: self.program.clone(),
            voice: voice.to_owned(),
        }
    }

    fn failed(voice: &str, message: impl Into<String>) -> EvalError {
        EvalError::Espeak {
            voice: voice.to_owned(),
            message: message.into(),
        }
    }

    /// Checks that the voice's variant (after `+`) exists.
    fn check_variant(&mut self, voice: &str) -> Result<(), EvalError> {
        let Some((_, variant)) = voice.split_once('+') else {
            return Ok(());
        };
        if self.variants.is_none() {
            let out = Command::new(&self.program)
                .arg("--voices=variant")
                .output()
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => self.missing(voice),
                    _ => Self::failed(voice, e.to_string()),
                })?;
            // Lines: "Pty Language Age/Gender VoiceName File Other", File = "!v/m3".
            let text = String::from_utf8_lossy(&out.stdout);
            let names = text
                .lines()
                .skip(1)
                .filter_map(|l| l.split_whitespace().nth(4))
                .filter_map(|f| f.rsplit('/').next())
                .map(str::to_owned)
                .collect();
            self.variants = Some(names);
        }
        let known = self.variants.as_ref().is_some_and(|v| v.contains(variant));
        if known {
            Ok(())
        } else {
            Err(Self::failed(
                voice,
                format!(
                    "this espeak-ng has no variant {variant:?} (see `espeak-ng --voices=variant`)"
                ),
            ))
        }
    }

    /// `text` in `voice` (espeak-ng's name, pitch 0-99, speed in words per minute): 16 kHz
    /// mono, leading and trailing silence trimmed.
    pub fn speak(&mut self, text: &str, voice: &UserVoice) -> Result<Vec<f32>, EvalError> {
        let name = voice.name.as_str();
        self.check_variant(name)?;
        let file = tempfile::Builder::new()
            .prefix("tandem-espeak-")
            .suffix(".wav")
            .tempfile()
            .map_err(|source| EvalError::Write {
                path: std::env::temp_dir(),
                source,
            })?;
        // A line starting with '-' would read as an option.
        let text = text.trim_start_matches('-');
        let out = Command::new(&self.program)
            .args(["-v", name, "-s"])
            .arg(format!("{}", voice.speed.round() as u32))
            .arg("-p")
            .arg(format!("{}", voice.pitch.round().clamp(0.0, 99.0) as u32))
            .arg("-w")
            .arg(file.path())
            .arg(text)
            .output()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => self.missing(name),
                _ => Self::failed(name, e.to_string()),
            })?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            return Err(Self::failed(
                name,
                format!(
                    "{} ({}; see `espeak-ng --voices=en`)",
                    stderr.trim(),
                    out.status
                ),
            ));
        }
        let (audio, info) = wav::read_mono_native(file.path())?;
        let audio = wav::resample(&audio, info.sample_rate_hz, SAMPLE_RATE_HZ)?;
        Ok(trim(&audio))
    }
}

/// Both engines: each line goes to the engine its voice names.
#[derive(Debug)]
pub struct Speakers<S> {
    /// Our own TTS (or a stand-in).
    pub hibari: S,
    pub espeak: EspeakNg,
}

impl<S: Speak> Speak for Speakers<S> {
    fn speak(&mut self, text: &str, voice: &UserVoice) -> Result<Vec<f32>, EvalError> {
        match voice.engine {
            VoiceEngine::Hibari => self.hibari.speak(text, voice),
            VoiceEngine::EspeakNg => self.espeak.speak(text, voice),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn voice(name: &str) -> UserVoice {
        UserVoice {
            name: name.into(),
            pitch: 50.0,
            speed: 170.0,
            seed: 0,
            engine: VoiceEngine::EspeakNg,
        }
    }

    fn installed() -> bool {
        Command::new("espeak-ng").arg("--version").output().is_ok()
    }

    #[test]
    fn a_missing_program_says_how_to_install_it() {
        let mut e = EspeakNg::with_program(PathBuf::from("/nonexistent/espeak-ng"));
        let err = e.speak("hello", &voice("en-us")).unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, EvalError::EspeakMissing { .. }), "{err:?}");
        assert!(
            text.contains("en-us") && text.contains("apt-get install espeak-ng"),
            "{text}"
        );
    }

    #[test]
    fn speaks_deterministically_and_names_bad_voices() {
        if !installed() {
            eprintln!("espeak-ng is not installed: skipped ({INSTALL_HINT})");
            return;
        }
        let mut e = EspeakNg::new();
        let a = e
            .speak("Set a timer for ten minutes.", &voice("en-029"))
            .unwrap();
        let b = e
            .speak("Set a timer for ten minutes.", &voice("en-029"))
            .unwrap();
        assert_eq!(a, b);
        let ms = a.len() as u64 * 1000 / u64::from(SAMPLE_RATE_HZ);
        assert!((1000..4000).contains(&ms), "{ms} ms");
        let slow = UserVoice {
            speed: 100.0,
            ..voice("en-029")
        };
        let c = e.speak("Set a timer for ten minutes.", &slow).unwrap();
        assert!(c.len() > a.len() * 13 / 10, "{} vs {}", c.len(), a.len());
        for bad in ["xx-nowhere", "en-us+nosuchvariant"] {
            let err = e.speak("hello", &voice(bad)).unwrap_err();
            assert!(matches!(err, EvalError::Espeak { .. }), "{err:?}");
            assert!(err.to_string().contains(bad), "{err}");
        }
    }
}
