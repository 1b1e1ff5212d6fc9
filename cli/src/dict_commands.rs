//! `sessionpack dict new|add|lookup|inspect`: id dictionary files, made, extended and read.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use sessionpack::{IdDictionary, IdDictionaryView, KeyType};

use crate::args::{
    DictAddArgs, DictArgs, DictCommand, DictInspectArgs, DictLookupArgs, DictNewArgs,
};
use crate::atomic_file::{self, Locked};
use crate::dict_file::{self, DictKeys};
use crate::print_json::print_json;
use crate::{key_text, lineage, Failure};

/// Runs the `dict` subcommand of `args`.
pub fn run(args: &DictArgs) -> Result<ExitCode, Failure> {
    match &args.command {
        DictCommand::New(a) => new(a),
        DictCommand::Add(a) => add(a),
        DictCommand::Lookup(a) => lookup(a),
        DictCommand::Inspect(a) => inspect(a),
    }
}

/// `dict new`: an empty dictionary with a random lineage, signed when a key is given.
fn new(args: &DictNewArgs) -> Result<ExitCode, Failure> {
    let keys = DictKeys::new(&args.key, false)?;
    let dict = IdDictionary::new(
        &args.tenant,
        args.kind.into(),
        args.key_type.into(),
        lineage::random()?,
    )?;
    let existed = args.force && args.file.exists();
    atomic_file::create(&args.file, &dict.to_bytes(keys.signing()), args.force)?;
    if existed {
        writeln!(
            io::stderr(),
            "sessionpack: warning: replaced {} with a new, empty dictionary of another lineage",
            args.file.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `dict add`: every key's id, appending the unknown ones. The file is replaced only when every
/// key is valid, and only when its bytes change: keys were appended, or it is signed anew (an
/// unsigned one opened with a key and `--allow-unsigned`).
fn add(args: &DictAddArgs) -> Result<ExitCode, Failure> {
    let keys = DictKeys::new(&args.key, args.allow_unsigned)?;
    // Standard input is read before the lock is taken: a writer never waits on a terminal.
    let items = key_text::gather(&args.keys)?;
    let locked = Locked::open(&args.file)?;
    let view = keys.open(&args.file, locked.bytes())?;
    let parsed = key_text::parse_all(view.key_type(), &items, &shown(&args.file))?;
    let old = view.to_dictionary();
    let (next, ids) = old
        .append(parsed.iter().copied())
        .map_err(|e| dict_file::in_file(&args.file, e))?;
    let written = next.to_bytes(keys.signing());
    if written != locked.bytes() {
        locked.replace(&written)?;
    }
    // Printed once the ids are on the disk.
    let mut out = io::stdout().lock();
    for (key, id) in parsed.iter().zip(ids) {
        writeln!(out, "{key}\t{id}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `dict lookup`: the id of every known key on stdout, the unknown ones named on stderr.
fn lookup(args: &DictLookupArgs) -> Result<ExitCode, Failure> {
    let keys = DictKeys::new(&args.key, args.allow_unsigned)?;
    let items = key_text::gather(&args.keys)?;
    let bytes = dict_file::read(&args.file)?;
    let view = keys.open(&args.file, &bytes)?;
    let file = shown(&args.file);
    let parsed = key_text::parse_all(view.key_type(), &items, &file)?;
    let mut unknown = Vec::new();
    let mut out = io::stdout().lock();
    for key in parsed {
        match view.id_of(key)? {
            Some(id) => writeln!(out, "{key}\t{id}")?,
            None => unknown.push(key),
        }
    }
    out.flush()?;
    let mut err = io::stderr().lock();
    for key in &unknown {
        writeln!(err, "sessionpack: {key} is not in {file}")?;
    }
    Ok(if unknown.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `dict inspect`: what the dictionary's header and size say, as text or one JSON object.
fn inspect(args: &DictInspectArgs) -> Result<ExitCode, Failure> {
    let keys = DictKeys::new(&args.key, args.allow_unsigned)?;
    let bytes = dict_file::read(&args.file)?;
    let view = keys.open(&args.file, &bytes)?;
    if args.json.json {
        print_json(&describe(&args.file, &view))?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = io::stdout().lock();
    writeln!(out, "file      {}", args.file.display())?;
    writeln!(out, "tenant    {}", view.tenant())?;
    writeln!(out, "kind      {}", view.kind())?;
    writeln!(out, "keys      {}", key_type_name(view.key_type()))?;
    writeln!(out, "lineage   {:016x}", view.lineage())?;
    writeln!(out, "count     {}", view.len())?;
    writeln!(out, "digest    {:016x}", view.digest())?;
    match view.key_id() {
        Some(id) => writeln!(out, "signed    yes, key id {id}")?,
        None => writeln!(out, "signed    no")?,
    }
    writeln!(out, "size      {} bytes", view.as_bytes().len())?;
    Ok(ExitCode::SUCCESS)
}

/// The `dict inspect --json` object.
fn describe(file: &Path, view: &IdDictionaryView<'_>) -> serde_json::Value {
    json!({
        "file": file.display().to_string(),
        "tenant": view.tenant(),
        "kind": view.kind().to_string(),
        "key_type": key_type_name(view.key_type()),
        "lineage": format!("{:016x}", view.lineage()),
        "count": view.len(),
        "digest": format!("{:016x}", view.digest()),
        "signed": view.key_id().is_some(),
        "key_id": view.key_id(),
        "size": view.as_bytes().len(),
    })
}

/// A key type as `--keys` names it.
fn key_type_name(key_type: KeyType) -> String {
    match key_type {
        KeyType::ObjectId => "objectid".into(),
        KeyType::Uuid => "uuid".into(),
        KeyType::String => "string".into(),
        other => other.to_string().to_lowercase(),
    }
}

/// A path as messages show it.
fn shown(path: &Path) -> String {
    path.display().to_string()
}
