//! Table-driven tests of every skill, phrased the way ASR writes speech: numbers as words,
//! fillers, no punctuation, course corrections.

use super::test_env::TestEnv;
use super::{Outcome, notes, timer};
use crate::reasoning::{AssistantContext, Control, Message, VisualContext};

/// Asserts that each phrasing gets an answer containing `want`.
fn expect_all(env: &TestEnv, cases: &[(&str, &str)]) {
    for (input, want) in cases {
        let said = env.say(input);
        assert!(
            said.contains(want),
            "{input:?} -> {said:?}, wanted {want:?}"
        );
    }
}

#[test]
fn time_of_day() {
    let env = TestEnv::new();
    let phrasings = [
        "what time is it",
        "What's the time?",
        "um what time is it",
        "time",
        "tell me the time",
        "do you have the time",
        "what is the time now",
        "hey tandem what time is it please",
        "uh so like what time is it",
        "can you tell me what time it is",
        "current time",
        "whats the time",
        "what time is it right now",
    ];
    for p in phrasings {
        let a = env.answer(p);
        assert_eq!(
            (a.skill, a.text.as_str()),
            ("clock", "It's 3:07 PM."),
            "{p:?}"
        );
    }
}

#[test]
fn dates() {
    let env = TestEnv::new();
    expect_all(
        &env,
        &[
            ("what's the date", "Today is Tuesday, June 9, 2026."),
            ("what day is it", "Tuesday, June 9"),
            ("what is today's date", "Tuesday"),
            ("what day of the week is it", "Tuesday"),
            ("which day is it today", "Tuesday"),
            ("um what's the date today", "June 9, 2026"),
            (
                "what day is tomorrow",
                "Tomorrow is Wednesday, June 10, 2026.",
            ),
            (
                "what was the date yesterday",
                "Yesterday was Monday, June 8",
            ),
            ("what year is it", "It's 2026."),
            ("what month is it", "It's June."),
        ],
    );
}

#[test]
fn arithmetic() {
    let env = TestEnv::new();
    let cases = [
        ("what is seventeen times twenty three", "391"),
        ("What's 17 x 23?", "391"),
        ("17*23", "391"),
        ("um what is uh seventeen times twenty three", "391"),
        ("how much is a hundred and ten plus five", "115"),
        ("what's two plus three times four", "14"),
        ("what is ten divided by four", "2.5"),
        ("what is 10 / 4", "2.5"),
        ("what is nine minus twelve", "minus 3"),
        ("square root of one hundred forty four", "12"),
        ("what is the square root of 2", "about 1.4142"),
        ("what is fifteen percent of eighty", "12"),
        ("two to the power of ten", "1024"),
        ("five squared", "25"),
        ("add five and seven", "12"),
        ("add 5 to 7", "12"),
        ("subtract three from ten", "7"),
        ("multiply six by seven", "42"),
        ("divide ten by four", "2.5"),
        ("what is the sum of 1 and 2 and 3", "6"),
        ("what's seven times eight or rather nine", "63"),
        ("what is 5 plus 3 scratch that 6 plus 3", "9"),
        ("what is 1 divided by 3", "about 0.3333"),
        (
            "what is ten divided by zero",
            "Dividing by zero isn't defined.",
        ),
        ("what's three point five times two", "7"),
        ("what is half of 50", "25"),
        ("what's 2,000 minus 1", "1999"),
        ("calculate 12 times 12", "144"),
        ("what is negative 5 plus 2", "minus 3"),
        ("what does 6 times 7 equal", "42"),
        ("what is one thousand two hundred divided by twelve", "100"),
        ("5 factorial", "120"),
        ("What's 3 to the 4th?", "81"),
        ("what is four to the third power", "64"),
        ("two to the fifth", "32"),
    ];
    for (input, want) in cases {
        let a = env.answer(input);
        assert_eq!(a.skill, "math", "{input:?} -> {a:?}");
        assert!(
            a.text.contains(want),
            "{input:?} -> {:?}, wanted {want:?}",
            a.text
        );
    }
    assert_eq!(
        env.say("what is seventeen times twenty three"),
        "17 times 23 is 391."
    );
}

