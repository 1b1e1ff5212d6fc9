//! The commands: each reads its input, calls the library, prints the answer.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use serde_json::json;
use sessionpack::{detect, Compression, Encoder, Expiry, Format, Header, Session};

use crate::args::{CheckArgs, Cli, Command, DetectArgs, EncodeArgs, InspectArgs, StatsArgs};
use crate::dict_file::DictKeys;
use crate::dict_session::{self, Loaded, Pending};
use crate::print_json::print_json;
use crate::{convert, demo, dict_commands, input, membership, migrate, time, Failure};

pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Encode(args) => encode(&args),
        Command::Convert(args) => convert::run(&args),
        Command::Migrate(args) => migrate::run(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Check(args) => check(&args),
        Command::Stats(args) => stats(&args),
        Command::Detect(args) => detect_format(&args),
        Command::Dict(args) => dict_commands::run(&args),
        Command::Demo(args) => demo::run(&args),
    }
}

/// Times before this, read as Unix milliseconds (1973-01-01), are more likely seconds.
const SECONDS_SUSPECT_BEFORE_MS: i64 = 94_694_400_000;

/// Whether `encode` must refuse to run: a binary blob would go to standard output and that is a
/// terminal.
fn refuses_terminal(output: Option<&Path>, hex: bool, stdout_is_terminal: bool) -> bool {
    !hex && stdout_is_terminal && output.is_none_or(|p| p == Path::new("-"))
}

/// The warning for a time field that looks like seconds, if it does.
fn seconds_warning(field: &str, ms: i64) -> Option<String> {
    if !(1..SECONDS_SUSPECT_BEFORE_MS).contains(&ms) {
        return None;
    }
    let as_ms = ms.saturating_mul(1000);
    Some(format!(
        "{field} {ms} is {} as milliseconds; was it seconds? (sessionpack wants Unix \
         milliseconds: {as_ms} is {})",
        time::iso8601(ms),
        time::iso8601(as_ms)
    ))
}

