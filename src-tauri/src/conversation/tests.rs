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

#[test]
fn the_camera_switch_needs_a_conversation() {
    assert_eq!(
        Conversation::default().set_camera(true),
        Err(AppError::NotRunning)
    );
}

/// A session that serves the camera switch with the real camera stage (real face model, this
/// machine's cameras).
fn camera_session(session: &mut Session) -> Result<(), AppError> {
    use tandem_core::config::{Config, ExecutionProvider};
    use tandem_core::models::{Manifest, ModelCache, runtime};
    use tandem_core::vision::camera::CameraSettings;
    use tandem_core::vision::toggle::CameraToggle;
    let cache = ModelCache::locate(&Config::default())?;
    let manifest = Manifest::builtin();
    let rt = runtime::init(&cache, &manifest, ExecutionProvider::Cpu)?;
    let mut camera = CameraToggle::new(rt, cache, manifest, CameraSettings::default(), 1);
    session.ready(ready());
    while !session.should_stop() {
        while let Some(r) = session.camera_request() {
            let _ = r
                .reply
                .send(super::session::switch_camera(&mut camera, r.on, session));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(())
}

#[test]
fn switching_the_camera_on_says_what_happened_and_the_conversation_goes_on() {
    let conversation = Conversation::default();
    let (channel, seen) = recording_channel();
    let ready_rx = conversation.start(channel, camera_session).unwrap();
    assert_eq!(ready_rx.recv().unwrap(), Ok(()));
    let cameras = tandem_core::vision::camera::list().unwrap_or_default();
    match conversation.set_camera(true) {
        Ok(state) => {
            assert!(!cameras.is_empty(), "on without a camera: {state:?}");
            assert!(state.on && state.device.is_some(), "{state:?}");
        }
        Err(AppError::Camera(message)) => {
            assert!(cameras.is_empty(), "{cameras:?} but: {message}");
            assert!(
                message.contains("fix") || message.contains("camera"),
                "{message}"
            );
        }
        Err(other) => panic!("unexpected {other:?}"),
    }
    let off = conversation.set_camera(false).unwrap();
    assert!(!off.on && off.device.is_none() && off.error.is_none());
    assert_eq!(conversation.status().state, RunState::Running);
    wait_for("the camera messages", || {
        messages(&seen)
            .iter()
            .filter(|m| m["type"] == "camera")
            .count()
            >= 2
    });
    let camera: Vec<serde_json::Value> = messages(&seen)
        .into_iter()
        .filter(|m| m["type"] == "camera")
        .collect();
    assert_eq!(camera[1]["camera"]["on"], false);
    if cameras.is_empty() {
        assert_eq!(camera[0]["camera"]["error"]["kind"], "camera");
    }
    conversation.stop();
}

#[test]
fn the_microphone_switch_reaches_the_session_gate_and_outlives_it() {
    let conversation = Conversation::default();
    assert!(conversation.status().mic_live, "live by default");
    // Muted before Start: the session's gate is closed from its first frame.
    assert!(!conversation.set_microphone(false));
    let (gate_tx, gate_rx) = std::sync::mpsc::channel();
    let (channel, _seen) = recording_channel();
    let ready_rx = conversation
        .start(channel, move |s: &mut Session| {
            gate_tx.send(s.mic_gate()).unwrap();
            s.ready(ready());
            while !s.should_stop() {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        })
        .unwrap();
    ready_rx.recv().unwrap().unwrap();
    let gate = gate_rx.recv().unwrap();
    assert!(!gate.is_open());
    assert!(!conversation.status().mic_live);
    // Push-to-talk: held, released.
    assert!(conversation.set_microphone(true));
    assert!(gate.is_open());
    assert!(conversation.status().mic_live);
    conversation.set_microphone(false);
    assert!(!gate.is_open());
    conversation.stop();
    assert!(
        !conversation.status().mic_live,
        "the mute outlives the conversation"
    );
}