#[test]
fn unit_conversion() {
    let env = TestEnv::new();
    let cases = [
        (
            "convert five miles to kilometers",
            "5 miles is about 8.047 kilometers.",
        ),
        ("how many feet in a mile", "5280 feet"),
        ("how many feet are there in a mile", "5280 feet"),
        (
            "what is 100 degrees fahrenheit in celsius",
            "37.78 degrees Celsius",
        ),
        ("how many grams are in two pounds", "907.2 grams"),
        ("5 km in miles", "3.107 miles"),
        ("convert 30 celsius to fahrenheit", "86 degrees Fahrenheit"),
        ("how many cups in a gallon", "16 cups"),
        (
            "60 miles per hour in kilometers per hour",
            "96.56 kilometers per hour",
        ),
        ("how many seconds in a day", "86400 seconds"),
        ("convert 1 gigabyte to megabytes", "1000 megabytes"),
        ("convert 5 miles to kilometers no to meters", "8047 meters"),
        (
            "minus 40 celsius in fahrenheit",
            "minus 40 degrees Fahrenheit",
        ),
        ("um what's like 10 kilograms in pounds", "22.05 pounds"),
        ("convert 5 miles to kilograms", "different things"),
        ("what is 3 feet in inches", "36 inches"),
    ];
    for (input, want) in cases {
        let a = env.answer(input);
        assert_eq!(a.skill, "units", "{input:?} -> {a:?}");
        assert!(
            a.text.contains(want),
            "{input:?} -> {:?}, wanted {want:?}",
            a.text
        );
    }
}

#[test]
fn timers_from_many_phrasings() {
    let cases: [(&str, f64, Option<&str>); 16] = [
        ("set a timer for ten minutes", 600.0, None),
        ("set a timer for ten no fifteen minutes", 900.0, None),
        ("um set a timer for like twenty five minutes", 1500.0, None),
        ("timer for an hour and a half", 5400.0, None),
        ("set a timer for half an hour", 1800.0, None),
        ("start a five minute timer", 300.0, None),
        ("set a pasta timer for 8 minutes", 480.0, Some("pasta")),
        (
            "set a timer for 10 minutes for the eggs",
            600.0,
            Some("eggs"),
        ),
        ("set a timer for 1 hour 30", 5400.0, None),
        ("set a timer for ninety seconds", 90.0, None),
        ("set a timer for a couple of minutes", 120.0, None),
        (
            "set a timer for ten minutes no wait fifteen seconds",
            15.0,
            None,
        ),
        ("set a timer for 2 minutes and 30 seconds", 150.0, None),
        ("timer for a quarter of an hour", 900.0, None),
        ("set a timer for ten I mean twelve minutes", 720.0, None),
        ("can you set a timer for one and a half hours", 5400.0, None),
    ];
    for (input, secs, label) in cases {
        let env = TestEnv::new();
        let a = env.answer(input);
        assert_eq!(a.skill, "timer", "{input:?} -> {a:?}");
        let timers = env.timers.list();
        assert_eq!(timers.len(), 1, "{input:?} -> {a:?}");
        let t = &timers[0];
        assert_eq!(
            (t.due_at_ms - t.created_at_ms) as f64,
            secs * 1000.0,
            "{input:?} -> {a:?}"
        );
        assert_eq!(t.label.as_deref(), label, "{input:?}");
        assert!(a.text.contains("set for"), "{input:?} -> {a:?}");
    }
    let env = TestEnv::new();
    assert_eq!(
        env.say("set a timer for ten minutes"),
        "Timer set for 10 minutes."
    );
    assert_eq!(
        env.say("set a pasta timer for 8 minutes"),
        "Pasta timer set for 8 minutes."
    );
}

#[test]
fn a_timer_without_a_duration_asks_and_takes_the_answer() {
    let mut env = TestEnv::new();
    assert_eq!(env.say("set a timer"), timer::ASK_DURATION);
    assert!(env.timers.list().is_empty());
    env.history = vec![
        Message::user("set a timer"),
        Message::assistant(timer::ASK_DURATION),
    ];
    assert_eq!(env.say("ten minutes"), "Timer set for 10 minutes.");
    assert_eq!(env.timers.list().len(), 1);
}