fn encode(args: &EncodeArgs) -> Result<ExitCode, Failure> {
    // Before reading: from a terminal, standard input would wait for a session to be typed.
    if refuses_terminal(args.output.as_deref(), args.hex, io::stdout().is_terminal()) {
        return Err(Failure::Input(
            "refusing to write a binary blob to the terminal: use -o FILE, redirect (> FILE) or \
             pipe the output, or add --hex for text"
                .into(),
        ));
    }
    let json = input::read(args.input.as_deref())?;
    if json.is_empty() {
        return Err(Failure::Input(
            "the input is empty; expected a session's JSON form".into(),
        ));
    }
    let key = input::key(&args.key)?;
    let (session, pending) = if args.dicts.any() {
        let keys = DictKeys::with_key(key.clone(), false);
        dict_session::read_session(&json, &args.dicts, args.append, &keys)?
    } else {
        (Session::from_json(&json)?, Pending::default())
    };
    for (field, ms) in [
        ("issued_at", session.issued_at),
        ("expires_at", session.expires_at),
    ] {
        if let Some(warning) = seconds_warning(field, ms) {
            writeln!(io::stderr(), "sessionpack: warning: {warning}")?;
        }
    }
    let mut encoder = Encoder::new();
    if let Some(level) = args.level {
        encoder = encoder.with_level(level);
    }
    if args.raw {
        encoder = encoder.with_compression(Compression::Never);
    } else if args.compress {
        encoder = encoder.with_compression(Compression::Always);
    }
    if let Some(key) = key {
        encoder = encoder.with_key(key);
    }
    let blob = encoder.encode(&session)?;
    // The dictionaries first: a blob never holds an id its dictionary file lacks.
    pending.commit()?;
    if args.hex {
        let mut text: String = blob.iter().map(|b| format!("{b:02x}")).collect();
        text.push('\n');
        input::write(args.output.as_deref(), text.as_bytes())?;
    } else {
        input::write(args.output.as_deref(), &blob)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: &InspectArgs) -> Result<ExitCode, Failure> {
    let blob = input::blob(args.blob.input.as_ref(), args.blob.hex)?;
    if args.header {
        let h = HeaderJson::from(&Header::read(&blob)?);
        if args.json.json {
            print_json(&serde_json::to_value(&h).map_err(io::Error::from)?)?;
        } else {
            let mut out = io::stdout().lock();
            let yes_no = |b: bool| if b { "yes" } else { "no" };
            writeln!(out, "version        {}", h.version)?;
            writeln!(out, "compressed     {}", yes_no(h.compressed))?;
            writeln!(out, "signed         {}", yes_no(h.signed))?;
            writeln!(out, "digest         {}", h.digest)?;
            writeln!(out, "stored_len     {} bytes", h.stored_len)?;
            writeln!(out, "decoded_len    {} bytes", h.decoded_len)?;
            writeln!(out, "dictionary_id  {}", h.dictionary_id)?;
            writeln!(out, "key_id         {}", h.key_id)?;
            writeln!(out, "body_digest    {}", h.body_digest)?;
            writeln!(out, "blob_len       {} bytes", h.blob_len)?;
        }
    } else {
        input::no_trailing_newline(&blob, "inspect")?;
        // inspect shows old sessions too: it grants nothing.
        let mut decoder = input::decoder(&args.key, args.allow_unsigned, Expiry::Ignore)?;
        let session = decoder.open(&blob)?.to_session();
        let json = if args.dicts.any() {
            let loaded = Loaded::read(&args.dicts)?;
            let views = loaded.views(&DictKeys::new(&args.key, args.allow_unsigned)?)?;
            let facility = views.facility.map(|o| o.view);
            let group = views.group.map(|o| o.view);
            let text = if args.json.json {
                session.to_json_with(facility.as_ref(), group.as_ref())
            } else {
                session.to_json_pretty_with(facility.as_ref(), group.as_ref())
            };
            text.map_err(|e| dict_session::dict_error(e, &args.dicts))?
        } else if args.json.json {
            session.to_json()
        } else {
            session.to_json_pretty()
        };
        writeln!(io::stdout().lock(), "{json}")?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The header as `inspect --header --json` prints it: the digests as 16 hex digits, then the
/// length of the whole blob it announces.
#[derive(serde::Serialize)]
struct HeaderJson {
    version: u8,
    compressed: bool,
    signed: bool,
    digest: String,
    stored_len: u32,
    decoded_len: u32,
    dictionary_id: u32,
    key_id: u32,
    body_digest: String,
    blob_len: usize,
}

impl From<&Header> for HeaderJson {
    fn from(h: &Header) -> Self {
        HeaderJson {
            version: h.version,
            compressed: h.compressed,
            signed: h.signed,
            digest: format!("{:016x}", h.digest),
            stored_len: h.stored_len,
            decoded_len: h.decoded_len,
            dictionary_id: h.dictionary_id,
            key_id: h.key_id,
            body_digest: format!("{:016x}", h.body_digest),
            blob_len: h.blob_len(),
        }
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode, Failure> {
    let blob = input::blob(args.blob.input.as_ref(), args.blob.hex)?;
    input::no_trailing_newline(&blob, "check")?;
    // The time expiry is checked at: the one given, or the clock's, read once so that the
    // answer reports exactly the time it used.
    let checked_at = match (args.ignore_expiry, args.expired_at) {
        (true, _) => None,
        (false, Some(now)) => Some(now),
        (false, None) => Some(time::now_ms()),
    };
    let expiry = checked_at.map_or(Expiry::Ignore, Expiry::RejectAt);
    let mut decoder = input::decoder(&args.key, args.allow_unsigned, expiry)?;
    let view = decoder.open(&blob)?;
    let loaded = Loaded::read(&args.dicts)?;
    let dicts = loaded.views(&DictKeys::new(&args.key, args.allow_unsigned)?)?;
    let mut checks = Vec::new();
    for (set, items, ids, dict) in [
        (
            "facility",
            &args.facilities,
            view.facilities(),
            dicts.facility,
        ),
        ("group", &args.groups, view.groups(), dicts.group),
    ] {
        match dict {
            None => checks.extend(membership::by_id(set, items, ids)?),
            Some(dict) => checks.extend(membership::by_key(set, items, ids, dict, &args.dicts)?),
        }
    }
    let all = checks.iter().all(|c| c.member);
    if args.json.json {
        let mut answer = json!({
            "member": all,
            "checks": checks.iter().map(membership::Check::to_json).collect::<Vec<_>>(),
            "user_id": view.user_id(),
            "tenant_id": view.tenant_id(),
            "issued_at": view.issued_at(),
            "expires_at": view.expires_at(),
        });
        answer["expiry_checked_at"] = json!(checked_at);
        print_json(&answer)?;
    } else {
        let mut out = io::stdout().lock();
        for check in &checks {
            writeln!(out, "{check}")?;
        }
        match checked_at {
            Some(now) => writeln!(
                out,
                "not expired at {}: expires at {}",
                time::both(now),
                time::both(view.expires_at())
            )?,
            None => writeln!(out, "expiry not checked (--ignore-expiry)")?,
        }
    }
    Ok(if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn stats(args: &StatsArgs) -> Result<ExitCode, Failure> {
    let blob = input::blob(args.blob.input.as_ref(), args.blob.hex)?;
    input::no_trailing_newline(&blob, "stats")?;
    let header = Header::read(&blob)?;
    // stats describes the bytes: it grants nothing.
    let mut decoder = input::decoder(&args.key, true, Expiry::Ignore)?;
    let view = decoder.open(&blob)?;
    let json = view.to_session().to_json().len();
    let sizes = view.field_sizes();
    // `open` checked that the blob is exactly header, body and trailer.
    let mac = blob.len() - Header::LEN - header.stored_len as usize;
    let fields = [
        ("user_id", sizes.user_id),
        ("tenant_id", sizes.tenant_id),
        ("token", sizes.token),
        ("roles", sizes.roles),
        ("settings", sizes.settings),
        ("attributes", sizes.attributes),
        ("facilities", sizes.facilities),
        ("groups", sizes.groups),
        ("structure", sizes.structure),
    ];
    let sets = [
        ("facilities", view.facilities().stats()),
        ("groups", view.groups().stats()),
    ];
    let times = [
        ("issued_at", view.issued_at()),
        ("expires_at", view.expires_at()),
    ];

    if args.json.json {
        let mut answer = json!({
            "blob_len": blob.len(),
            "header_len": Header::LEN,
            "body": {
                "stored_len": header.stored_len,
                "encoding": if header.compressed { "zstd" } else { "raw" },
                "decoded_len": header.decoded_len,
            },
            "mac_len": mac,
            "fields": serde_json::Map::from_iter(
                fields.iter().map(|&(name, bytes)| (name.to_owned(), json!(bytes)))
            ),
            "id_sets": serde_json::Map::from_iter(sets.iter().map(|(name, s)| {
                ((*name).to_owned(), json!({
                    "ids": s.ids,
                    "bytes": s.bytes,
                    "containers": { "array": s.arrays, "bitmap": s.bitmaps, "run": s.runs },
                }))
            })),
            "json_len": json,
        });
        for (name, ms) in times {
            answer[name] = json!(ms);
        }
        print_json(&answer)?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut out = io::stdout().lock();
    writeln!(out, "blob                {:>10} bytes", blob.len())?;
    writeln!(out, "  header            {:>10}", Header::LEN)?;
    writeln!(
        out,
        "  body              {:>10}   ({}, archive {} bytes{})",
        header.stored_len,
        if header.compressed { "zstd" } else { "raw" },
        header.decoded_len,
        if header.compressed {
            format!(
                ", {:.2}x",
                f64::from(header.decoded_len) / f64::from(header.stored_len.max(1))
            )
        } else {
            String::new()
        }
    )?;
    writeln!(out, "  MAC trailer       {:>10}", mac)?;
    writeln!(out, "archive fields")?;
    for (name, bytes) in fields {
        let name = if name == "structure" {
            "root and padding"
        } else {
            name
        };
        writeln!(out, "  {name:<17} {bytes:>10}")?;
    }
    writeln!(
        out,
        "id sets             {:>10} {:>9} {:>7} {:>7} {:>5}",
        "ids", "bytes", "array", "bitmap", "run"
    )?;
    for (name, s) in sets {
        writeln!(
            out,
            "  {name:<17} {:>10} {:>9} {:>7} {:>7} {:>5}",
            s.ids, s.bytes, s.arrays, s.bitmaps, s.runs
        )?;
    }
    let ratio = json as f64 / blob.len() as f64;
    writeln!(
        out,
        "as JSON             {:>10} bytes   (the blob is {:.1}x {})",
        json,
        if ratio >= 1.0 { ratio } else { 1.0 / ratio },
        if ratio >= 1.0 { "smaller" } else { "larger" }
    )?;
    for (name, ms) in times {
        writeln!(out, "{name:<19} {}", time::both(ms))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `detect`: exit 0 for a blob whose header checks, 1 for JSON, 2 for anything else.
fn detect_format(args: &DetectArgs) -> Result<ExitCode, Failure> {
    let (format, error) = match input::blob(args.blob.input.as_ref(), args.blob.hex) {
        Ok(bytes) => match detect(&bytes) {
            Format::Json => (Format::Json, None),
            format => (format, Header::read(&bytes).err().map(Failure::Session)),
        },
        // Empty input, or what redis-cli prints for a missing key.
        Err(refused @ Failure::Refused { .. }) => (Format::Unknown, Some(refused)),
        Err(other) => return Err(other),
    };
    let code = match (format, &error) {
        (Format::Json, _) => 1,
        (Format::Sessionpack { .. }, None) => 0,
        _ => 2,
    };
    if args.json.json {
        let mut answer = match format {
            Format::Sessionpack {
                version,
                compressed,
            } => json!({
                "format": "sessionpack",
                "version": version,
                "compressed": compressed,
                "header_ok": error.is_none(),
            }),
            Format::Json => json!({ "format": "json" }),
            Format::Dictionary { version } => json!({ "format": "dictionary", "version": version }),
            _ => json!({ "format": "unknown" }),
        };
        if let Some(e) = &error {
            answer["error"] = e.to_json();
        }
        print_json(&answer)?;
    } else {
        writeln!(io::stdout().lock(), "{format}")?;
    }
    if let Some(e) = error {
        writeln!(io::stderr(), "sessionpack: error: {e}")?;
    }
    Ok(ExitCode::from(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_refuses_only_binary_to_a_terminal() {
        assert!(refuses_terminal(None, false, true));
        assert!(refuses_terminal(Some(Path::new("-")), false, true));
        assert!(!refuses_terminal(Some(Path::new("out.bin")), false, true));
        assert!(!refuses_terminal(None, true, true), "hex is text");
        assert!(!refuses_terminal(None, false, false), "a pipe or a file");
    }

    #[test]
    fn times_before_1973_look_like_seconds() {
        let w = seconds_warning("issued_at", 1_764_147_600).unwrap();
        assert_eq!(
            w,
            "issued_at 1764147600 is 1970-01-21T10:02:27.600Z as milliseconds; was it seconds? \
             (sessionpack wants Unix milliseconds: 1764147600000 is 2025-11-26T09:00:00.000Z)"
        );
        assert!(seconds_warning("expires_at", 94_694_399_999).is_some());
        assert!(seconds_warning("expires_at", 94_694_400_000).is_none());
        assert!(seconds_warning("expires_at", 1_764_147_600_000).is_none());
        assert!(
            seconds_warning("expires_at", 0).is_none(),
            "zero is a default"
        );
        assert!(seconds_warning("expires_at", -5).is_none());
    }
}
