//! Conversation history, notes and timers in SQLite.
//!
//! One file, `$TANDEM_DATA_DIR/tandem.db` or `<data dir>/tandem/tandem.db`, in WAL mode: every
//! write is one short transaction, so a process killed at any moment loses at most the write
//! in flight, and the reasoner writes the user's turn before it starts reasoning. The schema
//! is versioned with `PRAGMA user_version` (see [`schema`]). A damaged file is reported with
//! its path and the fix, and never overwritten or recreated.

pub mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};
use serde::Serialize;

pub use schema::SCHEMA_VERSION;

/// Environment variable that points at the directory holding `tandem.db`.
pub const DATA_DIR_ENV: &str = "TANDEM_DATA_DIR";

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "tandem.db";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "conversation history {path} is damaged or is not a Tandem database ({detail}); Tandem left it untouched\n  fix: move it aside to start a new history (`mv '{path}' '{path}.damaged'`), or try to rescue it with `sqlite3 '{path}' .recover`"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error(
        "conversation history {path} has schema version {found}, but this Tandem understands up to {SCHEMA_VERSION}\n  fix: update Tandem, or set ${DATA_DIR_ENV} to another directory"
    )]
    NewerSchema { path: PathBuf, found: u32 },
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "cannot make the conversation history {path} private to the user (mode 0600): {source}"
    )]
    Private {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("conversation history {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("no data directory for the conversation history: set $HOME or ${DATA_DIR_ENV}")]
    NoDataDir,
}

/// How a turn ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum TurnStatus {
    /// No answer yet; after a restart, the process died mid-turn.
    Pending,
    Answered,
    /// Cancelled by the user cutting in or moving on.
    Cancelled,
    Failed,
}

impl TurnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Answered => "answered",
            Self::Cancelled => "cancelled",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> TurnStatus {
        match s {
            "answered" => Self::Answered,
            "cancelled" => Self::Cancelled,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One user turn and the assistant's answer to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TurnRecord {
    pub id: i64,
    pub session: String,
    /// Wall clock when the request arrived, unix milliseconds.
    pub started_at_ms: i64,
    pub user_text: String,
    /// False while the text was a partial transcript.
    pub user_final: bool,
    pub assistant_text: String,
    pub status: TurnStatus,
    /// `skill`, `llm` or `fallback`.
    pub source: Option<String>,
    pub skill: Option<String>,
    /// Characters of `assistant_text` the user heard before cutting in.
    pub interrupted_at_char: Option<i64>,
    pub heard_text: Option<String>,
    /// Request to first streamed text.
    pub first_output_ms: Option<i64>,
    /// Request to final answer.
    pub total_ms: Option<i64>,
}

/// How a turn ended, for [`Store::finish_turn`].
#[derive(Debug, Clone, Copy)]
pub struct TurnOutcome<'a> {
    pub assistant_text: &'a str,
    pub status: TurnStatus,
    pub source: Option<&'a str>,
    pub skill: Option<&'a str>,
    pub first_output_ms: Option<u64>,
    pub total_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoteRecord {
    pub id: i64,
    pub created_at_ms: i64,
    /// The note in the user's words ("my keys are in the drawer").
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimerRecord {
    pub id: i64,
    /// `timer` or `reminder`.
    pub kind: String,
    /// What the timer is for ("pasta"), or the reminder's text.
    pub label: Option<String>,
    pub created_at_ms: i64,
    pub due_at_ms: i64,
    /// `pending`, `fired` or `cancelled`.
    pub status: String,
}

/// Everything in the store, as `tandem history --export` writes it.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub schema_version: u32,
    pub database: String,
    pub exported_at_ms: i64,
    pub turns: Vec<TurnRecord>,
    pub notes: Vec<NoteRecord>,
    pub timers: Vec<TimerRecord>,
}

/// A handle on the database; clones share one connection.
#[derive(Debug, Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Mutex<Connection>,
    path: PathBuf,
}

