//! Property tests: arbitrary text, bytes and numbers through everything that reads input from
//! outside (transcripts, the model's tool calls, WAV files, the config, scenario specs and
//! events). Each must return a value or a typed error, never panic. The floor policy's word
//! rules have their own in `interaction::tests::unicode`, the engine's text helpers in
//! `engine::text_tests`.

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;

use crate::audio::wav;
use crate::config::Config;
use crate::eval::{self, Spec, score};
use crate::reasoning::llm::tools;
use crate::reasoning::skills::test_env::TestEnv;
use crate::reasoning::{AssistantContext, Utterance};
use crate::test_text::{any_text, config};

/// A tool argument as a model might write it: any JSON scalar, text from [`any_text`], now
/// and then an array or object.
fn any_arg() -> impl Strategy<Value = Value> {
    prop_oneof![
        any_text().prop_map(Value::String),
        any::<f64>()
            .prop_map(|x| serde_json::Number::from_f64(x).map_or(Value::Null, Value::Number)),
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(serde_json::json!([1, "two"])),
        Just(serde_json::json!({"a": 1})),
    ]
}

/// The tools the model can call, and a few it cannot.
const TOOL_NAMES: &[&str] = &[
    "get_time",
    "calculate",
    "convert_units",
    "set_timer",
    "set_reminder",
    "list_timers",
    "cancel_timer",
    "remember_note",
    "recall_notes",
    "conversation_history",
    "look_at_camera",
    "",
    "no_such_tool",
];
/// The argument names the tools read.
const ARG_NAMES: &[&str] = &[
    "expression",
    "from",
    "to",
    "value",
    "minutes",
    "seconds",
    "label",
    "query",
    "text",
    "in_minutes",
    "at",
];

/// The leads that start each skill, so arbitrary text reaches past their first checks.
const SKILL_LEADS: &[&str] = &[
    "",
    "set a timer for ",
    "remind me in ",
    "remind me to ",
    "remember that ",
    "what is ",
    "convert ",
    "how many ",
    "delete the note ",
    "what time is it in ",
    "read this ",
    "call me ",
    "what did you say about ",
    "cancel the ",
];

proptest! {
    #![proptest_config(config())]

    /// Any transcript through the reasoner's normalization and every skill.
    #[test]
    fn skills_take_any_text(lead in proptest::sample::select(SKILL_LEADS), text in any_text()) {
        let request = format!("{lead}{text}");
        let u = Utterance::parse(&request);
        let _ = u.text();
        let env = TestEnv::new();
        let _ = env.ask(&request);
    }

    /// What the user heard of an answer, for any text on both sides.
    #[test]
    fn unheard_takes_any_text(said in any_text(), heard in any_text()) {
        let c = AssistantContext { said: said.clone(), heard, request: None };
        prop_assert!(said.contains(c.unheard()));
    }

    /// Any tool call the model can write: text for the model, never a panic.
    #[test]
    fn tools_take_any_arguments(
        name in proptest::sample::select(TOOL_NAMES),
        args in proptest::collection::vec((proptest::sample::select(ARG_NAMES), any_arg()), 0..4),
        user_text in any_text(),
    ) {
        let args = Value::Object(args.into_iter().map(|(k, v)| (k.to_owned(), v)).collect());
        let env = TestEnv::new();
        let _ = tools::call(name, &args, &env.env());
        let _ = tools::call_for_user(&user_text, name, &args, &env.env());
    }

    /// The scorer's text rules.
    #[test]
    fn scoring_text_takes_any_text(text in any_text(), values in proptest::collection::vec(any_text(), 0..3)) {
        let n = crate::text::normalize(&text);
        prop_assert!(!n.starts_with(' ') && !n.ends_with(' ') && !n.contains("  "));
        let _ = score::mentions(&text, &values);
    }

    /// Events files: any text, any line.
    #[test]
    fn events_take_any_text(text in any_text(), t_ms in any::<f64>(), kind in any_text()) {
        let _ = eval::events::parse(Path::new("events.jsonl"), &text);
        let line = serde_json::json!({"t_ms": t_ms, "kind": kind}).to_string();
        let _ = eval::events::parse(Path::new("events.jsonl"), &line);
    }
}

/// Replacement values, one of each kind, numbers biased to the edges of their ranges;
/// [`mutated_toml`] mostly keeps the kind of the value it replaces.
#[derive(Debug, Clone)]
struct Values {
    int: i64,
    float: f64,
    text: String,
    flag: bool,
    pair: [u64; 2],
    /// 0-9 keep the line's kind, 10-11 take any kind.
    pick: u8,
}

