//! Requests from the typed batteries (`tandem ask`, BENCHMARKS.md) that the skills got wrong.
//! The test clock is Tuesday, June 9, 2026, 3:07 PM UTC.

use super::test_env::TestEnv;

#[test]
fn alarms_are_named_by_their_time_and_the_timer_is_the_one_timer() {
    let env = TestEnv::new();
    env.say("set an alarm for 6:30 tomorrow morning");
    // It was "The alarm timer has 15 hours and 23 minutes left."
    assert_eq!(
        env.say("what alarms do I have"),
        "Your alarm for tomorrow at 6:30 AM has 15 hours and 23 minutes left."
    );
    // A correction moves it (it set a second alarm, for 7 PM).
    assert_eq!(
        env.say("wake me up at 7 instead"),
        "Okay, the alarm is now tomorrow at 7:00 AM."
    );
    assert_eq!(env.timers.list().len(), 1);
    // "Wake me up at 6:45" is the morning.
    assert_eq!(
        env.say("wake me up at 6:45"),
        "Alarm set for tomorrow at 6:45 AM."
    );
    env.say("set a timer for 90 seconds");
    env.say("remind me to take the bread out in 20 minutes");
    // One timer among reminders and alarms is "the timer" (it asked which of four, two of
    // them "the alarm timer").
    assert_eq!(
        env.say("stop the timer"),
        "Okay, I cancelled your 1 minute 30 second timer."
    );
    let which = env.say("what timers do I have");
    assert!(
        !which.contains("6:30")
            && which.contains("your alarm for tomorrow at 6:45 AM")
            && which.contains("your alarm for tomorrow at 7:00 AM"),
        "{which}"
    );
}

#[test]
fn a_reminder_on_a_weekday_is_set_for_that_day() {
    let env = TestEnv::new();
    // It was "Okay, I'll remind you to friday to call mom tomorrow at 3:00 PM."
    assert_eq!(
        env.say("set a reminder for Friday at 3 pm to call mom"),
        "Okay, I'll remind you to call mom on Friday, June 12 at 3:00 PM."
    );
    assert_eq!(
        env.say("remind me at 9 am on Tuesday to water the plants"),
        "Okay, I'll remind you to water the plants on Tuesday, June 16 at 9:00 AM."
    );
    assert_eq!(
        env.say("wake me up next Monday at 6"),
        "Alarm set for Monday, June 15 at 6:00 AM."
    );
}

#[test]
fn notes_are_added_and_read_back() {
    let env = TestEnv::new();
    // "Add a note: ..." went to the language model, which saved nothing.
    assert_eq!(
        env.say("add a note buy batteries and milk"),
        "Okay, I'll remember that buy batteries and milk."
    );
    assert!(
        env.say("what's on my notes")
            .contains("buy batteries and milk"),
        "the note is read back"
    );
    assert_eq!(env.say("remember that"), "What should I remember?");
}

#[test]
fn primes_are_checked() {
    let env = TestEnv::new();
    // The language model said 17 is not prime.
    assert_eq!(
        env.say("is 17 a prime number"),
        "Yes, 17 is a prime number."
    );
    assert_eq!(
        env.say("is 91 prime"),
        "No, 91 is not prime: it is 7 times 13."
    );
    assert_eq!(env.say("is 1 prime"), "No, 1 is not a prime number.");
}

#[test]
fn the_weekday_of_a_date_with_its_year() {
    let env = TestEnv::new();
    // It answered with today's date.
    assert_eq!(
        env.say("what day of the week was July 4th 2020"),
        "July 4, 2020 was a Saturday."
    );
    assert_eq!(
        env.say("what day is Christmas 2027"),
        "December 25, 2027 is a Saturday, in 564 days."
    );
    assert_eq!(
        env.say("what day of the week is June 9"),
        "June 9 is today."
    );
}

#[test]
fn a_labelled_timer_gets_more_time_and_one_of_two_alarms_is_asked_for() {
    let env = TestEnv::new();
    env.say("start a ten minute timer for the tea");
    env.say("set a timer for 3 minutes");
    // It set a new 2 minute tea timer.
    assert_eq!(
        env.say("add two minutes to the tea timer"),
        "Okay, I added 2 minutes to the tea timer: 12 minutes left."
    );
    assert_eq!(env.timers.list().len(), 2);
    env.say("wake me at 5:45");
    env.say("set an alarm for 7:45 am");
    // It deleted both.
    assert!(
        env.say("delete my alarm")
            .starts_with("Which one: your alarm for"),
        "asks which"
    );
    assert_eq!(env.timers.list().len(), 4);
    // "Jot down that ..." kept its "that": "I'll remember that that ...".
    assert_eq!(
        env.say("jot down that the wifi password is on the fridge"),
        "Okay, I'll remember that the wifi password is on the fridge."
    );
}