/// Wall clock, unix milliseconds.
pub fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// A unix-millisecond time as local wall-clock text: "2026-06-09 15:07:03".
pub fn local_time_text(unix_ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(unix_ms) {
        Ok(ts) => ts
            .to_zoned_datetime(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => unix_ms.to_string(),
    }
}

fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

/// The `turns` columns in the order [`turn_record`] reads them.
const TURN_SELECT: &str = "SELECT id, session, started_at_ms, user_text, user_final, \
     assistant_text, status, source, skill, interrupted_at_char, heard_text, first_output_ms, \
     total_ms FROM turns";

/// A `turns` row, selected with [`TURN_SELECT`].
fn turn_record(r: &rusqlite::Row<'_>) -> rusqlite::Result<TurnRecord> {
    Ok(TurnRecord {
        id: r.get(0)?,
        session: r.get(1)?,
        started_at_ms: r.get(2)?,
        user_text: r.get(3)?,
        user_final: r.get(4)?,
        assistant_text: r.get(5)?,
        status: TurnStatus::parse(&r.get::<_, String>(6)?),
        source: r.get(7)?,
        skill: r.get(8)?,
        interrupted_at_char: r.get(9)?,
        heard_text: r.get(10)?,
        first_output_ms: r.get(11)?,
        total_ms: r.get(12)?,
    })
}

impl Store {
    /// Where the database lives: `$TANDEM_DATA_DIR/tandem.db`, else the XDG data directory.
    pub fn default_path() -> Result<PathBuf, StoreError> {
        if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(dir).join(DB_FILE));
        }
        dirs::data_dir()
            .map(|d| d.join("tandem").join(DB_FILE))
            .ok_or(StoreError::NoDataDir)
    }

    /// Opens [`Store::default_path`], creating it on first use.
    pub fn open_default() -> Result<Store, StoreError> {
        Self::open(&Self::default_path()?)
    }

    /// Opens (or creates) the database at `path` and brings its schema up to date.
    ///
    /// The history is the user's only: the database and its `-wal`/`-shm` files are mode 0600
    /// (SQLite gives those two the database's mode), a directory created for it is 0700, and
    /// so is Tandem's own data directory (`<data dir>/tandem`) if it was readable by others.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let tighten = crate::private_fs::is_own_dir(dir, dirs::data_dir());
            crate::private_fs::create_dir(dir, tighten).map_err(|source| {
                StoreError::CreateDir {
                    path: dir.to_owned(),
                    source,
                }
            })?;
        }
        crate::private_fs::prepare_sqlite(path).map_err(|source| StoreError::Private {
            path: path.to_owned(),
            source,
        })?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| Self::classify(path, e))?;
        Self::prepare(conn, path)
    }

    /// A private database in memory, for tests and for running without history.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let path = Path::new(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| Self::classify(path, e))?;
        Self::prepare(conn, path)
    }

    fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
        if is_corrupt(&e) {
            StoreError::Corrupt {
                path: path.to_owned(),
                detail: e.to_string(),
            }
        } else {
            StoreError::Sqlite {
                path: path.to_owned(),
                source: e,
            }
        }
    }

    fn prepare(mut conn: Connection, path: &Path) -> Result<Store, StoreError> {
        let err = |e| Self::classify(path, e);
        conn.busy_timeout(Duration::from_secs(2)).map_err(err)?;
        // Reading the header first: a file that is not SQLite fails here, before any write.
        let version = schema::user_version(&conn).map_err(err)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_owned(),
                found: version,
            });
        }
        if version == 0 {
            // A new file has no tables; one with tables but no version is someone else's.
            let tables: i64 = conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(err)?;
            if tables > 0 {
                return Err(StoreError::Corrupt {
                    path: path.to_owned(),
                    detail: "it is an SQLite database, but not one Tandem wrote".to_owned(),
                });
            }
        }
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(err)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                detail: check,
            });
        }
        // WAL: readers (the UI, `tandem history`) never block the writer. NORMAL sync keeps
        // every committed transaction across a process crash; only power loss can undo the
        // last few, and it never corrupts the file.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        schema::migrate(&mut conn, version).map_err(err)?;
        Ok(Store {
            inner: Arc::new(Inner {
                conn: Mutex::new(conn),
                path: path.to_owned(),
            }),
        })
    }

    /// The database file (`:memory:` for an in-memory store).
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions roll
        // back), so the connection is still good.
        self.inner.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        f(&self.conn()).map_err(|e| Self::classify(&self.inner.path, e))
    }

    /// Runs SQLite's full integrity check; `ok` when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.with(|c| c.query_row("PRAGMA integrity_check", [], |r| r.get(0)))
    }

    // ---- turns ---------------------------------------------------------------------------

    /// Records the user's side of a turn; call before reasoning, so a crash loses nothing.
    pub fn begin_turn(
        &self,
        session: &str,
        user_text: &str,
        user_final: bool,
        started_at_ms: i64,
    ) -> Result<i64, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO turns (session, started_at_ms, user_text, user_final) VALUES (?1, ?2, ?3, ?4)",
                params![session, started_at_ms, user_text, user_final],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    /// Replaces the user's text after a course correction or a final transcript. The turn is
    /// pending again: the answer to the old text no longer stands.
    pub fn update_user_text(
        &self,
        turn: i64,
        text: &str,
        user_final: bool,
    ) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE turns SET user_text = ?2, user_final = ?3, status = 'pending',
                        assistant_text = '', source = NULL, skill = NULL
                 WHERE id = ?1",
                params![turn, text, user_final],
            )
            .map(drop)
        })
    }

    /// Records the answer. Only a pending turn is updated, so the first outcome wins (an
    /// answer that raced a cancellation stays an answer). Returns whether it was recorded.
    pub fn finish_turn(&self, turn: i64, outcome: TurnOutcome<'_>) -> Result<bool, StoreError> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE turns SET assistant_text = ?2, status = ?3, source = ?4, skill = ?5,
                        first_output_ms = ?6, total_ms = ?7
                 WHERE id = ?1 AND status = 'pending'",
                params![
                    turn,
                    outcome.assistant_text,
                    outcome.status.as_str(),
                    outcome.source,
                    outcome.skill,
                    outcome.first_output_ms.map(|v| v as i64),
                    outcome.total_ms as i64
                ],
            )?;
            Ok(n == 1)
        })
    }

    /// Records where the user cut in: `heard` is the assistant text heard so far.
    pub fn set_interruption(&self, turn: i64, heard: &str) -> Result<(), StoreError> {
        self.with(|c| {
            let said: Option<String> = c
                .query_row(
                    "SELECT assistant_text FROM turns WHERE id = ?1",
                    [turn],
                    |r| r.get(0),
                )
                .optional()?;
            let offset = interruption_offset(said.as_deref().unwrap_or(""), heard);
            c.execute(
                "UPDATE turns SET interrupted_at_char = ?2, heard_text = ?3 WHERE id = ?1",
                params![turn, offset as i64, heard],
            )
            .map(drop)
        })
    }

    /// The last `limit` turns (all when `None`), oldest first.
    pub fn turns(&self, limit: Option<usize>) -> Result<Vec<TurnRecord>, StoreError> {
        self.recent_turns(limit.unwrap_or(usize::MAX), None)
    }

    /// One page of history, newest first: up to `limit` turns older than the turn `before`
    /// (from the newest when `None`). Pass the last id of a page to get the next one.
    pub fn turns_page(
        &self,
        before: Option<i64>,
        limit: usize,
    ) -> Result<Vec<TurnRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "{TURN_SELECT} WHERE id < ?2 ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![limit, before.unwrap_or(i64::MAX)], turn_record)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })
    }

    /// The last `limit` turns except `exclude`, oldest first.
    pub fn recent_turns(
        &self,
        limit: usize,
        exclude: Option<i64>,
    ) -> Result<Vec<TurnRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "{TURN_SELECT} WHERE id != ?2 ORDER BY id DESC LIMIT ?1"
            ))?;
            let rows = stmt.query_map(params![limit, exclude.unwrap_or(-1)], turn_record)?;
            let mut turns = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            turns.reverse();
            Ok(turns)
        })
    }

    // ---- notes ---------------------------------------------------------------------------

    pub fn add_note(&self, text: &str, created_at_ms: i64) -> Result<NoteRecord, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO notes (created_at_ms, text) VALUES (?1, ?2)",
                params![created_at_ms, text],
            )?;
            Ok(NoteRecord {
                id: c.last_insert_rowid(),
                created_at_ms,
                text: text.to_owned(),
            })
        })
    }

    /// Every note, oldest first.
    pub fn notes(&self) -> Result<Vec<NoteRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare("SELECT id, created_at_ms, text FROM notes ORDER BY id")?;
            let rows = stmt.query_map([], |r| {
                Ok(NoteRecord {
                    id: r.get(0)?,
                    created_at_ms: r.get(1)?,
                    text: r.get(2)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Deletes these notes; returns how many went.
    pub fn delete_notes(&self, ids: &[i64]) -> Result<usize, StoreError> {
        self.with(|c| {
            let tx = c.unchecked_transaction()?;
            let mut n = 0;
            for id in ids {
                n += tx.execute("DELETE FROM notes WHERE id = ?1", [id])?;
            }
            tx.commit()?;
            Ok(n)
        })
    }

    // ---- timers --------------------------------------------------------------------------

    pub fn add_timer(
        &self,
        kind: &str,
        label: Option<&str>,
        created_at_ms: i64,
        due_at_ms: i64,
    ) -> Result<TimerRecord, StoreError> {
        self.with(|c| {
            c.execute(
                "INSERT INTO timers (kind, label, created_at_ms, due_at_ms) VALUES (?1, ?2, ?3, ?4)",
                params![kind, label, created_at_ms, due_at_ms],
            )?;
            Ok(TimerRecord {
                id: c.last_insert_rowid(),
                kind: kind.to_owned(),
                label: label.map(str::to_owned),
                created_at_ms,
                due_at_ms,
                status: "pending".to_owned(),
            })
        })
    }

    /// Timers that have not fired or been cancelled, soonest first.
    pub fn pending_timers(&self) -> Result<Vec<TimerRecord>, StoreError> {
        self.timers_where("status = 'pending' ORDER BY due_at_ms")
    }

    fn timers_where(&self, clause: &str) -> Result<Vec<TimerRecord>, StoreError> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT id, kind, label, created_at_ms, due_at_ms, status FROM timers WHERE {clause}"
            ))?;
            let rows = stmt.query_map([], |r| {
                Ok(TimerRecord {
                    id: r.get(0)?,
                    kind: r.get(1)?,
                    label: r.get(2)?,
                    created_at_ms: r.get(3)?,
                    due_at_ms: r.get(4)?,
                    status: r.get(5)?,
                })
            })?;
            rows.collect()
        })
    }

    /// Marks a timer `fired` or `cancelled`.
    pub fn set_timer_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute(
                "UPDATE timers SET status = ?2 WHERE id = ?1",
                params![id, status],
            )
            .map(drop)
        })
    }

    // ---- export --------------------------------------------------------------------------

    pub fn export(&self) -> Result<Export, StoreError> {
        Ok(Export {
            schema_version: SCHEMA_VERSION,
            database: self.inner.path.display().to_string(),
            exported_at_ms: now_unix_ms(),
            turns: self.turns(None)?,
            notes: self.notes()?,
            timers: self.timers_where("1 ORDER BY id")?,
        })
    }
}

