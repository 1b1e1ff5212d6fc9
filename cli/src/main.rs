//! `sessionpack`: encode, inspect, check, measure and detect session blobs, and a demo of the
//! whole story. A thin layer over the library's public API: every format decision is the
//! library's.

mod args;
mod commands;
mod demo;
mod input;
mod time;

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    match commands::run(cli) {
        Ok(code) => code,
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = writeln!(io::stderr(), "sessionpack: error: {failure}");
            ExitCode::from(2)
        }
    }
}

/// Why a command failed: printed as one line on stderr, exit status 2.
#[derive(Debug)]
pub enum Failure {
    /// The library refused the input.
    Session(sessionpack::Error),
    /// Reading or writing failed.
    Io(io::Error),
    /// A file could not be read or written.
    File(String, io::Error),
    /// The input or the arguments are unusable.
    Input(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Session(e) => {
                write!(f, "{e}")?;
                // The library's errors keep their cause apart; show the whole chain on one line.
                let mut source = std::error::Error::source(e);
                while let Some(cause) = source {
                    write!(f, ": {cause}")?;
                    source = cause.source();
                }
                Ok(())
            }
            Failure::Io(e) => write!(f, "{e}"),
            Failure::File(path, e) => write!(f, "{path}: {e}"),
            Failure::Input(message) => f.write_str(message),
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