#[test]
fn an_alarm_moves_to_a_clock_time_said_without_am_or_pm() {
    let env = TestEnv::new();
    env.say("set an alarm for quarter to eight tomorrow");
    // It went to the language model, which said it had set one.
    assert_eq!(
        env.say("actually make it eight fifteen"),
        "Okay, the alarm is now tomorrow at 8:15 AM."
    );
    assert_eq!(env.timers.list().len(), 1);
    // A plain timer is not moved to a time of day.
    env.say("set a timer for 5 minutes");
    assert!(matches!(env.ask("make it 8 15"), super::Outcome::Unknown));
}

#[test]
fn alarms_are_listed_as_alarms_and_cancelled_by_their_day() {
    let env = TestEnv::new();
    env.say("set an alarm for 6 in the morning");
    assert_eq!(
        env.say("could you wake me at half past six on Thursday"),
        "Alarm set for Thursday, June 11 at 6:30 AM."
    );
    assert!(env.say("list my alarms").starts_with("You have 2 alarms: "));
    // It asked which of the two.
    assert_eq!(
        env.say("cancel the Thursday alarm"),
        "Okay, I cancelled your alarm for Thursday, June 11 at 6:30 AM."
    );
    // It named the date twice ("until March 3, Wednesday, March 3, 2027").
    assert_eq!(
        env.say("how many days until March 3rd"),
        "There are 267 days until Wednesday, March 3, 2027."
    );
    // The recognizer's singular (heard on the rig).
    assert_eq!(
        env.say("How many day until March 3rd"),
        "There are 267 days until Wednesday, March 3, 2027."
    );
}

#[test]
fn a_date_of_ones_own_is_counted_and_everything_is_cancelled() {
    let env = TestEnv::new();
    // Both went to the language model ("It's 3 days until March 2nd.", "You're correct, my
    // birthday is March 3rd.").
    assert_eq!(
        env.say("How many days until my birthday on March 3rd?"),
        "There are 267 days until Wednesday, March 3, 2027."
    );
    assert_eq!(
        env.say("What day of the week is my birthday, March 3rd 2027?"),
        "March 3, 2027 is a Wednesday, in 267 days."
    );
    // "My" without a date is still a timer's or a note's.
    env.say("set a timer for 5 minutes");
    assert!(
        env.say("how long is left on my timer")
            .contains("5 minutes"),
        "the timer answers"
    );
    env.say("remind me to call mom in 2 hours");
    // "Stop everything" may mean only our voice, "delete all" the notes: the timers stay.
    let _ = env.ask("stop everything");
    let _ = env.ask("delete all");
    assert_eq!(env.timers.list().len(), 2);
    // It went to the language model, which said it would cancel nothing.
    assert_eq!(env.say("Cancel everything."), "Okay, I cancelled 2 timers.");
    assert!(env.timers.list().is_empty());
}

#[test]
fn the_time_of_something_else_is_not_the_time_now() {
    let env = TestEnv::new();
    // Each was "It's 3:07 PM." or "Today is Tuesday, June 9, 2026.", as if it were the
    // question; "What time's it?" went to the language model, which made a time up.
    for (asked, answer) in [
        (
            "What time does the shop close?",
            "I can't look that up. It's 3:07 PM now.",
        ),
        (
            "What time is my train?",
            "I can't look that up. It's 3:07 PM now.",
        ),
        ("What time's it?", "It's 3:07 PM."),
        ("Do you know what time it is?", "It's 3:07 PM."),
        (
            "What's the time in London?",
            "I only know the time here. It's 3:07 PM.",
        ),
        ("Time please.", "It's 3:07 PM."),
        (
            "What date is Easter?",
            "I can't look that up. Today is Tuesday, June 9, 2026.",
        ),
        (
            "Which day is the bin collection?",
            "I can't look that up. Today is Tuesday, June 9, 2026.",
        ),
        ("What's the date today?", "Today is Tuesday, June 9, 2026."),
        (
            "What day is it tomorrow?",
            "Tomorrow is Wednesday, June 10, 2026.",
        ),
    ] {
        assert_eq!(env.say(asked), answer, "{asked:?}");
    }
}