fn any_values() -> impl Strategy<Value = Values> {
    let int = prop_oneof![
        any::<i64>().prop_map(|x| x >> (x.unsigned_abs() % 63)),
        0i64..5_000,
        Just(i64::MAX),
        Just(0),
    ];
    let float = prop_oneof![
        any::<f64>(),
        -100.0f64..100.0,
        proptest::sample::select(&[f64::NAN, f64::INFINITY, -f64::INFINITY, 0.0, 1e308][..]),
    ];
    let pair = prop_oneof![
        [0u64..5_000, 0u64..5_000],
        [any::<u64>(), any::<u64>()].prop_map(|p| p.map(|x| x >> 1)),
    ];
    (int, float, any_text(), any::<bool>(), pair, 0u8..12).prop_map(
        |(int, float, text, flag, pair, pick)| Values {
            int,
            float,
            text,
            flag,
            pair,
            pick,
        },
    )
}

impl Values {
    /// A value to put where `old` was: mostly of its kind, now and then of another.
    fn replace(&self, old: &toml::Value) -> toml::Value {
        let kind = match self.pick {
            0..=9 => old,
            10 => &toml::Value::Integer(0),
            _ => &toml::Value::String(String::new()),
        };
        match kind {
            toml::Value::Integer(_) => toml::Value::Integer(self.int),
            toml::Value::Float(_) => toml::Value::Float(self.float),
            toml::Value::Boolean(_) => toml::Value::Boolean(self.flag),
            toml::Value::Array(_) => toml::Value::Array(
                self.pair
                    .iter()
                    .map(|&x| toml::Value::Integer(x as i64))
                    .collect(),
            ),
            _ => toml::Value::String(self.text.clone()),
        }
    }
}

/// The number of scalar values (and arrays of scalars) in `v`.
fn leaf_count(v: &toml::Value) -> usize {
    match v {
        toml::Value::Table(t) => t.values().map(leaf_count).sum(),
        toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => a.iter().map(leaf_count).sum(),
        toml::Value::Array(a) => 1 + a.len(),
        _ => 1,
    }
}

/// Replaces the `k`-th leaf (in [`leaf_count`]'s order) of `v`; false when `k` is past the end.
fn replace_leaf(v: &mut toml::Value, k: &mut usize, values: &Values) -> bool {
    let children: Vec<&mut toml::Value> = match v {
        toml::Value::Table(t) => t.iter_mut().map(|(_, v)| v).collect(),
        toml::Value::Array(a) if a.iter().any(|x| x.is_table()) => a.iter_mut().collect(),
        toml::Value::Array(_) if *k == 0 => {
            *v = values.replace(v);
            return true;
        }
        toml::Value::Array(a) => {
            *k -= 1;
            a.iter_mut().collect()
        }
        _ if *k == 0 => {
            *v = values.replace(v);
            return true;
        }
        _ => {
            *k -= 1;
            return false;
        }
    };
    children.into_iter().any(|c| replace_leaf(c, k, values))
}

/// `base` (TOML) with one to three values replaced.
fn mutated_toml(base: &'static str) -> impl Strategy<Value = String> {
    let doc: toml::Value = toml::from_str(base).expect("base parses");
    let leaves = leaf_count(&doc);
    proptest::collection::vec((0..leaves, any_values()), 1..4).prop_map(move |edits| {
        let mut doc = doc.clone();
        for (mut k, values) in edits {
            replace_leaf(&mut doc, &mut k, &values);
        }
        toml::to_string(&doc).expect("TOML values serialize")
    })
}

const SPEC: &str = include_str!("../../../tests/scenarios/spec.toml");

/// Speech for the generator: a tone as long as the text (`Tts` needs the model files).
#[derive(Debug)]
struct Tone;

impl eval::generate::Speak for Tone {
    fn speak(
        &mut self,
        text: &str,
        voice: &eval::meta::UserVoice,
    ) -> Result<Vec<f32>, eval::EvalError> {
        let n = (text.chars().count().min(50) * 800) as f32 / voice.speed.max(0.1);
        Ok((0..n as usize)
            .map(|i| 0.3 * (i as f32 * 0.05).sin())
            .collect())
    }
}

/// A voice that says nothing: every scenario comes out with an empty segment, which is an
/// error naming the scenario, not a failed assertion.
#[test]
fn speech_that_comes_out_empty_is_an_error() {
    #[derive(Debug)]
    struct Mute;
    impl eval::generate::Speak for Mute {
        fn speak(
            &mut self,
            _: &str,
            _: &eval::meta::UserVoice,
        ) -> Result<Vec<f32>, eval::EvalError> {
            Ok(Vec::new())
        }
    }
    let spec = Spec::parse(Path::new("spec.toml"), SPEC).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut dev = eval::generate::DevSpeech::new(dir.path());
    let err = eval::generate::generate(&spec, eval::Category::TurnTaking, 0, &mut Mute, &mut dev)
        .expect_err("an empty turn is no scenario");
    assert!(err.to_string().contains("turn_taking_01"), "{err}");
}

fn config_text() -> &'static str {
    static TEXT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    TEXT.get_or_init(|| Config::default().to_toml())
}

