//! The timer table: timers and reminders the reasoner owns.
//!
//! Timers live in memory for the wake-up loop and in the store so they survive a restart (a
//! timer that came due while Tandem was off is announced, late, when it starts again). The
//! reasoner's timer task sleeps until the next one is due and emits
//! [`super::ReasonerEvent::TimerDue`]; the interaction loop announces it at a polite moment.

use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::pronouns::flip_pronouns;
use crate::store::{Store, StoreError, TimerRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimerKind {
    Timer,
    Reminder,
}

impl TimerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timer => "timer",
            Self::Reminder => "reminder",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timer {
    pub id: i64,
    pub kind: TimerKind,
    /// What a timer is for ("pasta"), or what to remind of, in the user's words.
    pub label: Option<String>,
    pub created_at_ms: i64,
    pub due_at_ms: i64,
}

impl Timer {
    fn from_record(r: TimerRecord) -> Timer {
        Timer {
            id: r.id,
            kind: if r.kind == "reminder" {
                TimerKind::Reminder
            } else {
                TimerKind::Timer
            },
            label: r.label,
            created_at_ms: r.created_at_ms,
            due_at_ms: r.due_at_ms,
        }
    }

    /// "the pasta timer", "your 10 minute timer", "your reminder to call your mom", "your
    /// reminder about the dentist".
    pub fn name(&self) -> String {
        match (self.kind, &self.label) {
            (TimerKind::Timer, Some(l)) => format!("the {l} timer"),
            (TimerKind::Timer, None) => {
                let secs = (self.due_at_ms - self.created_at_ms) as f64 / 1000.0;
                format!("your {} timer", speak_duration_adjective(secs))
            }
            (TimerKind::Reminder, Some(l)) => format!("your reminder {}", reminder_of(l)),
            (TimerKind::Reminder, None) => "your reminder".to_owned(),
        }
    }

    /// What the loop says when it comes due.
    pub fn announcement(&self, now_ms: i64) -> String {
        let late_s = (now_ms - self.due_at_ms) as f64 / 1000.0;
        let base = match (self.kind, &self.label) {
            (TimerKind::Reminder, Some(l)) => {
                format!("Here's your reminder: {}.", flip_pronouns(l))
            }
            (TimerKind::Reminder, None) => "Here's your reminder.".to_owned(),
            (TimerKind::Timer, _) => {
                let name = self.name();
                let mut name = name.replacen("the ", "your ", 1);
                if let Some(first) = name.get(..1) {
                    name = first.to_uppercase() + &name[1..];
                }
                format!("{name} is done.")
            }
        };
        if late_s >= 60.0 {
            format!(
                "{base} It came due {} ago, while I was off.",
                speak_duration(late_s)
            )
        } else {
            base
        }
    }
}

/// The reasoner's timers.
#[derive(Debug)]
pub struct TimerTable {
    timers: Mutex<Vec<Timer>>,
    store: Store,
    changed: Notify,
}

impl TimerTable {
    /// Loads the pending timers from the store.
    pub fn load(store: Store) -> Result<TimerTable, StoreError> {
        let timers = store
            .pending_timers()?
            .into_iter()
            .map(Timer::from_record)
            .collect();
        Ok(TimerTable {
            timers: Mutex::new(timers),
            store,
            changed: Notify::new(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Timer>> {
        self.timers.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add(
        &self,
        kind: TimerKind,
        label: Option<&str>,
        due_at_ms: i64,
        now_ms: i64,
    ) -> Result<Timer, StoreError> {
        let record = self
            .store
            .add_timer(kind.as_str(), label, now_ms, due_at_ms)?;
        let timer = Timer::from_record(record);
        {
            let mut timers = self.lock();
            timers.push(timer.clone());
            timers.sort_by_key(|t| t.due_at_ms);
        }
        self.changed.notify_one();
        Ok(timer)
    }

    /// Pending timers, soonest first.
    pub fn list(&self) -> Vec<Timer> {
        self.lock().clone()
    }

    /// Cancels these timers; returns the ones that were pending.
    pub fn cancel(&self, ids: &[i64]) -> Result<Vec<Timer>, StoreError> {
        let removed: Vec<Timer> = {
            let mut timers = self.lock();
            let (gone, kept) = timers.drain(..).partition(|t| ids.contains(&t.id));
            *timers = kept;
            gone
        };
        for t in &removed {
            self.store.set_timer_status(t.id, "cancelled")?;
        }
        self.changed.notify_one();
        Ok(removed)
    }

    /// Removes and returns the timers due at `now_ms`, and marks them fired in the store.
    pub fn take_due(&self, now_ms: i64) -> Vec<Timer> {
        let due: Vec<Timer> = {
            let mut timers = self.lock();
            let (due, kept) = timers.drain(..).partition(|t| t.due_at_ms <= now_ms);
            *timers = kept;
            due
        };
        for t in &due {
            if let Err(e) = self.store.set_timer_status(t.id, "fired") {
                tracing::warn!(timer = t.id, error = %e, "could not mark a timer fired");
            }
        }
        due
    }

    pub fn next_due_ms(&self) -> Option<i64> {
        self.lock().iter().map(|t| t.due_at_ms).min()
    }

    /// Resolves when a timer was added or cancelled since the last call.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }
}

fn plural(n: u64, unit: &str) -> String {
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

/// A duration as the voice says it: "15 minutes", "1 hour and 30 minutes", "45 seconds".
pub fn speak_duration(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (d, h, m, s) = (
        total / 86_400,
        total / 3600 % 24,
        total / 60 % 60,
        total % 60,
    );
    let parts: Vec<String> = if d > 0 {
        vec![plural(d, "day"), plural(h, "hour")]
    } else if h > 0 {
        vec![plural(h, "hour"), plural(m, "minute")]
    } else if m >= 10 || (m > 0 && s == 0) {
        // Past ten minutes, seconds are noise; round to the nearest minute.
        vec![plural((total as f64 / 60.0).round() as u64, "minute")]
    } else if m > 0 {
        vec![plural(m, "minute"), plural(s, "second")]
    } else {
        vec![plural(s, "second")]
    };
    let parts: Vec<String> = parts.into_iter().filter(|p| !p.starts_with("0 ")).collect();
    match parts.as_slice() {
        [] => "0 seconds".to_owned(),
        [one] => one.clone(),
        [a, b] => format!("{a} and {b}"),
        _ => parts.join(", "),
    }
}

/// "10 minute", "1 hour 30 minute": a duration before the word "timer".
pub fn speak_duration_adjective(secs: f64) -> String {
    speak_duration(secs)
        .replace(" and ", " ")
        .replace("seconds", "second")
        .replace("minutes", "minute")
        .replace("hours", "hour")
        .replace("days", "day")
}

/// What a reminder is for, as said after "remind you" or "your reminder": "to call your mom"
/// for the label "call my mom", "about the dentist" for a label kept with its "about".
pub fn reminder_of(label: &str) -> String {
    if label.starts_with("about ") {
        flip_pronouns(label)
    } else {
        format!("to {}", flip_pronouns(label))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_spoken_naturally() {
        let cases = [
            (0.0, "0 seconds"),
            (1.0, "1 second"),
            (45.0, "45 seconds"),
            (60.0, "1 minute"),
            (90.0, "1 minute and 30 seconds"),
            (900.0, "15 minutes"),
            (619.0, "10 minutes"),
            (3600.0, "1 hour"),
            (5400.0, "1 hour and 30 minutes"),
            (90_000.0, "1 day and 1 hour"),
        ];
        for (secs, want) in cases {
            assert_eq!(speak_duration(secs), want, "{secs} s");
        }
        assert_eq!(speak_duration_adjective(600.0), "10 minute");
    }

    #[test]
    fn table_orders_fires_and_cancels() {
        let store = Store::open_in_memory().unwrap();
        let table = TimerTable::load(store.clone()).unwrap();
        let a = table
            .add(TimerKind::Timer, Some("pasta"), 10_000, 0)
            .unwrap();
        let b = table
            .add(TimerKind::Reminder, Some("call my mom"), 5_000, 0)
            .unwrap();
        let c = table.add(TimerKind::Timer, None, 20_000, 0).unwrap();
        assert_eq!(table.next_due_ms(), Some(5_000));
        let due = table.take_due(10_000);
        assert_eq!(due.iter().map(|t| t.id).collect::<Vec<_>>(), [b.id, a.id]);
        assert_eq!(
            due[0].announcement(10_000),
            "Here's your reminder: call your mom."
        );
        assert_eq!(due[1].announcement(10_000), "Your pasta timer is done.");
        assert_eq!(c.announcement(20_000), "Your 20 second timer is done.");
        assert!(c.announcement(200_000).contains("3 minutes ago"));
        assert_eq!(table.cancel(&[c.id]).unwrap().len(), 1);
        assert_eq!(table.list(), []);
        assert!(store.pending_timers().unwrap().is_empty());
        // A fresh table (a restart) sees nothing pending.
        assert!(TimerTable::load(store).unwrap().list().is_empty());
    }

    #[test]
    fn pending_timers_survive_a_reload() {
        let store = Store::open_in_memory().unwrap();
        let table = TimerTable::load(store.clone()).unwrap();
        table.add(TimerKind::Timer, Some("tea"), 1_000, 0).unwrap();
        drop(table);
        let again = TimerTable::load(store).unwrap();
        assert_eq!(again.list()[0].label.as_deref(), Some("tea"));
    }
}
