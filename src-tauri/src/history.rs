//! The history panel: past turns from the conversation store (SQLite), newest first, a page
//! at a time.

use std::path::Path;

use serde::Serialize;
use tandem_core::store::{Store, TurnRecord};

use crate::error::AppError;

/// Turns per page when the UI does not say.
pub const DEFAULT_PAGE: usize = 20;
/// The most turns one call returns.
pub const MAX_PAGE: usize = 200;

/// One page of history.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HistoryPage {
    /// Newest first.
    pub turns: Vec<TurnRecord>,
    /// Pass as `before` for the next (older) page; `None` when this was the last.
    pub next_before: Option<i64>,
    /// The store's file, to show where history lives.
    pub path: String,
}

/// Reads a page of `limit` turns older than `before` (from the newest when `None`).
///
/// # Errors
/// `engine` naming the store's file when it cannot be opened or read.
pub fn page(
    store: &Store,
    before: Option<i64>,
    limit: Option<usize>,
) -> Result<HistoryPage, AppError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    // One more than asked tells whether an older page exists.
    let mut turns = store
        .turns_page(before, limit + 1)
        .map_err(|e| store_error(store.path(), &e))?;
    let more = turns.len() > limit;
    turns.truncate(limit);
    Ok(HistoryPage {
        next_before: if more {
            turns.last().map(|t| t.id)
        } else {
            None
        },
        turns,
        path: store.path().display().to_string(),
    })
}

/// Opens the user's store (the one conversations write) and reads a page.
///
/// # Errors
/// As [`page`], or when the store cannot be opened.
pub fn page_default(before: Option<i64>, limit: Option<usize>) -> Result<HistoryPage, AppError> {
    let store = Store::open_default().map_err(|e| {
        AppError::Engine(format!(
            "cannot open the conversation history: {e}; check `tandem doctor`"
        ))
    })?;
    page(&store, before, limit)
}

fn store_error(path: &Path, e: &dyn std::fmt::Display) -> AppError {
    AppError::Engine(format!(
        "cannot read the conversation history in {}: {e}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use tandem_core::store::{TurnOutcome, TurnStatus};

    use super::*;

    #[test]
    fn pages_run_newest_first_until_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite");
        let store = Store::open(&path).unwrap();
        for i in 0..5 {
            let id = store
                .begin_turn("s1", &format!("question {i}"), true, 1_000 + i)
                .unwrap();
            store
                .finish_turn(
                    id,
                    TurnOutcome {
                        assistant_text: &format!("answer {i}"),
                        status: if i == 3 {
                            TurnStatus::Cancelled
                        } else {
                            TurnStatus::Answered
                        },
                        source: Some("skill"),
                        skill: None,
                        first_output_ms: Some(5),
                        total_ms: 9,
                    },
                )
                .unwrap();
        }
        drop(store);
        // Read from the file as a fresh process would.
        let store = Store::open(&path).unwrap();

        let first = page(&store, None, Some(2)).unwrap();
        let texts = |p: &HistoryPage| {
            p.turns
                .iter()
                .map(|t| t.user_text.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(texts(&first), ["question 4", "question 3"]);
        assert_eq!(first.turns[1].status, TurnStatus::Cancelled);
        assert_eq!(first.path, path.display().to_string());
        let second = page(&store, first.next_before, Some(2)).unwrap();
        assert_eq!(texts(&second), ["question 2", "question 1"]);
        let last = page(&store, second.next_before, Some(2)).unwrap();
        assert_eq!(texts(&last), ["question 0"]);
        assert_eq!(last.next_before, None);
        assert_eq!(last.turns[0].assistant_text, "answer 0");

        // An exact fit has no next page; the limit is clamped.
        assert_eq!(page(&store, None, Some(5)).unwrap().next_before, None);
        assert_eq!(page(&store, None, Some(0)).unwrap().turns.len(), 1);
        assert_eq!(page(&store, None, None).unwrap().turns.len(), 5);
    }

    #[test]
    fn an_empty_store_is_an_empty_page() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("h.sqlite")).unwrap();
        let p = page(&store, None, None).unwrap();
        assert!(p.turns.is_empty());
        assert_eq!(p.next_before, None);
    }
}
