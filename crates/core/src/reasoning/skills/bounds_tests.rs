//! Untrusted numbers and strings, from the user's words or a model's tool call: out of range
//! gets a spoken refusal and changes nothing, never an overflow or a panic.

use serde_json::json;

use super::test_env::TestEnv;
use crate::reasoning::llm::tools;

#[test]
fn a_reminder_too_far_ahead_is_refused_by_voice() {
    let env = TestEnv::new();
    for text in [
        "remind me in 99999999999999999999 days to stretch",
        "remind me in 400 days to renew the passport",
    ] {
        assert_eq!(
            env.say(text),
            "I can set reminders from one second up to a year ahead.",
            "{text}"
        );
    }
    assert!(env.timers.list().is_empty(), "nothing was set");
    // The range itself still works.
    assert!(
        env.say("remind me in 300 days to renew the passport")
            .starts_with("Okay")
    );
    assert_eq!(env.timers.list().len(), 1);
}

#[test]
fn tool_calls_with_numbers_out_of_range_are_refused() {
    let env = TestEnv::new();
    let cases = [
        (
            "set_reminder",
            json!({"text": "stretch", "in_seconds": 1e300}),
        ),
        (
            "set_reminder",
            json!({"text": "stretch", "in_seconds": "1e300"}),
        ),
        (
            "set_reminder",
            json!({"text": "stretch", "in_seconds": "inf"}),
        ),
        (
            "set_reminder",
            json!({"text": "stretch", "in_seconds": "NaN"}),
        ),
        (
            "set_reminder",
            json!({"text": "stretch", "in_seconds": 1e12}),
        ),
        ("set_reminder", json!({"text": "stretch", "in_seconds": -5})),
        ("set_timer", json!({"seconds": 1e300})),
        ("set_timer", json!({"seconds": "NaN"})),
        ("set_timer", json!({"seconds": "-inf"})),
        ("set_timer", json!({"seconds": 1e9})),
        (
            "convert_units",
            json!({"value": 1e300, "from": "miles", "to": "km"}),
        ),
    ];
    for (name, args) in cases {
        let out = tools::call(name, &args, &env.env());
        let said = out.content.to_lowercase();
        assert!(
            said.contains("refused") || said.contains("up to") || said.contains("needs"),
            "{name} {args}: {said}"
        );
    }
    assert!(env.timers.list().is_empty(), "nothing was set");
    let fine = tools::call("set_timer", &json!({"seconds": 90}), &env.env());
    assert_eq!(fine.content, "Timer set for 1 minute and 30 seconds.");
}

#[test]
fn tool_calls_with_overlong_or_nested_arguments_are_refused() {
    let env = TestEnv::new();
    let long = "a".repeat(100_000);
    let cases = [
        ("remember_note", json!({ "text": long })),
        (
            "calculate",
            json!({ "expression": "1+".repeat(10_000) + "1" }),
        ),
        ("set_timer", json!({"seconds": 60, "label": long})),
        ("recall_notes", json!({"query": {"nested": [1, 2, 3]}})),
    ];
    for (name, args) in cases {
        let out = tools::call(name, &args, &env.env());
        let head: String = out.content.chars().take(80).collect();
        assert!(out.content.starts_with("refused:"), "{name}: {head}");
    }
    assert!(env.store.notes().unwrap().is_empty());
    assert!(env.timers.list().is_empty());
}
