//! [`print_json`]: the whole output of a `--json` command, for every command.

use std::io::{self, Write};

use crate::Failure;

/// Prints `value` on stdout as one compact line: the whole output of a `--json` command.
pub fn print_json(value: &serde_json::Value) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    serde_json::to_writer(&mut out, value).map_err(io::Error::from)?;
    writeln!(out)?;
    Ok(())
}
