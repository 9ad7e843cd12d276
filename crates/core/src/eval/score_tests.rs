//! The scoring rules on hand-made analyses (the model-backed tests are in
//! `tests/tests/eval_scoring.rs`).

use super::*;
use crate::eval::meta::{Role, UserSegment, UserVoice, VoiceEngine};

fn word(text: &str, start_ms: u64, end_ms: u64, segment: usize) -> TimedWord {
    TimedWord {
        text: text.into(),
        start_ms,
        end_ms,
        segment,
    }
}

fn seg(start_ms: u64, end_ms: u64) -> SpeechSegment {
    SpeechSegment { start_ms, end_ms }
}

fn meta(expect: Expect) -> ScenarioMeta {
    let user_end = match &expect {
        Expect::PauseHandling { .. } => 5000,
        _ => 1000,
    };
    ScenarioMeta {
        id: "x".into(),
        category: expect.category(),
        description: String::new(),
        duration_ms: 12_000,
        sample_rate_hz: 16_000,
        voice: UserVoice {
            name: "mid".into(),
            pitch: 1.0,
            speed: 1.0,
            seed: 1,
            engine: VoiceEngine::Hibari,
        },
        segments: vec![UserSegment {
            start_ms: 500,
            end_ms: user_end,
            text: "hi".into(),
            role: Role::User,
        }],
        expect,
    }
}

#[test]
fn take_over_follows_the_backchannel_rule() {
    assert_eq!(take_over([]), 0);
    let short = [word("mm", 0, 300, 0), word("hm", 300, 600, 0)];
    assert_eq!(take_over(&short), 0);
    let four = [
        word("a", 0, 100, 0),
        word("b", 100, 200, 0),
        word("c", 200, 300, 0),
        word("d", 300, 400, 0),
    ];
    assert_eq!(take_over(&four), 1);
    let long = [word("okay", 0, 600, 0), word("sure", 900, 1200, 0)];
    assert_eq!(take_over(&long), 1);
}

#[test]
fn merging_joins_gaps_up_to_half_a_second() {
    let (m, owner) = merge_segments(&[seg(0, 1000), seg(1500, 2000), seg(2600, 3000)], 500);
    assert_eq!(m, vec![Window::new(0, 2000), Window::new(2600, 3000)]);
    assert_eq!(owner, vec![0, 0, 1]);
}

#[test]
fn percentiles_interpolate() {
    assert_eq!(percentile(&[], 0.5), None);
    assert_eq!(percentile(&[3.0, 1.0, 2.0], 0.5), Some(2.0));
    assert_eq!(percentile(&[0.0, 100.0], 0.95), Some(95.0));
}

#[test]
fn turn_taking_latency_is_first_word_after_the_end() {
    let m = meta(Expect::TurnTaking { turn_end_ms: 1000 });
    let out = OutputAnalysis {
        duration_ms: 8000,
        segments: vec![seg(1350, 3000)],
        words: vec![
            word("Timer", 1380, 1700, 0),
            word("set", 1700, 2000, 0),
            word("for", 2000, 2300, 0),
            word("five", 2300, 2900, 0),
        ],
    };
    let s = score(&m, &out, None);
    assert_eq!(s.take_over, Some(1));
    assert_eq!(s.latency_ms, Some(380));
    let silent = score(&m, &OutputAnalysis::default(), None);
    assert_eq!((silent.take_over, silent.latency_ms), (Some(0), None));
}

#[test]
fn interruption_stop_and_response() {
    let m = meta(Expect::UserInterruption {
        request_end_ms: 1000,
        interruption: Window::new(4000, 5000),
    });
    // Talking 1.5-4.2 s (stops 200 ms after the cut-in), answers at 5.4 s.
    let out = OutputAnalysis {
        duration_ms: 12_000,
        segments: vec![seg(1500, 2800), seg(3000, 4200), seg(5400, 7000)],
        words: vec![
            word("I", 1500, 1700, 0),
            word("can", 1700, 2000, 0),
            word("set", 3000, 3500, 1),
            word("timers", 3500, 4100, 1),
            word("It's", 5400, 5800, 2),
            word("three", 5800, 6200, 2),
            word("fifteen", 6200, 6600, 2),
            word("PM", 6600, 7000, 2),
        ],
    };
    let s = score(&m, &out, None);
    assert_eq!(s.answered_cut_in, None, "no events, no verdict");
    let ev = crate::eval::events::parse(
        std::path::Path::new("e.jsonl"),
        "{\"t_ms\":1400,\"kind\":\"speak_start\",\"text\":\"I can...\",\"speech\":\"answer\"}\n\
         {\"t_ms\":5300,\"kind\":\"speak_start\",\"text\":\"It's 3:15.\",\"speech\":\"answer\"}\n",
    )
    .unwrap();
    assert_eq!(score(&m, &out, Some(&ev)).answered_cut_in, Some(true));
    assert_eq!(score(&m, &out, Some(&ev[..1])).answered_cut_in, Some(false));
    assert_eq!(s.stop_latency_ms, Some(200));
    assert!(!s.not_speaking);
    assert_eq!(s.take_over, Some(1));
    assert_eq!(s.latency_ms, Some(400));
    assert_eq!(s.scored_text, "It's three fifteen PM");

    // Never stopped: no speech *starts* after the interruption, so no response.
    let through = OutputAnalysis {
        segments: vec![seg(1500, 9000)],
        words: vec![word("blah", 1500, 9000, 0)],
        ..out.clone()
    };
    let s = score(&m, &through, None);
    assert_eq!((s.stop_latency_ms, s.take_over), (Some(5000), Some(0)));

    // Silent at the cut-in.
    let quiet = OutputAnalysis {
        segments: vec![seg(1500, 3000)],
        words: vec![word("hi", 1500, 3000, 0)],
        ..out
    };
    let s = score(&m, &quiet, None);
    assert!(s.not_speaking);
    assert_eq!(s.stop_latency_ms, None);
}