#[test]
fn an_alarm_without_a_time_asks_for_one_and_takes_the_answer() {
    let mut env = TestEnv::new();
    for asked in ["set an alarm", "wake me up"] {
        assert_eq!(env.say(asked), timer::ASK_ALARM_TIME, "{asked}");
    }
    assert!(env.timers.list().is_empty());
    env.history = vec![
        Message::user("set an alarm"),
        Message::assistant(timer::ASK_ALARM_TIME),
    ];
    assert_eq!(env.say("for 7 am"), "Alarm set for tomorrow at 7:00 AM.");
    assert_eq!(env.timers.list().len(), 1);
    // A timer without a duration still asks for one.
    env.history.clear();
    assert_eq!(env.say("set an alarm timer"), timer::ASK_DURATION);
}

#[test]
fn reminders() {
    let env = TestEnv::new();
    let cases = [
        (
            "remind me to call mom in ten minutes",
            "Okay, I'll remind you to call mom in 10 minutes.",
            "call mom",
        ),
        (
            "remind me in 5 minutes to check the oven",
            "to check the oven in 5 minutes",
            "check the oven",
        ),
        (
            "in 20 minutes remind me to take the cake out",
            "to take the cake out in 20 minutes",
            "take the cake out",
        ),
        (
            "remind me at 5 pm to call my sister",
            "to call your sister at 5:00 PM",
            "call my sister",
        ),
        (
            "remind me tomorrow at 9 am to water the plants",
            "tomorrow at 9:00 AM",
            "water the plants",
        ),
        ("remind me at half past six to cook", "at 6:30 PM", "cook"),
        ("remind me at 17:45 to leave", "at 5:45 PM", "leave"),
        (
            "Remind me to take my pills every day at 8.",
            "I can't repeat reminders yet, so I'll remind you to take your pills at 8:00 PM, just this once.",
            "take my pills",
        ),
        (
            "Set a reminder for tomorrow at noon to pay rent.",
            "Okay, I'll remind you to pay rent tomorrow at 12:00 PM.",
            "pay rent",
        ),
        (
            "uh remind me to like stretch in two minutes",
            "to stretch in 2 minutes",
            "stretch",
        ),
    ];
    for (input, want, label) in cases {
        env.assert_reminder(input, want, label);
    }
    assert!(
        env.say("remind me to stretch")
            .starts_with("When should I remind you?")
    );
    // Not a reminder at all.
    assert_eq!(env.answer("remind me what I said").skill, "history");
    // Asking what was set: the reminders, not the history of the conversation.
    let set = env.answer("what did I ask you to remind me about");
    assert_eq!(set.skill, "timer");
    assert!(
        set.text.starts_with("You have 10 reminders: ")
            && set.text.contains("your reminder to call mom")
            && set.text.contains("your reminder to water the plants"),
        "{:?}",
        set.text
    );
}

#[test]
fn questions_about_reminders_list_the_reminders_only() {
    let env = TestEnv::new();
    assert_eq!(
        env.say("what did I ask you to remind me about"),
        "You don't have any reminders."
    );
    env.say("set a timer for ten minutes");
    assert_eq!(
        env.say("do I have any reminders"),
        "You don't have any reminders."
    );
    env.say("remind me to water the plants in five minutes");
    assert_eq!(
        env.say("what did I ask you to remind me about?"),
        "Your reminder to water the plants has 5 minutes left."
    );
    assert!(
        env.say("Pause the timer.")
            .starts_with("I can't pause a timer.")
    );
    for asked in ["When is my reminder?", "is my reminder still on"] {
        assert_eq!(
            env.say(asked),
            "Your reminder to water the plants has 5 minutes left.",
            "{asked:?}"
        );
    }
    assert!(
        env.say("when does my timer go off")
            .starts_with("You have 2 timers: ")
    );
    assert_eq!(env.timers.list().len(), 2, "no new one");
    // Both are listed when the question names timers.
    assert!(
        env.say("what timers do I have")
            .starts_with("You have 2 timers: ")
    );
}

#[test]
fn alarms_resolve_to_the_next_such_time() {
    let env = TestEnv::new();
    assert_eq!(
        env.say("set an alarm for 7 am"),
        "Alarm set for tomorrow at 7:00 AM."
    );
    assert_eq!(env.say("wake me up at 6 30 pm"), "Alarm set for 6:30 PM.");
    let due: Vec<i64> = env.timers.list().iter().map(|t| t.due_at_ms).collect();
    let now = env.now.timestamp().as_millisecond();
    assert_eq!(
        due,
        [
            now + (3 * 3600 + 23 * 60) * 1000,
            now + (15 * 3600 + 53 * 60) * 1000
        ]
    );
}

