//! Commands to things Tandem is not connected to (the lights, doors, the heating, music and the
//! TV, phone calls, messages, shops, this computer's settings and apps): an honest "I can't"
//! that names the thing, instead of a language model's invention. The small local model
//! answered "Lock the back door" with "I'll lock the doors and let everyone in" and "Make the
//! screen brighter" with "I'm sorry for your loss. I'll make it brighter tomorrow."
//!
//! Only commands: the first word (after "please", "can you" and the like) is the verb, so
//! questions about these things ("How do I turn off the lights in my car?", "What's a good
//! song to play at a wedding?") still go to the language model.

use super::{Outcome, SkillAnswer, SkillEnv, has, has_any};

/// What a command reaches, named as the answer names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reach {
    /// Something in the home, e.g. "the lights".
    Home(&'static str),
    Media,
    Calls,
    Messages,
    Shops,
    Computer,
}

/// Words before the verb that do not change the command.
const OPENERS: &[&str] = &[
    "please", "just", "hey", "tandem", "okay", "ok", "now", "and", "also", "so", "oh", "then",
];

/// Things in a home, and what to call them.
const HOME: &[(&[&str], &str)] = &[
    (
        &["light", "lights", "lamp", "lamps", "bulb", "bulbs"],
        "the lights",
    ),
    (
        &["door", "doors", "lock", "locks", "gate", "gates", "garage"],
        "doors or locks",
    ),
    (
        &[
            "blinds", "blind", "curtains", "curtain", "shades", "shutters", "window", "windows",
        ],
        "windows or blinds",
    ),
    (
        &[
            "thermostat",
            "heating",
            "heater",
            "heat",
            "radiator",
            "radiators",
            "ac",
            "conditioning",
            "conditioner",
            "fan",
            "fans",
            "temperature",
        ],
        "the heating or cooling",
    ),
    (
        &[
            "dishwasher",
            "washer",
            "dryer",
            "oven",
            "stove",
            "kettle",
            "coffee",
            "vacuum",
            "fridge",
            "sprinkler",
            "sprinklers",
            "appliance",
            "appliances",
        ],
        "appliances",
    ),
];

/// What plays sound or pictures.
const MEDIA: &[&str] = &[
    "music",
    "song",
    "songs",
    "track",
    "tracks",
    "playlist",
    "album",
    "radio",
    "podcast",
    "tv",
    "television",
    "speaker",
    "speakers",
    "stereo",
    "video",
    "movie",
    "netflix",
    "youtube",
];

/// This computer's settings, programs and power.
const COMPUTER: &[&str] = &[
    "screen",
    "brightness",
    "display",
    "wallpaper",
    "wifi",
    "bluetooth",
    "computer",
    "laptop",
    "browser",
    "app",
    "apps",
    "application",
    "program",
    "terminal",
    "settings",
];

/// Verbs that operate a thing named after them ("turn the TV off", "dim the lights").
const OPERATE: &[&str] = &[
    "turn", "switch", "dim", "brighten", "lock", "unlock", "open", "close", "shut", "lower",
    "raise", "set", "start", "stop", "mute", "unmute", "make", "change", "increase", "decrease",
    "adjust", "put", "pause", "resume", "run", "enable", "disable", "launch", "restart", "reboot",
];

pub(super) fn answer(t: &[String], _env: &SkillEnv<'_>) -> Option<Outcome> {
    let reach = reach(t)?;
    let text = match reach {
        Reach::Home(what) => {
            format!("I can't control {what}: I'm not connected to anything in your home.")
        }
        Reach::Media => {
            "I can't play music or work the TV or speakers: I'm not connected to a player.".into()
        }
        Reach::Calls => "I can't make phone calls: I'm not connected to a phone.".into(),
        Reach::Messages => {
            "I can't send texts, messages or email: I'm not connected to any account.".into()
        }
        Reach::Shops => {
            "I can't order, buy or book anything: I'm not connected to any shop or service.".into()
        }
        Reach::Computer => "I can't change this computer's settings or open its apps yet.".into(),
    };
    Some(Outcome::Answer(SkillAnswer::say("devices", text)))
}