#[test]
fn backchannel_continued_or_stopped() {
    let m = meta(Expect::UserBackchannel {
        request_end_ms: 1000,
        backchannel: Window::new(4000, 4400),
    });
    let through = OutputAnalysis {
        duration_ms: 12_000,
        segments: vec![seg(1500, 4300), seg(4600, 9000)],
        words: vec![],
    };
    let s = score(&m, &through, None);
    assert_eq!(s.continued, Some(true));
    let stopped = OutputAnalysis {
        segments: vec![seg(1500, 4200)],
        ..through.clone()
    };
    assert_eq!(score(&m, &stopped, None).continued, Some(false));
    let late = OutputAnalysis {
        segments: vec![seg(1500, 3000)],
        ..through
    };
    let s = score(&m, &late, None);
    assert!(s.not_speaking);
    assert_eq!(s.continued, None);
}

#[test]
fn pause_window_counts_only_words_inside() {
    let m = meta(Expect::PauseHandling {
        pauses: vec![Window::new(2000, 3500)],
    });
    let out = OutputAnalysis {
        duration_ms: 9000,
        segments: vec![seg(2300, 3400), seg(5000, 7000)],
        words: vec![
            word("what", 2300, 2600, 0),
            word("were", 2600, 2900, 0),
            word("you", 2900, 3100, 0),
            word("saying", 3100, 3400, 0),
            word("Sure", 5000, 7000, 1),
        ],
    };
    let s = score(&m, &out, None);
    assert_eq!((s.take_over, s.take_over_before_end), (Some(1), Some(1)));
    // Answering only after the user resumed: nothing in the pause, but over the user.
    let late = OutputAnalysis {
        segments: vec![seg(3700, 6000)],
        words: vec![
            word("I", 3700, 3900, 0),
            word("can't", 3900, 4300, 0),
            word("answer", 4300, 4900, 0),
            word("that", 4900, 6000, 0),
        ],
        ..out.clone()
    };
    let s = score(&m, &late, None);
    assert_eq!((s.take_over, s.take_over_before_end), (Some(0), Some(1)));
    let ok = OutputAnalysis {
        words: vec![word("Sure", 5000, 7000, 1)],
        ..out
    };
    assert_eq!(score(&m, &ok, None).take_over, Some(0));
}

#[test]
fn course_correction_checks_the_value_in_asr_then_events() {
    let m = meta(Expect::CourseCorrection {
        turn_end_ms: 1000,
        expected: vec!["fifteen".into(), "15".into()],
        rejected: vec!["ten".into(), "10".into()],
    });
    let said = |text: &str| OutputAnalysis {
        duration_ms: 8000,
        segments: vec![seg(1400, 3000)],
        words: text
            .split(' ')
            .enumerate()
            .map(|(i, w)| word(w, 1400 + 300 * i as u64, 1700 + 300 * i as u64, 0))
            .collect(),
    };
    let s = score(&m, &said("Timer set for 15 minutes."), None);
    assert_eq!(
        (s.correct, s.correct_source),
        (Some(true), Some(AnswerSource::Asr))
    );
    let s = score(&m, &said("Timer set for 10 minutes."), None);
    assert_eq!((s.correct, s.correct_source), (Some(false), None));
    let s = score(&m, &said("Ten, no, fifteen minutes."), None);
    assert_eq!(
        s.correct,
        Some(false),
        "stating the rejected value is wrong"
    );
    let events = crate::eval::events::parse(
        std::path::Path::new("e.jsonl"),
        "{\"t_ms\":900,\"kind\":\"reasoning_request\",\"id\":1,\"text\":\"set a timer for ten\",\"speculative\":true}\n\
         {\"t_ms\":950,\"kind\":\"reasoning_result\",\"id\":1,\"text\":\"Timer set for 10 minutes.\"}\n\
         {\"t_ms\":1300,\"kind\":\"speak_start\",\"text\":\"Timer set for 15 minutes.\",\"speech\":\"answer\"}\n",
    )
    .unwrap();
    let s = score(&m, &said("Timer set for minutes."), Some(&events));
    assert_eq!(
        (s.correct, s.correct_source),
        (Some(true), Some(AnswerSource::Events))
    );
}

#[test]
fn mentions_matches_whole_words_only() {
    let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert!(mentions("Timer set for 15 minutes.", &v(&["15"])));
    assert!(!mentions("Timer set for 150 minutes.", &v(&["15"])));
    assert!(mentions("It's twenty-six.", &v(&["twenty six"])));
    assert!(mentions("about 16.09 kilometers", &v(&["16.09"])));
    assert!(!mentions("often", &v(&["ten"])));
}