#[test]
fn timers_are_checked_and_cancelled() {
    let env = TestEnv::new();
    assert_eq!(
        env.say("what timers do I have"),
        "You don't have any timers running."
    );
    env.say("set a pasta timer for 8 minutes");
    let a = env.answer("how much time is left");
    assert_eq!(a.text, "The pasta timer has 8 minutes left.");
    assert_eq!(a.progress, Some("checking the timer..."));
    env.say("set a timer for 20 minutes");
    assert!(
        env.say("how long is left on my timers")
            .starts_with("You have 2 timers")
    );
    assert!(env.say("cancel the timer").starts_with("Which one"));
    assert_eq!(
        env.say("cancel the pasta timer"),
        "Okay, I cancelled the pasta timer."
    );
    assert_eq!(env.timers.list().len(), 1);
    // Named by its label in a question, by its length, or "another one".
    env.say("Set a timer for 20 minutes for the laundry.");
    assert_eq!(
        env.say("Set another one for 5 minutes."),
        "Timer set for 5 minutes."
    );
    assert_eq!(
        env.say("How long until the laundry is done?"),
        "The laundry timer has 20 minutes left."
    );
    assert_eq!(
        env.say("Cancel the five minute one."),
        "Okay, I cancelled your 5 minute timer."
    );
    assert_eq!(
        env.say("cancel the laundry timer"),
        "Okay, I cancelled the laundry timer."
    );
    env.say("set a tea timer for 3 minutes");
    assert_eq!(env.say("cancel all timers"), "Okay, I cancelled 2 timers.");
    assert!(env.timers.list().is_empty());
    assert_eq!(
        env.say("stop the timer"),
        "You don't have any timers running."
    );
}

#[test]
fn partial_text_never_changes_anything() {
    let mut env = TestEnv::new();
    env.commit = false;
    for input in [
        "set a timer for ten minutes",
        "remember that the door code is 1234",
        "stop",
        "forget all my notes",
        "remind me in 5 minutes to go",
    ] {
        assert_eq!(env.ask(input), Outcome::NeedsFinal, "{input:?}");
    }
    assert!(env.timers.list().is_empty());
    assert!(env.store.notes().unwrap().is_empty());
    // What has no side effects is answered at once.
    assert_eq!(env.say("what time is it"), "It's 3:07 PM.");
    assert!(env.say("what is 6 times 7").contains("42"));
}

#[test]
fn notes_are_remembered_recalled_and_forgotten() {
    let env = TestEnv::new();
    let saves = [
        (
            "remember that my keys are in the drawer",
            "Okay, I'll remember that your keys are in the drawer.",
        ),
        (
            "please remember my locker number is 42",
            "your locker number is 42",
        ),
        (
            "make a note that the wifi password is hunter2",
            "the wifi password is hunter2",
        ),
        (
            "um don't let me forget that the meeting is at three",
            "the meeting is at 3",
        ),
        ("note that I parked on level three", "you parked on level 3"),
        (
            "can you remember that my passport is in the safe",
            "your passport is in the safe",
        ),
    ];
    for (input, want) in saves {
        let a = env.answer(input);
        assert_eq!(a.skill, "notes", "{input:?}");
        assert!(a.text.contains(want), "{input:?} -> {:?}", a.text);
    }
    assert_eq!(env.store.notes().unwrap().len(), 6);
    expect_all(
        &env,
        &[
            (
                "where are my keys",
                "You told me that your keys are in the drawer.",
            ),
            ("what is my locker number", "42"),
            ("what's the wifi password", "hunter2"),
            ("where did I park", "level 3"),
            ("do you remember where my passport is", "in the safe"),
            ("what are my notes", "You have 6 notes."),
            ("what did I ask you to remember", "You have 6 notes."),
            ("What did I ask you to note?", "You have 6 notes."),
            ("what have I told you to write down", "You have 6 notes."),
            (
                "do you remember my bike lock code",
                "I don't have a note about your bike lock code.",
            ),
        ],
    );
    assert_eq!(
        env.say("forget the note about the keys"),
        "Okay, I forgot that your keys are in the drawer."
    );
    assert_eq!(env.store.notes().unwrap().len(), 5);
    assert_eq!(env.say("forget all my notes"), "Okay, I forgot 5 notes.");
    assert_eq!(
        env.say("what are my notes"),
        "You haven't asked me to remember anything yet."
    );
}