/// What the command in `t` would reach, if it is one.
fn reach(t: &[String]) -> Option<Reach> {
    let start = t
        .iter()
        .position(|w| !OPENERS.contains(&w.as_str()))
        .unwrap_or(t.len());
    let (verb, rest) = t[start..].split_first()?;
    if rest.is_empty() {
        return None;
    }
    let verb = verb.as_str();
    let object = |w: &[&str]| has_any(rest, w);
    let home = || {
        HOME.iter()
            .find(|(words, _)| object(words))
            .map(|(_, what)| Reach::Home(what))
    };
    match verb {
        // "Play a game with me" is for the language model.
        "play" | "skip" | "shuffle" => (!object(&["game", "games"])).then_some(Reach::Media),
        // "Call me Bob" names; "call it a day" is an idiom.
        "call" | "ring" | "phone" | "dial" => {
            (!matches!(rest[0].as_str(), "me" | "it" | "that" | "this")).then_some(Reach::Calls)
        }
        "text" | "message" | "email" | "send" | "reply" => Some(Reach::Messages),
        // "Order of the planets from the sun?" asks about an order.
        "order" if rest[0] == "of" => None,
        "order" | "buy" | "book" | "reserve" | "purchase" => Some(Reach::Shops),
        // "Shut down" alone or with the computer is this computer; with a thing of the home
        // ("Shut down the heating", answered as the computer until 2026-12-08), that thing.
        "shut" | "restart" | "reboot" if has(rest, &["down"]) || object(COMPUTER) => {
            if object(COMPUTER) {
                Some(Reach::Computer)
            } else {
                home().or(Some(Reach::Computer))
            }
        }
        _ if OPERATE.contains(&verb) => {
            if object(MEDIA) {
                Some(Reach::Media)
            } else if object(COMPUTER) {
                Some(Reach::Computer)
            } else if let Some(home) = home() {
                Some(home)
            } else if verb == "put" && rest[0] == "on" {
                // "Put on some jazz."
                Some(Reach::Media)
            } else if matches!(verb, "open" | "launch" | "close") && !object(&["note", "notes"]) {
                // "Open Spotify."
                Some(Reach::Computer)
            } else {
                None
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::reasoning::skills::test_env::TestEnv;

    #[test]
    fn commands_to_things_we_are_not_connected_to_get_an_honest_answer() {
        let env = TestEnv::new();
        for (q, start) in [
            ("Turn off the lights.", "I can't control the lights"),
            (
                "Could you dim the bedroom lamp?",
                "I can't control the lights",
            ),
            ("Lock the back door.", "I can't control doors or locks"),
            ("Please open the garage.", "I can't control doors or locks"),
            ("Lower the blinds.", "I can't control windows or blinds"),
            (
                "Set the thermostat to 70 degrees.",
                "I can't control the heating",
            ),
            (
                "Turn the air conditioning down.",
                "I can't control the heating",
            ),
            ("Start the dishwasher.", "I can't control appliances"),
            ("Play some music.", "I can't play music"),
            ("Can you put on some jazz?", "I can't play music"),
            ("Turn the TV off.", "I can't play music"),
            ("Skip this track.", "I can't play music"),
            ("Call my mom.", "I can't make phone calls"),
            ("Ring the dentist.", "I can't make phone calls"),
            ("Text Sarah that I'm running late.", "I can't send texts"),
            ("Send an email to my boss.", "I can't send texts"),
            ("Order more printer paper.", "I can't order"),
            ("Book a table for two tonight.", "I can't order"),
            ("Make the screen brighter.", "I can't change this computer"),
            ("Open Spotify.", "I can't change this computer"),
            ("Shut down the computer.", "I can't change this computer"),
            ("Shut down.", "I can't change this computer"),
            ("Shut down the heating.", "I can't control the heating"),
            ("Shut down the dishwasher.", "I can't control"),
            ("Shut the garage door.", "I can't control"),
            ("Shut the front door.", "I can't control doors or locks"),
        ] {
            let a = env.answer(q);
            assert_eq!(a.skill, "devices", "{q:?} -> {}", a.text);
            assert!(a.text.starts_with(start), "{q:?} -> {}", a.text);
        }
    }

    #[test]
    fn questions_about_those_things_and_our_own_skills_are_not_commands_to_them() {
        let env = TestEnv::new();
        for q in [
            "How do I turn off the lights in my car?",
            "What's a good song to play at a wedding?",
            "Who invented the light bulb?",
            "Play a game with me.",
            "Call me Bob.",
            "Order of the planets from the sun?",
            "Why do doors squeak?",
            "Make a note to buy milk.",
            "Remind me to lock the door at nine.",
            "Set a timer for ten minutes.",
            "Stop.",
            "Turn it off.",
        ] {
            assert_ne!(env.skill(q), "devices", "{q:?}");
        }
    }
}
