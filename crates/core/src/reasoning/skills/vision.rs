//! "What do you see?": answers from the visual context the camera stage provides. "Read this"
//! reads the camera's latest frame through the [`crate::reasoning::TextSource`] when the
//! request's context has no text yet: about a second of OCR, so only on final text.

use super::{Outcome, SkillAnswer, SkillEnv, has, has_any, is_one_of, starts};
use crate::reasoning::VisualContext;

const SEE: &[&[&str]] = &[
    &["what", "do", "you", "see"],
    &["what", "can", "you", "see"],
    &["what", "are", "you", "seeing"],
    &["what", "is", "in", "front", "of", "you"],
    &["what", "is", "on", "the", "camera"],
    &["describe", "what", "you", "see"],
    &["look", "at", "me"],
    &["can", "you", "see", "me"],
    &["see", "me"],
    &["do", "you", "see", "me"],
    &["can", "you", "see"],
    &["is", "anyone", "there"],
    &["is", "anybody", "there"],
    &["is", "someone", "there"],
    &["is", "somebody", "there"],
    &["am", "i", "on", "camera"],
    &["am", "i", "in", "the", "picture"],
    &["am", "i", "in", "frame"],
    &["am", "i", "in", "the", "frame"],
    &["am", "i", "visible"],
    &["how", "many", "people"],
    &["how", "many", "faces"],
    &["how", "many", "people", "do", "you", "see"],
    &["how", "many", "people", "are", "there"],
    &["am", "i", "looking", "at", "you"],
    &["are", "you", "looking", "at", "me"],
];

const READ: &[&[&str]] = &[
    &["what", "does", "this", "say"],
    &["what", "does", "that", "say"],
    &["what", "does", "it", "say"],
    &["what", "is", "written", "here"],
    &["what", "is", "written", "on", "this"],
    &["what", "is", "written", "on", "it"],
    &["read", "this"],
    &["read", "that"],
    &["read", "it"],
    &["read", "this", "to", "me"],
    &["read", "this", "out"],
    &["read", "it", "out"],
    &["read", "that", "out"],
    &["read", "this", "for", "me"],
    &["what", "is", "on", "this", "page"],
    &["what", "is", "on", "this", "sign"],
    &["what", "is", "on", "the", "screen"],
    &["can", "you", "read", "this"],
    &["can", "you", "read", "that"],
    &["what", "text", "do", "you", "see"],
];

fn people(v: &VisualContext) -> String {
    if !v.person_present && v.faces == 0 {
        "I don't see anyone right now.".to_owned()
    } else if v.faces > 1 {
        format!("I can see {} people.", v.faces)
    } else if v.facing {
        "I can see you, and you're facing me.".to_owned()
    } else {
        "I can see you, but you're looking away.".to_owned()
    }
}

pub(super) fn answer(t: &[String], env: &SkillEnv<'_>) -> Option<Outcome> {
    let read = is_one_of(t, READ)
        || starts(t, &["read", "the", "text"])
        || (has_any(t, &["read"]) && has(t, &["sign"]));
    let see = read || is_one_of(t, SEE) || SEE.iter().any(|p| p.len() >= 4 && starts(t, p));
    if !see {
        return None;
    }
    let say = |text: String| {
        Some(Outcome::Answer(
            SkillAnswer::say("vision", text).with_progress("taking a look..."),
        ))
    };
    let Some(v) = env.visual else {
        return say(CAMERA_OFF.to_owned());
    };
    if read {
        if v.ocr_text.is_none() && env.text_source.is_some() && !env.commit {
            // Reading costs about a second: once, for the final text.
            return Some(Outcome::NeedsFinal);
        }
        return say(match text_in_view(v, env) {
            Ok(Some(text)) => format!("It says: {text}"),
            Ok(None) => {
                "I don't see any text I can read. Try holding it closer to the camera.".to_owned()
            }
            Err(()) => READ_FAILED.to_owned(),
        });
    }
    if has(t, &["how", "many"]) {
        return say(match v.faces {
            0 if !v.person_present => "I don't see anyone.".to_owned(),
            0 | 1 => "I see one person.".to_owned(),
            n => format!("I see {n} people."),
        });
    }
    if has(t, &["looking", "at"]) {
        return say(match (v.person_present, v.facing) {
            (false, _) => "I don't see anyone right now.".to_owned(),
            (true, true) => "Yes, you're facing me.".to_owned(),
            (true, false) => "No, you seem to be looking away.".to_owned(),
        });
    }
    say(describe(env, false))
}

const CAMERA_OFF: &str =
    "The camera is off, so I can't see anything. You can turn it on in settings.";

const READ_FAILED: &str = "Sorry, I can't read text right now. If the text-reading model is \
     missing, tandem models fetch installs it.";

/// The text in view as one line to speak (line breaks become spaces: lines of a paragraph
/// run on): the context's, else (when a text source is there) read from the latest frame
/// now. `Err` when reading failed (logged).
fn text_in_view(v: &VisualContext, env: &SkillEnv<'_>) -> Result<Option<String>, ()> {
    let nonempty = |s: &str| {
        Some(s.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|s| !s.is_empty())
    };
    if let Some(text) = v.ocr_text.as_deref() {
        return Ok(nonempty(text));
    }
    let Some(source) = env.text_source else {
        return Ok(None);
    };
    match source.read_text() {
        Ok(text) => Ok(text.as_deref().and_then(nonempty)),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the text in view");
            Err(())
        }
    }
}

/// Everything in view, in a sentence or two. With `read`, text in view is read now when the
/// context has none yet (slow; for the language model's camera tool, which promises text).
pub(crate) fn describe(env: &SkillEnv<'_>, read: bool) -> String {
    let Some(v) = env.visual else {
        return CAMERA_OFF.to_owned();
    };
    let mut out = people(v);
    let text = if read {
        text_in_view(v, env).ok().flatten()
    } else {
        v.ocr_text
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(text) = text {
        out.push_str(&format!(" There's some text too: {text}"));
    }
    out
}
