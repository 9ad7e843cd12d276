//! The conversation's life cycle with fake sessions: no models, no devices.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tandem_core::engine::{Event, EventKind};
use tandem_core::interaction::Floor;
use tauri::ipc::{Channel, InvokeResponseBody};

use super::*;

type Seen = Arc<Mutex<Vec<serde_json::Value>>>;

fn recording_channel() -> (Channel<Batch>, Seen) {
    let seen: Seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let channel = Channel::new(move |body: InvokeResponseBody| {
        if let InvokeResponseBody::Json(json) = body {
            sink.lock()
                .unwrap()
                .push(serde_json::from_str(&json).unwrap());
        }
        Ok(())
    });
    (channel, seen)
}

/// Every message received so far, flattened out of their batches.
fn messages(seen: &Seen) -> Vec<serde_json::Value> {
    seen.lock()
        .unwrap()
        .iter()
        .flat_map(|b| b["messages"].as_array().unwrap().clone())
        .collect()
}

fn ready() -> Ready {
    Ready {
        input_device: "mic".into(),
        output_device: "speaker".into(),
        micro_turn_ms: 200,
    }
}

fn floor(t_ms: u64, floor: Floor) -> Event {
    Event {
        t_ms,
        kind: EventKind::Floor { floor },
    }
}

/// A session that becomes ready, reports two floor changes, and runs until stopped.
fn fake_session(session: &mut Session) -> Result<(), AppError> {
    session.step("Loading the models");
    session.ready(ready());
    session.emit(floor(200, Floor::Listening));
    session.emit(floor(400, Floor::UserSpeaking));
    while !session.should_stop() {
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let t0 = Instant::now();
    while !done() {
        assert!(
            t0.elapsed() < Duration::from_secs(5),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn starts_reports_events_and_stops() {
    let conversation = Conversation::default();
    assert_eq!(conversation.status().state, RunState::Idle);
    let (channel, seen) = recording_channel();

    let ready_rx = conversation.start(channel, fake_session).unwrap();
    assert_eq!(ready_rx.recv().unwrap(), Ok(()));
    wait_for("both floor events", || {
        conversation.status().events_sent >= 4
    });

    let status = conversation.status();
    assert_eq!(status.state, RunState::Running);
    assert_eq!(status.input_device.as_deref(), Some("mic"));
    assert_eq!(status.output_device.as_deref(), Some("speaker"));
    assert_eq!(status.floor, Some(Floor::UserSpeaking));
    assert_eq!(status.events_dropped, 0);

    let status = conversation.stop();
    assert_eq!(status.state, RunState::Idle);
    assert_eq!(status.floor, None);
    assert_eq!(status.last_error, None);

    let all = messages(&seen);
    let kinds: Vec<String> = all
        .iter()
        .map(|m| match m["type"].as_str().unwrap() {
            "phase" => format!("phase:{}", m["phase"]["phase"].as_str().unwrap()),
            "event" => format!("event:{}", m["event"]["floor"].as_str().unwrap()),
            other => other.to_owned(),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "phase:starting",
            "phase:running",
            "event:listening",
            "event:user_speaking",
            "phase:stopped"
        ]
    );
    assert_eq!(all[1]["phase"]["input_device"], "mic");
    assert_eq!(all[4]["phase"]["error"], serde_json::Value::Null);
}

#[test]
fn a_second_start_is_refused_while_one_runs() {
    let conversation = Conversation::default();
    let (channel, _seen) = recording_channel();
    let ready_rx = conversation.start(channel.clone(), fake_session).unwrap();
    ready_rx.recv().unwrap().unwrap();
    assert_eq!(
        conversation
            .start(channel.clone(), fake_session)
            .unwrap_err(),
        AppError::AlreadyRunning
    );
    conversation.stop();
    // After stopping, a new conversation starts.
    let ready_rx = conversation.start(channel, fake_session).unwrap();
    ready_rx.recv().unwrap().unwrap();
    assert_eq!(conversation.stop().state, RunState::Idle);
}

#[test]
fn a_start_up_failure_is_the_start_result_not_a_stopped_message() {
    let conversation = Conversation::default();
    let (channel, seen) = recording_channel();
    let missing = AppError::ModelsMissing("run `tandem models fetch`".into());
    let err = missing.clone();
    let ready_rx = conversation
        .start(channel, move |s: &mut Session| {
            s.step("Checking the models");
            Err(err)
        })
        .unwrap();
    assert_eq!(ready_rx.recv().unwrap(), Err(missing.clone()));
    wait_for("the thread to end", || {
        conversation.status().state == RunState::Idle
    });
    assert_eq!(conversation.status().last_error, Some(missing));
    let all = messages(&seen);
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["phase"]["phase"], "starting");
    // A finished, failed session does not block the next start.
    let (channel, _seen) = recording_channel();
    let ready_rx = conversation.start(channel, fake_session).unwrap();
    ready_rx.recv().unwrap().unwrap();
    assert_eq!(conversation.status().last_error, None);
    conversation.stop();
}

#[test]
fn a_failure_while_running_ends_with_a_stopped_message_carrying_the_error() {
    let conversation = Conversation::default();
    let (channel, seen) = recording_channel();
    let ready_rx = conversation
        .start(channel, |s: &mut Session| {
            s.ready(ready());
            Err(AppError::Audio("the audio engine stopped".into()))
        })
        .unwrap();
    ready_rx.recv().unwrap().unwrap();
    wait_for("the stopped message", || {
        messages(&seen)
            .iter()
            .any(|m| m["phase"]["phase"] == "stopped")
    });
    let all = messages(&seen);
    let stopped = all.last().unwrap();
    assert_eq!(
        stopped["phase"]["error"],
        serde_json::json!({"kind": "audio", "message": "the audio engine stopped"})
    );
    assert_eq!(conversation.stop().state, RunState::Idle);
}

#[test]
fn a_panicking_session_is_an_internal_error() {
    let conversation = Conversation::default();
    let (channel, _seen) = recording_channel();
    let ready_rx = conversation
        .start(channel, |_s: &mut Session| -> Result<(), AppError> {
            panic!("boom")
        })
        .unwrap();
    let result = ready_rx.recv().unwrap();
    assert!(matches!(result, Err(AppError::Internal(_))), "{result:?}");
}

#[test]
fn stopping_while_starting_ends_cleanly() {
    let conversation = Conversation::default();
    let (channel, _seen) = recording_channel();
    let ready_rx = conversation
        .start(channel, |s: &mut Session| {
            s.step("Loading the models");
            while !s.should_stop() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(conversation.status().state, RunState::Starting);
    let status = conversation.stop();
    assert_eq!(status.state, RunState::Idle);
    assert_eq!(ready_rx.recv().unwrap(), Ok(()));
}

#[test]
fn stop_without_a_conversation_is_a_no_op() {
    let conversation = Conversation::default();
    assert_eq!(conversation.stop(), ConversationStatus::idle());
}