/// Characters of `said` that `heard` covers: its end when `heard` is a prefix or a piece of
/// `said` (TTS may drop punctuation), else its own length.
fn interruption_offset(said: &str, heard: &str) -> usize {
    let heard = heard.trim();
    if heard.is_empty() {
        return 0;
    }
    match said.find(heard) {
        Some(byte) => said[..byte].chars().count() + heard.chars().count(),
        None => heard.chars().count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(text: &str) -> TurnOutcome<'_> {
        TurnOutcome {
            assistant_text: text,
            status: TurnStatus::Answered,
            source: Some("skill"),
            skill: Some("math"),
            first_output_ms: Some(3),
            total_ms: 5,
        }
    }

    #[test]
    fn turns_round_trip_and_first_outcome_wins() {
        let s = Store::open_in_memory().unwrap();
        let t = s.begin_turn("s1", "what is 2 plus 2", true, 1000).unwrap();
        assert!(s.finish_turn(t, outcome("2 plus 2 is 4.")).unwrap());
        let cancelled = TurnOutcome {
            status: TurnStatus::Cancelled,
            ..outcome("2 plus")
        };
        assert!(
            !s.finish_turn(t, cancelled).unwrap(),
            "answered turn must stay answered"
        );
        s.set_interruption(t, "2 plus 2").unwrap();
        let turns = s.turns(None).unwrap();
        assert_eq!(turns.len(), 1);
        let r = &turns[0];
        assert_eq!(r.user_text, "what is 2 plus 2");
        assert_eq!(r.assistant_text, "2 plus 2 is 4.");
        assert_eq!(r.status, TurnStatus::Answered);
        assert_eq!(r.interrupted_at_char, Some(8));
        assert_eq!(r.heard_text.as_deref(), Some("2 plus 2"));
        assert_eq!((r.first_output_ms, r.total_ms), (Some(3), Some(5)));
    }

    #[test]
    fn recent_turns_are_oldest_first_and_skip_the_excluded() {
        let s = Store::open_in_memory().unwrap();
        let ids: Vec<i64> = (0..5)
            .map(|i| s.begin_turn("s", &format!("turn {i}"), true, i).unwrap())
            .collect();
        let recent = s.recent_turns(3, Some(ids[4])).unwrap();
        let texts: Vec<&str> = recent.iter().map(|t| t.user_text.as_str()).collect();
        assert_eq!(texts, ["turn 1", "turn 2", "turn 3"]);
    }

    #[test]
    fn notes_and_timers() {
        let s = Store::open_in_memory().unwrap();
        let a = s.add_note("my keys are in the drawer", 1).unwrap();
        s.add_note("the wifi password is hunter2", 2).unwrap();
        assert_eq!(s.notes().unwrap().len(), 2);
        assert_eq!(s.delete_notes(&[a.id]).unwrap(), 1);
        assert_eq!(s.notes().unwrap()[0].text, "the wifi password is hunter2");
        let t = s.add_timer("timer", Some("pasta"), 0, 600_000).unwrap();
        s.add_timer("reminder", Some("call mom"), 0, 60_000)
            .unwrap();
        let pending = s.pending_timers().unwrap();
        assert_eq!(
            pending[0].label.as_deref(),
            Some("call mom"),
            "soonest first"
        );
        s.set_timer_status(t.id, "cancelled").unwrap();
        assert_eq!(s.pending_timers().unwrap().len(), 1);
        assert_eq!(s.export().unwrap().timers.len(), 2);
    }

    #[test]
    fn reopening_keeps_data_and_uses_wal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/tandem.db");
        {
            let s = Store::open(&path).unwrap();
            s.add_note("remember me", 5).unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.notes().unwrap()[0].text, "remember me");
        let mode: String = s
            .with(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
        let version = s.with(schema::user_version).unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// The history (turns, notes, timers) is readable by the user only, WAL files included,
    /// and an old world-readable database is made private when it is opened.
    #[cfg(unix)]
    #[test]
    fn the_database_and_its_wal_files_are_private() {
        use crate::private_fs::mode;
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let path = data.join("tandem.db");
        let wal = data.join("tandem.db-wal");
        let shm = data.join("tandem.db-shm");
        {
            let s = Store::open(&path).unwrap();
            s.add_note("my door code is 1234", 5).unwrap();
            assert!(wal.exists() && shm.exists(), "WAL mode keeps both open");
            assert_eq!(mode(&data).unwrap(), 0o700);
            for p in [&path, &wal, &shm] {
                assert_eq!(mode(p).unwrap(), 0o600, "{}", p.display());
            }
        }
        for p in [&path, &wal, &shm] {
            if p.exists() {
                std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o644)).unwrap();
            }
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.notes().unwrap()[0].text, "my door code is 1234");
        for p in [&path, &wal, &shm] {
            if p.exists() {
                assert_eq!(mode(p).unwrap(), 0o600, "{} after reopening", p.display());
            }
        }
    }

    #[test]
    fn a_file_that_is_not_a_database_is_reported_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        let junk = b"these are not the bytes of an SQLite database, not even close. ".repeat(100);
        std::fs::write(&path, &junk).unwrap();
        let err = Store::open(&path).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{msg}");
        assert!(msg.contains(&path.display().to_string()), "{msg}");
        assert!(msg.contains("mv "), "the message says how to fix it: {msg}");
        assert_eq!(std::fs::read(&path).unwrap(), junk, "never overwritten");
    }

    #[test]
    fn another_programs_database_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY);")
                .unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        let c = Connection::open(&path).unwrap();
        let tables: i64 = c
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(tables, 1, "no Tandem tables were added");
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("tandem.db");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = Store::open(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::NewerSchema { found: 99, .. }),
            "{err}"
        );
    }

    #[test]
    fn interruption_offsets() {
        assert_eq!(
            interruption_offset("Hello there, friend.", "Hello there"),
            11
        );
        assert_eq!(interruption_offset("Hello there, friend.", ""), 0);
        assert_eq!(interruption_offset("", "Hello"), 5);
    }
}