#[test]
fn remember_without_content_asks_and_takes_the_answer() {
    let mut env = TestEnv::new();
    assert_eq!(env.say("remember"), notes::ASK_WHAT);
    env.history = vec![
        Message::user("remember"),
        Message::assistant(notes::ASK_WHAT),
    ];
    assert_eq!(
        env.say("buy milk on the way home"),
        "Okay, I'll remember that buy milk on the way home."
    );
    assert_eq!(
        env.store.notes().unwrap()[0].text,
        "buy milk on the way home"
    );
}

#[test]
fn what_did_i_say_earlier() {
    let mut env = TestEnv::new();
    assert_eq!(
        env.say("what did I say earlier"),
        "You haven't said anything before this."
    );
    env.history = vec![
        Message::user("set a timer for ten minutes"),
        Message::assistant("Timer set for 10 minutes."),
        Message::user("what is 2 plus 2"),
        Message::assistant("2 plus 2 is 4."),
        Message::user("what did I just say"),
        Message::assistant("You said \"what is 2 plus 2\"."),
    ];
    expect_all(
        &env,
        &[
            ("what did I say earlier", "You said \"what is 2 plus 2\"."),
            ("um what was I saying", "what is 2 plus 2"),
            (
                "what did I say about the timer",
                "set a timer for ten minutes",
            ),
            (
                "what did I say first",
                "First, you said \"set a timer for ten minutes\".",
            ),
            (
                "What was the first thing I asked you?",
                "First, you said \"set a timer for ten minutes\".",
            ),
            (
                "what were we talking about",
                "and before that \"set a timer for ten minutes\"",
            ),
            ("what did you say before", "I said"),
            (
                "what did I say about bananas",
                "I don't remember you saying anything about bananas.",
            ),
            // Nothing after "about": what was said last, not "anything about .".
            ("what did I ask about", "You said \"what is 2 plus 2\"."),
        ],
    );
}

#[test]
fn speech_controls() {
    let mut env = TestEnv::new();
    env.history = vec![
        Message::user("what time is it"),
        Message::assistant("It's 3:07 PM."),
    ];
    let cases: [(&str, Control); 27] = [
        ("stop", Control::Stop),
        ("stop talking", Control::Stop),
        ("be quiet", Control::Stop),
        ("shut up", Control::Stop),
        ("never mind", Control::Stop),
        ("okay stop", Control::Stop),
        ("repeat that", Control::Repeat),
        ("say that again", Control::Repeat),
        ("what did you say", Control::Repeat),
        ("sorry what", Control::Repeat),
        ("pardon", Control::Repeat),
        ("can you repeat that please", Control::Repeat),
        ("slow down", Control::Slower),
        ("speak slower please", Control::Slower),
        ("can you talk more slowly", Control::Slower),
        ("you're talking too fast", Control::Slower),
        ("speak faster", Control::Faster),
        ("speed up", Control::Faster),
        ("louder please", Control::Louder),
        ("can you speak up", Control::Louder),
        ("you're too quiet", Control::Louder),
        ("turn the volume up", Control::Louder),
        ("raise the volume on the speakers", Control::Louder),
        ("turn down the volume", Control::Quieter),
        ("speak more quietly", Control::Quieter),
        ("you're talking too loud", Control::Quieter),
        ("volume down", Control::Quieter),
    ];
    for (input, control) in cases {
        let a = env.answer(input);
        assert_eq!(a.control, Some(control), "{input:?} -> {a:?}");
    }
    assert_eq!(env.say("repeat that"), "It's 3:07 PM.");
    assert_eq!(env.say("stop"), "");
    // Not about speech.
    assert_eq!(
        env.ask("which is faster a car or a train"),
        Outcome::Unknown
    );
    assert_eq!(
        env.ask("which is louder a lion or a jet engine"),
        Outcome::Unknown
    );
    env.assistant = Some(AssistantContext {
        said: "It's 3:07 PM. You have no timers.".into(),
        heard: "It's 3:07 PM.".into(),
        request: None,
    });
    let a = env.answer("go on");
    assert_eq!(
        (a.control, a.text.as_str()),
        (Some(Control::Continue), "You have no timers.")
    );
}

