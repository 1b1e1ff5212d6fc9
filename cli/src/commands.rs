//! The commands: each reads its input, calls the library, prints the answer.

use std::io::{self, Write};
use std::process::ExitCode;

use sessionpack::{detect, Compression, Encoder, Expiry, Header, Session};

use crate::args::{CheckArgs, Cli, Command, DetectArgs, EncodeArgs, InspectArgs, StatsArgs};
use crate::{demo, input, Failure};

pub fn run(cli: Cli) -> Result<ExitCode, Failure> {
    match cli.command {
        Command::Encode(args) => encode(&args),
        Command::Inspect(args) => inspect(&args),
        Command::Check(args) => check(&args),
        Command::Stats(args) => stats(&args),
        Command::Detect(args) => detect_format(&args),
        Command::Demo(args) => demo::run(&args),
    }
}

fn encode(args: &EncodeArgs) -> Result<ExitCode, Failure> {
    let json = input::read(args.input.as_deref())?;
    if json.is_empty() {
        return Err(Failure::Input(
            "the input is empty; expected a session's JSON form".into(),
        ));
    }
    let session = Session::from_json(&json)?;
    let mut encoder = Encoder::new();
    if let Some(level) = args.level {
        encoder = encoder.with_level(level);
    }
    if args.raw {
        encoder = encoder.with_compression(Compression::Never);
    } else if args.compress {
        encoder = encoder.with_compression(Compression::Always);
    }
    if let Some(key) = input::key(&args.key)? {
        encoder = encoder.with_key(key);
    }
    let blob = encoder.encode(&session)?;
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
    let mut out = io::stdout().lock();
    if args.header {
        let h = Header::read(&blob)?;
        let json = serde_json::to_string_pretty(&HeaderJson::from(&h)).map_err(io::Error::from)?;
        writeln!(out, "{json}")?;
    } else {
        // inspect shows old sessions too: it grants nothing.
        let mut decoder = input::decoder(&args.key, args.allow_unsigned, Expiry::Ignore)?;
        let session = decoder.open(&blob)?.to_session();
        writeln!(out, "{}", session.to_json_pretty())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The header as `inspect --header` prints it: the digests as 16 hex digits, then the length of
/// the whole blob it announces.
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
    let expiry = match (args.ignore_expiry, args.expired_at) {
        (true, _) => Expiry::Ignore,
        (false, Some(now)) => Expiry::RejectAt(now),
        (false, None) => Expiry::RejectNow,
    };
    let mut decoder = input::decoder(&args.key, args.allow_unsigned, expiry)?;
    let view = decoder.open(&blob)?;
    let mut out = io::stdout().lock();
    let mut all = true;
    for (kind, ids, set) in [
        ("facility", &args.facilities, view.facilities()),
        ("group", &args.groups, view.groups()),
    ] {
        for &id in ids {
            let member = set.contains(id);
            all &= member;
            writeln!(
                out,
                "{kind} {id}: {}",
                if member { "member" } else { "not a member" }
            )?;
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
    let header = Header::read(&blob)?;
    // stats describes the bytes: it grants nothing.
    let mut decoder = input::decoder(&args.key, true, Expiry::Ignore)?;
    let view = decoder.open(&blob)?;
    let json = view.to_session().to_json().len();
    let sizes = view.field_sizes();
    let mac = blob.len() - Header::LEN - header.stored_len as usize;

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
    for (name, bytes) in [
        ("user_id", sizes.user_id),
        ("tenant_id", sizes.tenant_id),
        ("token", sizes.token),
        ("roles", sizes.roles),
        ("settings", sizes.settings),
        ("attributes", sizes.attributes),
        ("facilities", sizes.facilities),
        ("groups", sizes.groups),
        ("root and padding", sizes.structure),
    ] {
        writeln!(out, "  {name:<17} {bytes:>10}")?;
    }
    writeln!(
        out,
        "id sets             {:>10} {:>9} {:>7} {:>7} {:>5}",
        "ids", "bytes", "array", "bitmap", "run"
    )?;
    for (name, set) in [("facilities", view.facilities()), ("groups", view.groups())] {
        let s = set.stats();
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
    Ok(ExitCode::SUCCESS)
}

fn detect_format(args: &DetectArgs) -> Result<ExitCode, Failure> {
    let bytes = input::blob(args.blob.input.as_ref(), args.blob.hex)?;
    writeln!(io::stdout().lock(), "{}", detect(&bytes))?;
    Ok(ExitCode::SUCCESS)
}
