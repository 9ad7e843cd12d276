//! The real session: the same engine `tandem run` drives, on this machine's microphone and
//! speaker, with its events going to the window instead of the terminal.

use std::sync::Arc;

use tandem_core::audio::devices::{self, DeviceList};
use tandem_core::config::Config;
use tandem_core::engine::worker::Pace;
use tandem_core::engine::{EngineModels, EngineStages, live};
use tandem_core::models::{Manifest, ModelCache, runtime};
use tandem_core::reasoning::{ReasonerOptions, TextSource};
use tandem_core::store::Store;
use tandem_core::vision::toggle::CameraToggle;

use super::forward::{CameraState, PlaybackTracker};
use super::{Ready, Session};
use crate::error::{AppError, no_device_message};

/// Loads the models, opens the devices, and runs the interaction loop until stopped. Runs on
/// the `interaction` thread (the VAD is built here because it cannot move between threads).
///
/// # Errors
/// Missing models, missing devices, an engine stage that cannot start, or the audio engine
/// stopping while the conversation runs.
pub fn run_engine(session: &mut Session) -> Result<(), AppError> {
    session.step("Reading the settings");
    let (config, _path) = Config::load()?;

    session.step("Checking the models");
    let (cache, manifest) = check_models(&config)?;
    let rt = runtime::init(&cache, &manifest, config.runtime.execution_provider)?;

    session.step("Looking for a microphone and a speaker");
    check_devices(&devices::list())?;
    if session.should_stop() {
        return Ok(());
    }

    session.step("Loading the models");
    let models = EngineModels::load(rt, &cache, &manifest, &config)?;
    let store = Store::open_default()
        .map_err(|e| AppError::Engine(format!("cannot open the conversation history: {e}")))?;
    if session.should_stop() {
        return Ok(());
    }

    // The camera (off until switched on) is made first: "read this" reads its latest frame on
    // the reasoner's side.
    let mut camera = CameraToggle::from_config(rt, &cache, &manifest, &config);
    let reasoner = ReasonerOptions {
        text_source: Some(camera.text_reader() as Arc<dyn TextSource>),
        ..ReasonerOptions::default()
    };
    session.step("Warming up the voice");
    let (stages, silero) =
        EngineStages::start_with(models, config.llm.clone(), store, Pace::Realtime, reasoner)?;

    session.step("Opening the microphone and the speaker");
    let (mut live_audio, mut engine) =
        live::open_gated(stages, silero, &config, session.mic_gate())?;
    session.ready(Ready {
        input_device: live_audio.input_device.clone(),
        output_device: live_audio.output_device.clone(),
        micro_turn_ms: config.interaction.micro_turn_ms,
    });

    if config.camera.enabled {
        // On in the settings: try now; no camera is reported, not fatal.
        let _ = switch_camera(&mut camera, true, session);
    }
    let mut playback = PlaybackTracker::default();
    while !session.should_stop() {
        while let Some(request) = session.camera_request() {
            let _ = request
                .reply
                .send(switch_camera(&mut camera, request.on, session));
        }
        engine.set_visual(camera.latest());
        let (events, device_events) = live::pump(&mut live_audio, &mut engine)?;
        for d in device_events {
            session.device(d);
        }
        for e in events {
            session.emit(e);
        }
        let sounding = live_audio.player.is_speaking();
        if let Some(m) = playback.update(engine.audio_ms(), sounding) {
            session.notify(m);
        }
    }
    Ok(())
}

/// Switches the camera and tells the UI how it went.
pub(crate) fn switch_camera(
    camera: &mut CameraToggle,
    on: bool,
    session: &Session,
) -> Result<CameraState, AppError> {
    let result = camera.set(on).map_err(AppError::from);
    let state = CameraState {
        on: camera.device().is_some(),
        device: camera.device().map(str::to_owned),
        error: result.as_ref().err().cloned(),
    };
    session.camera(state.clone());
    result.map(|_| state)
}

/// Finds the model cache and checks every model the conversation needs (by hash) before
/// anything heavy starts, so a missing model is one clear error.
///
/// # Errors
/// [`AppError::ModelsMissing`] naming the first missing or damaged file and
/// `tandem models fetch`.
pub fn check_models(config: &Config) -> Result<(ModelCache, Manifest), AppError> {
    let cache = ModelCache::locate(config)?;
    let manifest = Manifest::builtin();
    for artifact in manifest.selected(&["core"]) {
        cache.verified_path(&manifest, &artifact.file)?;
    }
    Ok((cache, manifest))
}

/// A microphone and a speaker are both needed to talk.
///
/// # Errors
/// [`AppError::NoAudioDevice`] saying which is missing and how to fix it.
pub fn check_devices(list: &DeviceList) -> Result<(), AppError> {
    let missing = match (list.has_input(), list.has_output()) {
        (true, true) => return Ok(()),
        (false, false) => "microphone and no speaker",
        (false, true) => "microphone",
        (true, false) => "speaker",
    };
    Err(AppError::NoAudioDevice(no_device_message(
        missing, &list.host,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_model_cache_asks_for_models_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        config.models.dir = Some(dir.path().to_path_buf());
        let err = check_models(&config).expect_err("nothing is cached");
        let AppError::ModelsMissing(message) = &err else {
            panic!("not models_missing: {err:?}");
        };
        assert!(message.contains("tandem models fetch"), "{message}");
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn missing_devices_are_named() {
        let mut list = DeviceList {
            host: "ALSA".into(),
            ..DeviceList::default()
        };
        let err = check_devices(&list).unwrap_err();
        let AppError::NoAudioDevice(m) = &err else {
            panic!("{err:?}");
        };
        assert!(
            m.starts_with("no microphone and no speaker found (audio system: ALSA)"),
            "{m}"
        );

        list.default_output = Some("speaker".into());
        let AppError::NoAudioDevice(m) = check_devices(&list).unwrap_err() else {
            panic!("not no_audio_device");
        };
        assert!(m.starts_with("no microphone found"), "{m}");

        list.default_input = Some("mic".into());
        assert_eq!(check_devices(&list), Ok(()));
    }
}
