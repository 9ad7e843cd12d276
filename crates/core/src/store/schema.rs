//! The conversation store's schema and its migrations.
//!
//! `PRAGMA user_version` holds the schema version. Each migration runs once, in order, inside
//! one transaction with the version bump, so a crash mid-migration leaves the old schema intact.
//! Migrations are append-only: never edit one that has shipped; add the next.

use rusqlite::{Connection, TransactionBehavior};

/// One migration per schema version: `MIGRATIONS[0]` takes version 0 to 1, and so on.
pub const MIGRATIONS: &[&str] = &[
    // 1: turns, notes, timers.
    "
    CREATE TABLE turns (
        id                  INTEGER PRIMARY KEY,
        -- Which run of the reasoner wrote the turn: hex unix ms and process id.
        session             TEXT    NOT NULL,
        -- Wall clock when the request arrived, unix milliseconds.
        started_at_ms       INTEGER NOT NULL,
        user_text           TEXT    NOT NULL,
        -- 0 while the text was a partial transcript.
        user_final          INTEGER NOT NULL DEFAULT 0,
        assistant_text      TEXT    NOT NULL DEFAULT '',
        -- pending (no answer yet, or the process died), answered, cancelled, failed.
        status              TEXT    NOT NULL DEFAULT 'pending',
        -- skill, llm or fallback; NULL while pending.
        source              TEXT,
        -- Which skill answered, when one did.
        skill               TEXT,
        -- Where the user cut in: characters of assistant_text heard, and that text.
        interrupted_at_char INTEGER,
        heard_text          TEXT,
        -- Request to first streamed text, and request to final answer.
        first_output_ms     INTEGER,
        total_ms            INTEGER
    );
    CREATE INDEX turns_started ON turns(started_at_ms);

    CREATE TABLE notes (
        id            INTEGER PRIMARY KEY,
        created_at_ms INTEGER NOT NULL,
        text          TEXT    NOT NULL
    );

    CREATE TABLE timers (
        id            INTEGER PRIMARY KEY,
        -- timer or reminder.
        kind          TEXT    NOT NULL,
        label         TEXT,
        created_at_ms INTEGER NOT NULL,
        due_at_ms     INTEGER NOT NULL,
        -- pending, fired or cancelled.
        status        TEXT    NOT NULL DEFAULT 'pending'
    );
    CREATE INDEX timers_pending ON timers(status, due_at_ms);
    ",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

pub fn user_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

/// Brings the schema from `from` up to [`SCHEMA_VERSION`].
pub fn migrate(conn: &mut Connection, from: u32) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(from as usize) {
        let version = i as u32 + 1;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the write lock.
        if user_version(&tx)? >= version {
            tx.commit()?;
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "conversation store migrated");
    }
    Ok(())
}
