//! Reading inputs: files or standard input, raw or as hex text, and MAC keys.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sessionpack::{Decoder, Expiry, Header, MacKey};

use crate::args::KeyArgs;
use crate::Failure;

/// The bytes of `path`, or of standard input for `None` or `-`.
pub fn read(path: Option<&Path>) -> Result<Vec<u8>, Failure> {
    match path {
        None => read_stdin(),
        Some(p) if p == Path::new("-") => read_stdin(),
        Some(p) => std::fs::read(p).map_err(|e| Failure::File(p.display().to_string(), e)),
    }
}

fn read_stdin() -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    io::stdin().lock().read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A blob from `path`, decoded from hex text when `hex` is set. Input that is recognisably not
/// a blob (empty, or what `redis-cli` prints for a missing key) is [`Failure::Refused`].
pub fn blob(path: Option<&PathBuf>, hex: bool) -> Result<Vec<u8>, Failure> {
    let bytes = read(path.map(PathBuf::as_path))?;
    if let Some(message) = not_a_blob(&bytes, hex) {
        return Err(Failure::Refused {
            kind: "not_a_blob",
            message,
        });
    }
    if hex {
        from_text(&bytes, "--hex input")
    } else {
        Ok(bytes)
    }
}

/// What `bytes` is when it is recognisably not a blob: what the shell or `redis-cli` gives for a
/// missing key, or `redis-cli --no-raw`'s quoted text without `--hex`. `None` when it may be a
/// blob; only the message depends on this, never whether the input is read.
fn not_a_blob(bytes: &[u8], hex: bool) -> Option<String> {
    let message = match bytes {
        b"" => "input is empty, not a sessionpack blob".to_owned(),
        b"(nil)" | b"(nil)\n" | b"(nil)\r\n" => {
            "input is redis-cli's \"(nil)\": the key does not exist".to_owned()
        }
        b"\n" | b"\r\n" => "input is an empty line, not a sessionpack blob: what `redis-cli GET` \
                             prints for a key that does not exist"
            .to_owned(),
        _ if !hex && bytes.starts_with(br#""\x93SPK"#) => "input is a blob quoted the way \
                                                         `redis-cli --no-raw` prints it: add --hex"
            .to_owned(),
        _ => return None,
    };
    Some(message)
}

/// Refuses a blob followed by one newline, as `redis-cli GET key > file` writes it, saying so
/// and naming the pipe that works: `command` is the subcommand (`inspect`, `check`…). The blob
/// is never repaired: a blob with a newline after it is refused, only with a better message.
pub fn no_trailing_newline(blob: &[u8], command: &str) -> Result<(), Failure> {
    let Ok(header) = Header::read(blob) else {
        return Ok(());
    };
    if blob.len() == header.blob_len().saturating_add(1) && blob.ends_with(b"\n") {
        return Err(Failure::Refused {
            kind: "corrupt",
            message: format!(
                "input ends with a newline after the blob's declared end of {} bytes (redis-cli \
                 adds one): use `redis-cli --no-raw GET KEY | sessionpack {command} --hex`",
                header.blob_len()
            ),
        });
    }
    Ok(())
}

/// Bytes from text: hex digits (whitespace and a `0x` prefix ignored), or a double-quoted string
/// with C-style escapes (`\xHH`, `\n`, `\r`, `\t`, `\a`, `\b`, `\\`, `\"`) as `redis-cli` prints
/// binary values. `what` names the text in error messages ("--hex input").
pub fn from_text(text: &[u8], what: &str) -> Result<Vec<u8>, Failure> {
    let text = std::str::from_utf8(text)
        .map_err(|_| Failure::Input(format!("{what} is not text")))?
        .trim();
    if let Some(quoted) = text.strip_prefix('"') {
        let inner = quoted.strip_suffix('"').ok_or_else(|| {
            Failure::Input(format!(
                "{what} starts with a quote but does not end with one"
            ))
        })?;
        return unescape(inner, what);
    }
    let digits: Vec<u8> = text
        .strip_prefix("0x")
        .unwrap_or(text)
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !digits.len().is_multiple_of(2) {
        return Err(Failure::Input(format!(
            "{what} has an odd number of hex digits ({})",
            digits.len()
        )));
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            hex_pair(pair[0], pair[1]).ok_or_else(|| {
                Failure::Input(format!("{what} has a non-hex digit near digit {}", 2 * i))
            })
        })
        .collect()
}

/// The byte two hex digits spell, or `None` unless both are hex digits (a sign is not one).
fn hex_pair(hi: u8, lo: u8) -> Option<u8> {
    let digit = |b: u8| char::from(b).to_digit(16);
    // Two digits below 16 make a value below 256.
    u8::try_from((digit(hi)? << 4) | digit(lo)?).ok()
}

fn unescape(inner: &str, what: &str) -> Result<Vec<u8>, Failure> {
    let mut out = Vec::with_capacity(inner.len());
    let mut bytes = inner.bytes();
    while let Some(b) = bytes.next() {
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let escaped = match bytes.next() {
            Some(b'x') => bytes
                .next()
                .zip(bytes.next())
                .and_then(|(hi, lo)| hex_pair(hi, lo))
                .ok_or_else(|| Failure::Input(format!("{what} has a bad \\x escape")))?,
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b't') => b'\t',
            Some(b'a') => 0x07,
            Some(b'b') => 0x08,
            Some(b'\\') => b'\\',
            Some(b'"') => b'"',
            other => {
                return Err(Failure::Input(format!(
                    "{what} has an unknown escape \\{}",
                    other.map_or(String::new(), |c| char::from(c).to_string())
                )))
            }
        };
        out.push(escaped);
    }
    Ok(out)
}

/// The MAC key the arguments name, if any.
pub fn key(args: &KeyArgs) -> Result<Option<MacKey>, Failure> {
    let (Some(path), Some(id)) = (&args.key_file, args.key_id) else {
        return Ok(None);
    };
    let bytes = read(Some(path))?;
    let key = match std::str::from_utf8(&bytes) {
        Ok(text)
            if !text.trim().is_empty() && text.trim().bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            from_text(
                text.trim().as_bytes(),
                &format!("the key file {}", path.display()),
            )?
        }
        _ => bytes,
    };
    Ok(Some(MacKey::new(id, &key)?))
}

/// A decoder holding the key the arguments name (a key implies a MAC unless `allow_unsigned`),
/// with `expiry`.
pub fn decoder(args: &KeyArgs, allow_unsigned: bool, expiry: Expiry) -> Result<Decoder, Failure> {
    let mut decoder = Decoder::new().with_expiry(expiry);
    if let Some(key) = key(args)? {
        decoder = decoder.with_key(key);
    }
    if allow_unsigned {
        decoder = decoder.allow_unsigned();
    }
    Ok(decoder)
}

/// Writes `bytes` to `path`, or to standard output for `None` or `-`.
pub fn write(path: Option<&Path>, bytes: &[u8]) -> Result<(), Failure> {
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, bytes).map_err(|e| Failure::File(p.display().to_string(), e))
        }
        _ => {
            let mut out = io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
    }
}