#[test]
fn what_the_camera_sees() {
    let mut env = TestEnv::new();
    assert!(env.say("what do you see").starts_with("The camera is off"));
    env.visual = Some(VisualContext {
        person_present: true,
        facing: true,
        faces: 1,
        ocr_text: None,
    });
    expect_all(
        &env,
        &[
            ("what do you see", "I can see you, and you're facing me."),
            ("can you see me", "I can see you"),
            ("am I looking at you", "Yes, you're facing me."),
            ("what does this say", "I don't see any text"),
        ],
    );
    env.visual = Some(VisualContext {
        person_present: true,
        facing: false,
        faces: 3,
        ocr_text: Some("EXIT ONLY".into()),
    });
    expect_all(
        &env,
        &[
            ("how many people do you see", "I see 3 people."),
            ("what does this say", "It says: EXIT ONLY"),
            ("can you read this for me", "EXIT ONLY"),
            ("what can you see", "There's some text too: EXIT ONLY"),
        ],
    );
    env.visual = Some(VisualContext::default());
    assert_eq!(env.say("is anyone there"), "I don't see anyone right now.");
}

/// A text source that hands out a fixed result and counts its reads.
#[derive(Debug)]
struct Page {
    text: Result<Option<String>, String>,
    reads: std::sync::atomic::AtomicU32,
}

impl crate::reasoning::TextSource for Page {
    fn read_text(&self) -> Result<Option<String>, String> {
        self.reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.text.clone()
    }
}

fn page(text: Result<Option<String>, String>) -> std::sync::Arc<Page> {
    std::sync::Arc::new(Page {
        text,
        reads: Default::default(),
    })
}

#[test]
fn read_this_reads_the_view_on_final_text_only() {
    let mut env = TestEnv::new();
    let source = page(Ok(Some("  FIRE EXIT \n KEEP CLEAR ".into())));
    env.text_source = Some(source.clone());
    // Camera off: nothing is read.
    assert!(env.say("read this").starts_with("The camera is off"));
    env.visual = Some(VisualContext::default());
    env.commit = false;
    assert_eq!(
        env.ask("read this"),
        Outcome::NeedsFinal,
        "not on a partial"
    );
    assert_eq!(source.reads.load(std::sync::atomic::Ordering::Relaxed), 0);
    env.commit = true;
    assert_eq!(env.say("read this"), "It says: FIRE EXIT KEEP CLEAR");
    assert_eq!(env.say("what do you see"), "I don't see anyone right now.");
    assert_eq!(
        source.reads.load(std::sync::atomic::Ordering::Relaxed),
        1,
        "describing the view does not read"
    );
    // Text already in the context is used as it is.
    env.visual = Some(VisualContext {
        ocr_text: Some("STOP".into()),
        ..VisualContext::default()
    });
    assert_eq!(env.say("what does this say"), "It says: STOP");
    assert_eq!(source.reads.load(std::sync::atomic::Ordering::Relaxed), 1);
}

#[test]
fn read_this_with_no_text_no_frame_or_a_broken_reader_says_so() {
    let mut env = TestEnv::new();
    env.visual = Some(VisualContext::default());
    for text in [Ok(Some("   ".to_owned())), Ok(None)] {
        env.text_source = Some(page(text));
        assert!(
            env.say("can you read this")
                .starts_with("I don't see any text"),
            "{:?}",
            env.say("can you read this")
        );
    }
    env.text_source = Some(page(Err("model ppocr/x.onnx is missing".into())));
    let said = env.say("read this");
    assert!(
        said.starts_with("Sorry, I can't read text right now") && said.contains("models fetch"),
        "{said}"
    );
}

/// Any Unicode, alone or after the words that start each skill, gets an answer or a decline,
/// never a panic.
#[test]
fn any_unicode_in_a_request() {
    let env = TestEnv::new();
    let leads = [
        "",
        "set a timer for ",
        "remind me in ",
        "remember that ",
        "what is ",
        "convert ",
        "how many ",
        "delete the note ",
        "what time is it in ",
        "read this ",
        "call me ",
    ];
    for (i, text) in crate::test_text::transcripts().iter().enumerate() {
        let lead = leads[i % leads.len()];
        let _ = env.ask(&format!("{lead}{text}"));
    }
}