#[test]
fn a_day_of_the_month_without_its_month_is_this_months_or_the_next() {
    let env = TestEnv::new();
    // It answered with today's date.
    assert_eq!(
        env.say("What day of the week is the 23rd?"),
        "June 23, 2026 is a Tuesday, in 14 days."
    );
    // The 5th has passed this month: July's.
    assert_eq!(
        env.say("How many days until the 5th?"),
        "There are 26 days until the 5th, Sunday, July 5."
    );
    // June has no 31st.
    assert_eq!(
        env.say("What day is the 31st?"),
        "July 31, 2026 is a Friday, in 52 days."
    );
}

#[test]
fn questions_about_the_alarm_set_are_not_new_alarms() {
    let env = TestEnv::new();
    env.say("set an alarm for 6:30 tomorrow morning");
    // Both were "What time should the alarm be for?".
    for asked in ["What time is my alarm set for?", "Is my alarm set?"] {
        assert_eq!(
            env.say(asked),
            "Your alarm for tomorrow at 6:30 AM has 15 hours and 23 minutes left.",
            "{asked:?}"
        );
    }
    assert_eq!(env.timers.list().len(), 1);
    // Setting one is still setting one, asked as a question too.
    assert_eq!(env.say("set an alarm for 7"), "Alarm set for 7:00 PM.");
    assert_eq!(
        env.say("is it possible to set a timer for 5 minutes"),
        "Timer set for 5 minutes."
    );
    assert_eq!(env.timers.list().len(), 3);
}

#[test]
fn tomorrow_in_the_small_hours_is_the_day_that_is_starting() {
    let mut env = TestEnv::new();
    env.now = "2026-06-10T00:30:00[UTC]".parse().unwrap();
    // It was set for Thursday, 30 hours away.
    assert_eq!(
        env.say("wake me up at 7 tomorrow morning"),
        "Alarm set for 7:00 AM."
    );
    env.now = "2026-06-10T09:30:00[UTC]".parse().unwrap();
    assert_eq!(
        env.say("set an alarm for 7 tomorrow morning"),
        "Alarm set for tomorrow at 7:00 AM."
    );
}

#[test]
fn tips_shares_leap_years_and_the_days_in_a_month() {
    let env = TestEnv::new();
    // Each went to the language model, which got them wrong or said it would do them.
    for (asked, answer) in [
        (
            "What's a 20% tip on 45 dollars?",
            "A 20 percent tip on 45 dollars is 9 dollars, 54 dollars in all.",
        ),
        (
            "Calculate a 15 percent tip for $62.50",
            "A 15 percent tip on 62.50 dollars is 9.38 dollars, 71.88 dollars in all.",
        ),
        (
            "Split 90 pounds between 4 people.",
            "90 pounds split 4 ways is 22.50 pounds each.",
        ),
        ("Divide 100 by 4 people", "100 split 4 ways is 25 each."),
        ("Is 2028 a leap year?", "Yes, 2028 is a leap year."),
        (
            "Is this year a leap year?",
            "No, 2026 is not a leap year. The next one is 2028.",
        ),
        (
            "How many days are in February this year?",
            "February 2026 has 28 days.",
        ),
        (
            "How many days in February 2028?",
            "February 2028 has 29 days.",
        ),
    ] {
        assert_eq!(env.say(asked), answer, "{asked:?}");
    }
    // A birthday without its date is not known (the language model: "You're on a Tuesday, ...").
    assert_eq!(
        env.say("How many weeks until my birthday?"),
        "I don't know when your birthday is. Ask me with its date, like: how many days until March 3rd?"
    );
    // The nth weekday of a month (it was answered with next Monday's date).
    assert_eq!(
        env.say("What's the date of the first Monday in March?"),
        "March 1, 2027 is a Monday, in 265 days."
    );
    assert_eq!(
        env.say("When is the last Friday of June?"),
        "June 26, 2026 is a Friday, in 17 days."
    );
    // Plain arithmetic is still arithmetic.
    assert_eq!(env.say("divide 10 by 4"), "10 divided by 4 is 2.5.");
}
