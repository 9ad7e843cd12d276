//! Reminders for a day said without a clock time, and the answer to "When should I remind
//! you?" (split from `tests.rs`).

use super::test_env::TestEnv;
use super::{Outcome, timer};

#[test]
fn a_reminder_for_a_day_without_a_clock_time_is_set_for_an_hour_it_says() {
    // Tuesday, June 9 2026, 3:07 PM.
    let env = TestEnv::new();
    let cases = [
        (
            "remind me tomorrow to call the bank",
            "Okay, I'll remind you to call the bank tomorrow at 9:00 AM.",
            "call the bank",
        ),
        (
            "Remind me to renew the car insurance next month.",
            "to renew the car insurance on Thursday, July 9 at 9:00 AM.",
            "renew the car insurance",
        ),
        (
            "remind me next week to pay the rent",
            "on Tuesday, June 16 at 9:00 AM.",
            "pay the rent",
        ),
        (
            "remind me on Friday evening to book a table",
            "on Friday, June 12 at 7:00 PM.",
            "book a table",
        ),
        (
            "remind me tonight to lock the shed",
            "at 8:00 PM.",
            "lock the shed",
        ),
        (
            "remind me to water the plants tomorrow in the afternoon",
            "tomorrow at 3:00 PM.",
            "water the plants",
        ),
        // A weekday whose hour has passed today: next week's.
        (
            "remind me on Tuesday morning to stretch",
            "on Tuesday, June 16 at 9:00 AM.",
            "stretch",
        ),
        (
            "remind me on March 3rd to book the flights",
            "on Wednesday, March 3, 2027 at 9:00 AM.",
            "book the flights",
        ),
        (
            "remind me on the 15th to pay the rent",
            "on Monday, June 15 at 9:00 AM.",
            "pay the rent",
        ),
        (
            "remind me on the 3rd of July to renew my passport",
            "on Friday, July 3 at 9:00 AM.",
            "renew my passport",
        ),
        (
            "remind me this weekend to clean the gutters",
            "on Saturday, June 13 at 9:00 AM.",
            "clean the gutters",
        ),
        (
            "remind me in the morning to call the vet",
            "tomorrow at 9:00 AM.",
            "call the vet",
        ),
        (
            "remind me in two weeks to check the tyres",
            "in 14 days.",
            "check the tyres",
        ),
        (
            "remind me the day after tomorrow to water the garden",
            "on Thursday, June 11 at 9:00 AM.",
            "water the garden",
        ),
        (
            "remind me Thursday afternoon about the dentist",
            "Okay, I'll remind you about the dentist on Thursday, June 11 at 3:00 PM.",
            "about the dentist",
        ),
        // A clock time still wins over the day's hour.
        (
            "remind me next Monday at 6 pm to call Anna",
            "on Monday, June 15 at 6:00 PM.",
            "call anna",
        ),
    ];
    for (input, want, label) in cases {
        env.assert_reminder(input, want, label);
    }
    let listed = env.say("what reminders do I have");
    assert!(
        listed.contains("your reminder about the dentist"),
        "{listed}"
    );
    // A question about a day is no reminder (it goes to the language model).
    assert!(matches!(
        env.ask("remind me what I have on Friday"),
        Outcome::Unknown
    ));
    // "This morning" has passed at 3 PM: no guess, the question.
    assert!(
        env.say("remind me this morning to stretch")
            .starts_with(timer::ASK_REMINDER_TIME)
    );
    assert_eq!(env.timers.list().len(), cases.len());
}

#[test]
fn a_reminder_without_a_time_asks_and_takes_the_answer() {
    let mut env = TestEnv::new();
    let asked = env.say("Remind me to renew.");
    assert!(asked.starts_with(timer::ASK_REMINDER_TIME), "{asked}");
    assert!(env.timers.list().is_empty());
    // The answer may carry the rest of the reminder too (the user was only pausing).
    assert_eq!(
        env.say_after(
            "Remind me to renew.",
            &asked,
            "The car insurance next month."
        ),
        "Okay, I'll remind you to renew the car insurance on Thursday, July 9 at 9:00 AM."
    );
    assert_eq!(
        env.say_after("remind me to call mum", &asked, "in an hour"),
        "Okay, I'll remind you to call mum in 1 hour."
    );
    assert_eq!(
        env.say_after("Set a reminder.", &asked, "tomorrow at 5 pm"),
        "Okay, I'll remind you tomorrow at 5:00 PM."
    );
    assert_eq!(env.timers.list().len(), 3);
    // A whole reminder of its own is not joined to the one asked about.
    assert_eq!(
        env.say("remind me tonight to lock the shed"),
        "Okay, I'll remind you to lock the shed at 8:00 PM."
    );
    // Nor is another request with a time in it.
    assert_eq!(
        env.say_after(
            "remind me to call mum",
            &asked,
            "set a timer for two minutes"
        ),
        "Timer set for 2 minutes."
    );
    assert_eq!(env.timers.list().len(), 5);
    // Words with no time are no answer to it.
    assert!(matches!(env.ask("tell me a joke"), Outcome::Unknown));
    assert_eq!(env.timers.list().len(), 5);
}
