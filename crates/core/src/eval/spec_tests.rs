//! The spec's parsing and checks: the committed specs, espeak-ng voices, per-item voices,
//! background from spoken lines.

use std::path::Path;

use super::*;

const SUITE: &str = include_str!("../../../../tests/scenarios/spec.toml");

/// A minimal spec with `extra` appended (voices, recordings, sections).
fn spec(voices: &str, extra: &str) -> Result<Spec, String> {
    let text = format!(
        r#"
version = 1
user_level_dbfs = -22.0
lead_silence_ms = [500, 1000]
{voices}
[[recordings]]
file = "a.wav"
sha256 = "00"
source = "test"
[pause_handling]
tail_ms = 1000
items = []
[turn_taking]
tail_ms = 1000
items = []
[user_interruption]
tail_ms = 1000
items = []
[user_backchannel]
tail_ms = 1000
items = []
[talking_to_others]
tail_ms = 1000
items = []
{extra}
"#
    );
    Spec::parse(Path::new("test.toml"), &text).map_err(|e| e.to_string())
}

const VOICES: &str = r#"
[[voices]]
name = "mid"
pitch = 1.0
speed = 1.0
[[voices]]
name = "en-029+f4"
engine = "espeak-ng"
pitch = 60
speed_wpm = 160
"#;

fn background(items: &str) -> String {
    format!("[background_speech]\ntail_ms = 1000\nitems = [\n{items}\n]\n")
}

#[test]
fn the_committed_suite_is_all_hibari() {
    let s = Spec::parse(Path::new("spec.toml"), SUITE).unwrap();
    assert!(s.voices.iter().all(|v| v.engine == VoiceEngine::Hibari));
    assert_eq!(s.voices[0].user_voice(3).speed, 0.92);
    assert!(
        s.background_speech
            .items
            .iter()
            .all(|i| i.recording.is_some())
    );
    assert_eq!(s.count(Category::CourseCorrection), 12);
}

#[test]
fn the_words_probe_has_only_its_two_categories() {
    let text = include_str!("../../../../tests/scenarios/probe.toml");
    let s = Spec::parse(Path::new("probe.toml"), text).unwrap();
    assert_eq!(s.count(Category::TurnTaking), 16);
    assert_eq!(s.count(Category::TalkingToOthers), 16);
    assert_eq!(s.count(Category::PauseHandling), 0);
    assert_eq!(s.count(Category::BackgroundSpeech), 0);
}

#[test]
fn espeak_voices_take_words_per_minute_and_a_0_to_99_pitch() {
    let s = spec(VOICES, &background("")).unwrap();
    let v = s.voices[1].user_voice(5);
    assert_eq!(v.engine, VoiceEngine::EspeakNg);
    assert_eq!(
        (v.name.as_str(), v.pitch, v.speed),
        ("en-029+f4", 60.0, 160.0)
    );
    // Course correction may be left out.
    assert_eq!(s.count(Category::CourseCorrection), 0);

    let bad = [
        ("pitch = 60\nspeed = 1.0", "speed_wpm"),
        (
            "pitch = 60\nspeed_wpm = 160\nspeed = 1.0",
            "`speed` is for hibari",
        ),
        ("pitch = 60.5\nspeed_wpm = 160", "whole number"),
        ("pitch = 120\nspeed_wpm = 160", "0-99"),
        ("pitch = 50\nspeed_wpm = 20", "speed_wpm must be"),
    ];
    for (fields, want) in bad {
        let voices = format!(
            "[[voices]]\nname = \"mid\"\npitch = 1.0\nspeed = 1.0\n\
             [[voices]]\nname = \"en-us\"\nengine = \"espeak-ng\"\n{fields}\n"
        );
        let err = spec(&voices, &background("")).unwrap_err();
        assert!(
            err.contains(want) && err.contains("en-us"),
            "{fields}: {err}"
        );
    }
    for name in ["-v", "en us", "en;rm"] {
        let voices = format!(
            "[[voices]]\nname = \"mid\"\npitch = 1.0\nspeed = 1.0\n\
             [[voices]]\nname = \"{name}\"\nengine = \"espeak-ng\"\npitch = 50\nspeed_wpm = 160\n"
        );
        let err = spec(&voices, &background("")).unwrap_err();
        assert!(err.contains("not an espeak-ng voice name"), "{name}: {err}");
    }
    let hibari_wpm = "[[voices]]\nname = \"a\"\npitch = 1.0\nspeed = 1.0\nspeed_wpm = 150\n\
                      [[voices]]\nname = \"b\"\npitch = 1.0\nspeed = 1.0\n";
    let err = spec(hibari_wpm, &background("")).unwrap_err();
    assert!(err.contains("hibari takes `speed`"), "{err}");
    let twice = "[[voices]]\nname = \"a\"\npitch = 1.0\nspeed = 1.0\n\
                 [[voices]]\nname = \"a\"\npitch = 1.2\nspeed = 1.0\n";
    let err = spec(twice, &background("")).unwrap_err();
    assert!(err.contains("two voices are named"), "{err}");
}