proptest! {
    #![proptest_config(config())]

    /// Any text as a config file.
    #[test]
    fn config_takes_any_text(text in any_text()) {
        let _ = Config::parse(&text, Path::new("config.toml"));
    }

    /// The default config with values of any type and size: a config or a typed error, and a
    /// config that loads writes back to itself.
    #[test]
    fn config_takes_any_values(text in mutated_toml(config_text())) {
        if let Ok(c) = Config::parse(&text, Path::new("config.toml")) {
            prop_assert_eq!(Config::parse(&c.to_toml(), Path::new("again.toml")).ok(), Some(c));
        }
    }

    /// Any text as a scenario spec.
    #[test]
    fn spec_takes_any_text(text in any_text()) {
        let _ = Spec::parse(Path::new("spec.toml"), &text);
    }

    /// The committed spec with values of any type and size: a spec that loads generates every
    /// scenario (or says why not) without a panic or an unbounded allocation.
    #[test]
    fn spec_takes_any_values(text in mutated_toml(SPEC)) {
        let Ok(spec) = Spec::parse(Path::new("spec.toml"), &text) else {
            return Ok(());
        };
        let dir = tempfile::tempdir().unwrap();
        let mut dev = eval::generate::DevSpeech::new(dir.path());
        for (category, index) in eval::generate::selection(&spec, &[], Some(2)) {
            let _ = eval::generate::generate(&spec, category, index, &mut Tone, &mut dev);
        }
    }
}

/// A WAV header with every field chosen (mostly consistent, some not), then data bytes.
fn any_wav() -> impl Strategy<Value = Vec<u8>> {
    let channels = prop_oneof![8 => 1u16..3, 1 => 0u16..9, 1 => any::<u16>()];
    let rate = prop_oneof![
        proptest::sample::select(&[8_000u32, 16_000, 22_050, 44_100, 48_000][..]),
        0u32..100,
        any::<u32>(),
    ];
    // (format tag, bits per sample): integer PCM, float, or anything.
    let format = prop_oneof![
        6 => proptest::sample::select(&[(1u16, 8u16), (1, 16), (1, 24), (1, 32), (3, 32)][..]),
        1 => (any::<u16>(), any::<u16>()),
    ];
    let data_len = prop_oneof![6 => Just(None), 1 => any::<u32>().prop_map(Some)];
    (
        format,
        channels,
        rate,
        data_len,
        proptest::collection::vec(any::<u8>(), 0..512),
        prop_oneof![4 => Just(true), 1 => Just(false)],
    )
        .prop_map(|((tag, bits), channels, rate, data_len, mut data, whole)| {
            let block = channels.wrapping_mul(bits.div_ceil(8));
            if whole && block > 0 {
                data.truncate(data.len() / usize::from(block) * usize::from(block));
            }
            let mut b = Vec::new();
            b.extend_from_slice(b"RIFF");
            b.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
            b.extend_from_slice(b"WAVEfmt ");
            b.extend_from_slice(&16u32.to_le_bytes());
            b.extend_from_slice(&tag.to_le_bytes());
            b.extend_from_slice(&channels.to_le_bytes());
            b.extend_from_slice(&rate.to_le_bytes());
            b.extend_from_slice(&rate.wrapping_mul(u32::from(block)).to_le_bytes());
            b.extend_from_slice(&block.to_le_bytes());
            b.extend_from_slice(&bits.to_le_bytes());
            b.extend_from_slice(b"data");
            b.extend_from_slice(&data_len.unwrap_or(data.len() as u32).to_le_bytes());
            b.extend_from_slice(&data);
            b
        })
}

/// Reads `bytes` as a WAV file every way the engine does.
fn read_all_ways(bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("in.wav");
    std::fs::write(&path, bytes).unwrap();
    let _ = wav::read_info(&path);
    let _ = wav::read_mono_native(&path);
    let _ = wav::read_mono(&path, 16_000);
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes at all.
    #[test]
    fn wav_reader_takes_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        read_all_ways(&bytes);
    }

    /// Headers with any format, channel count, rate, sample size and data length.
    #[test]
    fn wav_reader_takes_any_header(bytes in any_wav()) {
        read_all_ways(&bytes);
    }

    /// A good file cut short or with a byte changed.
    #[test]
    fn wav_reader_takes_damaged_files(cut in 0usize..200, at in 0usize..200, byte in any::<u8>()) {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("good.wav");
        let tone: Vec<f32> = (0..50).map(|i| (i as f32 * 0.3).sin() * 0.5).collect();
        wav::write_mono_i16(&good, &tone, 16_000).unwrap();
        let mut bytes = std::fs::read(&good).unwrap();
        if at < bytes.len() {
            bytes[at] = byte;
        }
        bytes.truncate(bytes.len().saturating_sub(cut));
        read_all_ways(&bytes);
    }
}
