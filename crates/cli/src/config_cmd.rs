use std::path::PathBuf;
use std::process::ExitCode;

use tandem_core::config::{self, ApiKey, Config, Overrides};

use crate::{GlobalArgs, load_config};

#[derive(Debug, clap::Subcommand)]
pub enum ConfigCmd {
    /// Print the effective configuration (file + flags) as TOML (an API key as `<redacted>`).
    Show {
        /// Print the built-in defaults instead.
        #[arg(long)]
        defaults: bool,
    },
    /// Check a config file (default: the user's) and report the first problem with its line.
    Validate { file: Option<PathBuf> },
    /// Print where the config file is read from.
    Path,
    /// Write the defaults to the config file, if there is none yet (never overwrites).
    Init,
}

pub fn run(global: &GlobalArgs, cmd: ConfigCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        ConfigCmd::Show { defaults } => {
            let mut c = if defaults {
                Config::default()
            } else {
                load_config(global, Overrides::default())?
            };
            // What is printed gets pasted into bug reports: the key stays in the file.
            if let Some(key) = &mut c.llm.api_key {
                *key = ApiKey::new("<redacted>");
            }
            print!("{}", c.to_toml());
        }
        ConfigCmd::Validate { file } => {
            let path = match file {
                Some(f) => f,
                None => config::default_path()?,
            };
            if !path.exists() {
                println!("{}: no file (defaults apply)", path.display());
            } else {
                Config::load_from(&path)?;
                println!("{}: ok", path.display());
            }
        }
        ConfigCmd::Path => println!("{}", config::default_path()?.display()),
        ConfigCmd::Init => {
            let path = config::default_path()?;
            Config::default().write_new(&path)?;
            println!("wrote the defaults to {}", path.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
