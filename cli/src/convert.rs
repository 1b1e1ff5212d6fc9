//! `sessionpack convert`: a legacy JSON session to a blob (or its JSON form) through a mapping
//! document and the tenant's dictionary files (`MAPPING.md`). Everything is decided by the
//! library's `LegacyMapping`; this reads the files, writes the grown dictionaries (with
//! `--append`) and then the output, and on a refusal writes nothing at all.

use std::io::{self, IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

use sessionpack::error::LegacyError;
use sessionpack::{Encoder, Error, LegacyMapping};

use crate::args::ConvertArgs;
use crate::atomic_file::{self, Locked};
use crate::dict_file::{self, DictKeys};
use crate::{input, Failure};

/// A dictionary file of `convert`: read, or locked to be replaced with `--append`.
enum Held {
    Read(Vec<u8>),
    Locked(Locked),
}

impl Held {
    fn open(path: &Path, append: bool) -> Result<Held, Failure> {
        Ok(if append {
            Held::Locked(Locked::open(path)?)
        } else {
            Held::Read(dict_file::read(path)?)
        })
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Held::Read(bytes) => bytes,
            Held::Locked(locked) => locked.bytes(),
        }
    }
}

pub fn run(args: &ConvertArgs) -> Result<ExitCode, Failure> {
    if !args.json && io::stdout().is_terminal() {
        return Err(Failure::Input(
            "refusing to write a binary blob to the terminal: redirect (> FILE) or pipe the \
             output, or add --json for the session's JSON form"
                .into(),
        ));
    }
    let mapping_bytes = dict_file::read(&args.mapping)?;
    let mapping = LegacyMapping::from_json(&mapping_bytes)
        .map_err(|e| dict_file::in_file(&args.mapping, e))?
        .with_max_document_len(args.max_document_bytes);
    if atomic_file::same_file(&args.facility_dict, &args.group_dict) {
        return Err(Failure::Input(format!(
            "--facility-dict and --group-dict name the same file {}: a dictionary holds the keys \
             of one kind",
            args.facility_dict.display()
        )));
    }
    let document = read_document(args.input.as_deref(), args.max_document_bytes)?;
    let key = input::key(&args.key)?;
    let keys = DictKeys::with_key(key.clone(), false);
    let facility_file = Held::open(&args.facility_dict, args.append)?;
    let group_file = Held::open(&args.group_dict, args.append)?;
    let facility_view = keys.open(&args.facility_dict, facility_file.bytes())?;
    let group_view = keys.open(&args.group_dict, group_file.bytes())?;

    let mut grown: Vec<(Locked, Vec<u8>)> = Vec::new();
    let session = if args.append {
        let mut facilities = facility_view.to_dictionary();
        let mut groups = group_view.to_dictionary();
        let lens = [facility_view.len(), group_view.len()];
        let session = mapping.convert_appending(&document, &mut facilities, &mut groups)?;
        for (file, before, after) in [
            (facility_file, lens[0], &facilities),
            (group_file, lens[1], &groups),
        ] {
            if let (Held::Locked(locked), true) = (file, after.len() != before) {
                grown.push((locked, after.to_bytes(keys.signing())));
            }
        }
        session
    } else {
        mapping.convert(&document, &facility_view, &group_view)?
    };
    let output = if args.json {
        let mut text = session.to_json();
        text.push('\n');
        text.into_bytes()
    } else {
        let mut encoder = Encoder::new();
        if let Some(key) = key {
            encoder = encoder.with_key(key);
        }
        encoder.encode(&session)?.to_vec()
    };
    // The dictionaries first: a blob never holds an id its dictionary file lacks.
    grown
        .into_iter()
        .try_for_each(|(locked, bytes)| locked.replace(&bytes))?;
    input::write(None, &output)?;
    Ok(ExitCode::SUCCESS)
}

/// The legacy document from `path` (standard input for none or `-`), reading at most `limit`
/// bytes and one more: a longer document is refused without reading the rest (M-DOC-SIZE).
fn read_document(path: Option<&Path>, limit: usize) -> Result<Vec<u8>, Failure> {
    let most = u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1);
    let mut bytes = Vec::new();
    match path {
        Some(p) if p != Path::new("-") => {
            let file =
                std::fs::File::open(p).map_err(|e| Failure::File(p.display().to_string(), e))?;
            file.take(most)
                .read_to_end(&mut bytes)
                .map_err(|e| Failure::File(p.display().to_string(), e))?;
        }
        _ => {
            io::stdin().lock().take(most).read_to_end(&mut bytes)?;
        }
    }
    if bytes.len() > limit {
        return Err(Failure::Session(Error::Legacy(
            LegacyError::document_too_long(limit, "the document", "--max-document-bytes"),
        )));
    }
    Ok(bytes)
}
