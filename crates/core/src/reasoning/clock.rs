//! The wall clock the reasoner tells the time by and schedules timers on: the system's, or one
//! set to a given moment that runs on from there (`tandem duplex --now`, which `tandem eval`
//! uses so that an answer such as "It's 10:42 AM." does not depend on when a suite runs).

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

use crate::store::now_unix_ms;

#[derive(Debug, Clone, Default)]
pub struct WallClock {
    /// Milliseconds ahead of the system clock, and the time zone to tell the time in; `None`:
    /// the system clock in the system's time zone.
    set: Option<(i64, TimeZone)>,
}

impl WallClock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// A clock that reads `start` now and runs on at the system clock's pace, in `start`'s
    /// time zone.
    pub fn starting_at(start: &ZonedDateTime) -> Self {
        let ahead = start.timestamp().as_millisecond() - now_unix_ms();
        Self {
            set: Some((ahead, start.time_zone().clone())),
        }
    }

    /// [`WallClock::starting_at`] a moment written in RFC 9557 (`2026-06-09T10:42:00[UTC]`);
    /// the error says what was wrong and how to write it.
    pub fn parse_start(text: &str) -> Result<Self, String> {
        text.parse::<ZonedDateTime>()
            .map(|start| Self::starting_at(&start))
            .map_err(|e| {
                format!(
                    "{text:?} is no time with a zone ({e}); write it like 2026-06-09T10:42:00[UTC]"
                )
            })
    }

    /// Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        now_unix_ms() + self.set.as_ref().map_or(0, |(ahead, _)| *ahead)
    }

    pub fn now(&self) -> ZonedDateTime {
        match &self.set {
            None => ZonedDateTime::now(),
            Some((_, tz)) => Timestamp::from_millisecond(self.now_ms()).map_or_else(
                |_| ZonedDateTime::now(),
                |t| t.to_zoned_datetime(tz.clone()),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_reads_its_start_and_runs_on() {
        let start: ZonedDateTime = "2026-06-09T10:42:00[UTC]".parse().unwrap();
        let clock = WallClock::starting_at(&start);
        let now = clock.now();
        assert_eq!(now.time_zone().iana_name(), Some("UTC"));
        let ran = now.timestamp().as_millisecond() - start.timestamp().as_millisecond();
        assert!((0..5_000).contains(&ran), "{ran} ms after its start");
        assert!((clock.now_ms() - now.timestamp().as_millisecond()).abs() < 5_000);
        assert!(WallClock::parse_start("2026-06-09T10:42:00[UTC]").is_ok());
        let e = WallClock::parse_start("10:42 tomorrow").unwrap_err();
        assert!(e.contains("2026-06-09T10:42:00[UTC]"), "{e}");
        let system = WallClock::system();
        assert!((system.now_ms() - now_unix_ms()).abs() < 5_000);
    }
}
