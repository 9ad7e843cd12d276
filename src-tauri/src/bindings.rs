//! The TypeScript side of every type that crosses the IPC boundary, generated from the Rust
//! types with `ts-rs` into `ui/src/bindings.ts` (committed). The test below regenerates the file
//! in memory and fails when the committed one differs, so a Rust change that the UI has not
//! caught up with fails `cargo test` instead of a conversation.
//!
//! To update the file after changing a type: `TANDEM_UPDATE_BINDINGS=1 cargo test -p tandem-app
//! bindings`, then `npm run typecheck`.

use std::path::PathBuf;

use ts_rs::{Config, TS};

/// Where the UI imports the bindings from.
pub fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts")
}

const HEADER: &str = "\
// Generated from the Rust types by src-tauri/src/bindings.rs (ts-rs): do not edit by hand.
// Update: TANDEM_UPDATE_BINDINGS=1 cargo test -p tandem-app bindings
//
// Types only: this file compiles to nothing, so pure modules can import it and still run under
// plain Node in the tests. 64-bit integers are numbers (times in ms, ids, counts: all far below
// 2^53).
";

fn export<T: TS>(cfg: &Config, out: &mut String) {
    out.push_str("\nexport ");
    out.push_str(&T::decl(cfg));
    out.push('\n');
}

/// The whole file.
pub fn render() -> String {
    use tandem_core::{audio, doctor, engine, interaction, models, store};

    use crate::conversation::{self as conv, forward};

    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(HEADER);
    // Engine events (the `tandem duplex --events` contract) and what carries them.
    export::<engine::Event>(&cfg, &mut out);
    export::<engine::EventKind>(&cfg, &mut out);
    export::<interaction::Floor>(&cfg, &mut out);
    export::<interaction::SpeechKind>(&cfg, &mut out);
    export::<interaction::NotAddressedReason>(&cfg, &mut out);
    export::<interaction::TextProbs>(&cfg, &mut out);
    export::<models::asr::Word>(&cfg, &mut out);
    export::<audio::DeviceEvent>(&cfg, &mut out);
    export::<audio::stream::Direction>(&cfg, &mut out);
    export::<audio::stream::FailureKind>(&cfg, &mut out);
    export::<forward::UiMessage>(&cfg, &mut out);
    export::<forward::Batch>(&cfg, &mut out);
    export::<forward::Phase>(&cfg, &mut out);
    export::<forward::CameraState>(&cfg, &mut out);
    // Commands.
    export::<crate::AppError>(&cfg, &mut out);
    export::<conv::ConversationStatus>(&cfg, &mut out);
    export::<conv::RunState>(&cfg, &mut out);
    export::<crate::commands::LaunchOptions>(&cfg, &mut out);
    export::<doctor::Report>(&cfg, &mut out);
    export::<doctor::ProviderStatus>(&cfg, &mut out);
    export::<doctor::ModelStatus>(&cfg, &mut out);
    export::<doctor::Problem>(&cfg, &mut out);
    export::<crate::settings::SettingsForm>(&cfg, &mut out);
    export::<crate::settings::SettingsView>(&cfg, &mut out);
    export::<crate::settings::FieldError>(&cfg, &mut out);
    export::<crate::settings::SaveOutcome>(&cfg, &mut out);
    export::<crate::history::HistoryPage>(&cfg, &mut out);
    export::<store::TurnRecord>(&cfg, &mut out);
    export::<store::TurnStatus>(&cfg, &mut out);
    export::<crate::llm_check::LlmReach>(&cfg, &mut out);
    export::<crate::setup::ModelsState>(&cfg, &mut out);
    export::<crate::setup::FetchProgress>(&cfg, &mut out);
    export::<crate::setup::FetchSummary>(&cfg, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bindings_ts_matches_the_rust_types() {
        let want = render();
        let path = path();
        if std::env::var_os("TANDEM_UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        if have != want {
            let line = have
                .lines()
                .zip(want.lines())
                .position(|(a, b)| a != b)
                .unwrap_or_else(|| have.lines().count().min(want.lines().count()));
            panic!(
                "{} differs from the Rust types (first at line {}: `{}`, generated `{}`); \
                 update it with `TANDEM_UPDATE_BINDINGS=1 cargo test -p tandem-app bindings` \
                 and commit it",
                path.display(),
                line + 1,
                have.lines().nth(line).unwrap_or("<end of file>"),
                want.lines().nth(line).unwrap_or("<end of file>"),
            );
        }
    }
}