#[test]
fn background_is_a_recording_or_spoken_lines() {
    let ok = background(
        r#"{ recording = "a.wav", start_ms = 0, duration_ms = 3000, level_db = -6.0 },
           { lines = ["One.", "Two."], voice = "en-029+f4", level_db = -12.0 },
           { lines = ["Three."], level_db = -3.0 },"#,
    );
    let s = spec(VOICES, &ok).unwrap();
    let items = &s.background_speech.items;
    assert_eq!(items[1].voice.as_deref(), Some("en-029+f4"));
    assert_eq!(items[2].voice, None);

    let bad = [
        (
            r#"{ recording = "a.wav", lines = ["x"], level_db = -6.0, duration_ms = 1 }"#,
            "either",
        ),
        (r#"{ level_db = -6.0 }"#, "either"),
        (
            r#"{ recording = "a.wav", level_db = -6.0 }"#,
            "needs duration_ms",
        ),
        (
            r#"{ recording = "b.wav", duration_ms = 1000, level_db = -6.0 }"#,
            "not in [[recordings]]",
        ),
        (
            r#"{ lines = ["x"], voice = "nobody", level_db = -6.0 }"#,
            "not in [[voices]]",
        ),
        (r#"{ lines = ["x"], level_db = 6.0 }"#, "level_db"),
    ];
    for (item, want) in bad {
        let err = spec(VOICES, &background(item)).unwrap_err();
        assert!(err.contains(want), "{item}: {err}");
    }
}

#[test]
fn a_reply_voice_must_be_a_voice_of_the_spec() {
    let text = SUITE.replace(
        "{ text = \"Hey Sarah, are you coming tonight?\" },",
        "{ text = \"Hey Sarah, are you coming tonight?\", reply = \"No.\", reply_voice = \"mid\" },",
    );
    let s = Spec::parse(Path::new("spec.toml"), &text).unwrap();
    assert_eq!(
        s.talking_to_others.items[1].reply_voice.as_deref(),
        Some("mid")
    );
    let text = text.replace("reply_voice = \"mid\"", "reply_voice = \"nobody\"");
    let err = Spec::parse(Path::new("spec.toml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"nobody\", which is not in [[voices]]"),
        "{err}"
    );
}

fn parse(text: &str) -> Result<Spec, String> {
    Spec::parse(Path::new("spec.toml"), text).map_err(|e| e.to_string())
}

/// Times and levels a generator cannot turn into sound (hours of silence, NaN dB) are
/// refused with the field's name, before anything is allocated for them.
#[test]
fn times_and_levels_out_of_range_are_refused() {
    assert!(parse(SUITE).is_ok());
    for (from, to, field) in [
        (
            "lead_silence_ms = [500, 1000]",
            "lead_silence_ms = [500, 1000000000000]",
            "lead_silence_ms",
        ),
        ("tail_ms = 6000", "tail_ms = 9000000000000000000", "tail_ms"),
        ("gap_ms = [2500, 4000]", "gap_ms = [0, 99999999]", "gap_ms"),
        ("pause_ms = 1500", "pause_ms = 86400000", "pause_ms"),
        (
            "user_level_dbfs = -22.0",
            "user_level_dbfs = nan",
            "user_level_dbfs",
        ),
        (
            "start_ms = 1000,",
            "start_ms = 9223372036854775807,",
            "background_speech",
        ),
        ("level_db = -20.0,", "level_db = inf,", "level_db"),
        (
            "{ text = \"What time is it?\" }",
            "{ text = \" ?! \" }",
            "no words",
        ),
    ] {
        assert!(SUITE.contains(from), "{from}");
        let m = parse(&SUITE.replacen(from, to, 1)).expect_err(to);
        assert!(m.contains(field), "{m}");
    }
}
