//! The user's data at rest: the config file, the conversation history (turns, notes, timers),
//! event logs and exports are readable by the user only. Files are created with mode 0600 and
//! the directories Tandem owns with 0700. A whole file is replaced through a temporary file
//! with an unpredictable name in the same directory (created exclusively, mode 0600), synced
//! and renamed over the old one, so a reader sees the old file or the new one and nobody can
//! plant or read the temporary file first.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Mode of every file that holds the user's data.
pub const FILE_MODE: u32 = 0o600;
/// Mode of the directories Tandem owns.
pub const DIR_MODE: u32 = 0o700;

/// Whether `dir` is Tandem's own directory under an XDG base directory (`<base>/tandem`), the
/// only kind of existing directory [`create_dir`] may tighten: a directory the user pointed
/// Tandem at (`$TANDEM_DATA_DIR`, `$TANDEM_CONFIG`) keeps its mode.
pub fn is_own_dir(dir: &Path, base: Option<PathBuf>) -> bool {
    base.is_some_and(|b| dir == b.join("tandem"))
}

/// Creates `dir` and its missing parents with mode 0700. With `tighten`, an existing `dir` is
/// set to 0700 as well (see [`is_own_dir`]).
pub fn create_dir(dir: &Path, tighten: bool) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)?;
        if tighten {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(DIR_MODE))?;
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tighten;
        std::fs::create_dir_all(dir)?;
    }
    Ok(())
}

/// Sets an open regular file to mode 0600. Anything else (a terminal, a pipe, `/dev/null`
/// given as an output path) is left alone.
fn restrict(file: &File) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = file.metadata()?;
        if meta.is_file() && meta.permissions().mode() & 0o777 != FILE_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(FILE_MODE))?;
        }
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}

/// Sets the regular file at `path` to mode 0600, if there is one.
pub fn restrict_path(path: &Path) -> io::Result<()> {
    match File::open(path) {
        Ok(f) => restrict(&f),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens `path` for writing as a private file (mode 0600): a new file with `create_new`
/// (an existing one is refused with `AlreadyExists`), else created or truncated. An existing
/// regular file is made private too.
pub fn create_file(path: &Path, create_new: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(FILE_MODE);
    }
    let file = options.open(path)?;
    restrict(&file)?;
    Ok(file)
}

/// Creates an SQLite database file as a private file before SQLite does, so that SQLite
/// creates its `-wal`, `-shm` and `-journal` files private too (it gives them the database's
/// mode); makes existing ones private.
pub fn prepare_sqlite(path: &Path) -> io::Result<()> {
    match create_file(path, true) {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => restrict_path(path)?,
        Err(e) => return Err(e),
    }
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut side = path.as_os_str().to_owned();
        side.push(suffix);
        restrict_path(Path::new(&side))?;
    }
    Ok(())
}

/// Replaces `path` with `bytes` atomically, as a private file (see the module docs). The
/// directory must exist.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, true)
}

/// Like [`write_atomic`], but never replaces an existing file: that is `AlreadyExists`.
pub fn write_new_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_via_temp(path, bytes, false)
}

fn write_via_temp(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tandem-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    restrict(tmp.as_file())?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    if replace {
        tmp.persist(path).map_err(|e| e.error)?;
    } else {
        tmp.persist_noclobber(path).map_err(|e| e.error)?;
    }
    if let Ok(d) = File::open(dir) {
        // Makes the rename durable; not every file system can sync a directory.
        let _ = d.sync_all();
    }
    Ok(())
}

/// The permission bits of `path` (tests and `tandem doctor`).
#[cfg(unix)]
pub fn mode(path: &Path) -> io::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_are_private_and_replace_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "old").unwrap();
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        assert_eq!(mode(&path).unwrap(), 0o600);
        // No temporary file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("config.toml")]);
        assert_eq!(
            write_new_atomic(&path, b"newer").unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        let fresh = dir.path().join("fresh.toml");
        write_new_atomic(&fresh, b"x").unwrap();
        assert_eq!(mode(&fresh).unwrap(), 0o600);
    }

    #[test]
    fn created_files_and_directories_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("a").join("tandem");
        create_dir(&nested, false).unwrap();
        assert_eq!(mode(&nested).unwrap(), 0o700);
        assert_eq!(mode(&dir.path().join("a")).unwrap(), 0o700);
        let f = nested.join("events.jsonl");
        drop(create_file(&f, true).unwrap());
        assert_eq!(mode(&f).unwrap(), 0o600);
        assert_eq!(
            create_file(&f, true).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
            std::fs::set_permissions(&nested, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        drop(create_file(&f, false).unwrap());
        assert_eq!(mode(&f).unwrap(), 0o600, "an existing file is made private");
        create_dir(&nested, false).unwrap();
        assert_eq!(mode(&nested).unwrap(), 0o755, "not tightened unless asked");
        create_dir(&nested, true).unwrap();
        assert_eq!(mode(&nested).unwrap(), 0o700);
    }

    #[test]
    fn only_tandems_own_directory_counts_as_its_own() {
        let base = PathBuf::from("/home/u/.local/share");
        assert!(is_own_dir(&base.join("tandem"), Some(base.clone())));
        assert!(!is_own_dir(Path::new("/tmp"), Some(base.clone())));
        assert!(!is_own_dir(&base, Some(base.clone())));
        assert!(!is_own_dir(&base.join("tandem"), None));
    }
}
