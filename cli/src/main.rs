//! `sessionpack`: encode, inspect, check, measure and detect session blobs, keep the id
//! dictionaries they are encoded through, and a demo of the whole story. A thin layer over the
//! library's public API: every format decision is the library's.

mod args;
mod atomic_file;
mod commands;
mod convert;
mod demo;
mod demo_redis;
mod demo_svg;
mod dict_commands;
mod dict_file;
mod dict_session;
mod explain;
mod human;
mod input;
mod key_text;
mod lineage;
mod membership;
mod migrate;
mod print_json;
mod time;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let json = cli.json();
    match commands::run(cli) {
        Ok(code) => code,
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            if json {
                // With --json, standard output holds one object whatever happens.
                let _ = print_json::print_json(&serde_json::json!({ "error": failure.to_json() }));
            }
            let _ = writeln!(io::stderr(), "sessionpack: error: {failure}");
            ExitCode::from(2)
        }
    }
}

/// Why a command failed: one line on stderr (and with `--json` an `{"error": …}` object on
/// stdout), exit status 2.
#[derive(Debug)]
pub enum Failure {
    /// The library refused the input.
    Session(sessionpack::Error),
    /// Reading or writing failed.
    Io(io::Error),
    /// A file could not be read or written.
    File(String, io::Error),
    /// The library refused the content of a file (a dictionary): the path, the error.
    InFile(String, sessionpack::Error),
    /// The input or the arguments are unusable.
    Input(String),
    /// The input is recognisably something other than a blob (what `redis-cli` prints for a
    /// missing key, a blob with a newline after it…): `kind` as in [`Failure::kind`].
    Refused {
        /// The error kind.
        kind: &'static str,
        /// What the input is, and what to do instead.
        message: String,
    },
}

impl Failure {
    /// The kind `--json` reports: the library's error kinds, plus `io` for files and pipes.
    pub fn kind(&self) -> &'static str {
        match self {
            Failure::Session(e) | Failure::InFile(_, e) => explain::kind(e),
            Failure::Io(_) | Failure::File(..) => "io",
            Failure::Input(_) => "invalid_input",
            Failure::Refused { kind, .. } => kind,
        }
    }

    /// `{"kind": …, "message": …}`, the error as `--json` prints it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({ "kind": self.kind(), "message": self.to_string() })
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Session(e) => f.write_str(&explain::message(e)),
            Failure::Io(e) => write!(f, "{e}"),
            Failure::File(path, e) => write!(f, "{path}: {e}"),
            Failure::InFile(path, e) => write!(f, "{path}: {}", explain::message(e)),
            Failure::Input(message) | Failure::Refused { message, .. } => f.write_str(message),
        }
    }
}

impl From<sessionpack::Error> for Failure {
    fn from(e: sessionpack::Error) -> Self {
        Failure::Session(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}
