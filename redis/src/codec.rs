//! What the store writes and how it reads it back: the value to put, the checks on what comes
//! back, the dictionary header's errors and the converging append. No I/O here; the sync and async
//! stores share all of it.

use std::time::Duration;

use sessionpack::{
    Decoder, DictHeader, DictionaryDecoder, Encoder, Header, IdDictionary, Key, MacKey, Session,
    SessionBuf,
};

use crate::Error;

/// What [`SessionStore::put`](crate::SessionStore::put) writes: a session to encode, or a blob
/// already encoded (its header is checked first, so the store never writes a non-blob).
///
/// ```
/// use sessionpack::Session;
/// use sessionpack_redis::Payload;
///
/// let session = Session::new("u1", "acme", "t", 0, i64::MAX);
/// let blob = sessionpack::encode(&session)?;
/// assert!(matches!(Payload::from(&session), Payload::Session(_)));
/// assert!(matches!(Payload::from(&blob), Payload::Blob(_)));
/// # Ok::<(), sessionpack::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Payload<'a> {
    /// Encoded with the store's [`Encoder`].
    Session(&'a Session),
    /// Written as it is, once its header reads.
    Blob(&'a [u8]),
}

impl<'a> From<&'a Session> for Payload<'a> {
    fn from(s: &'a Session) -> Self {
        Payload::Session(s)
    }
}

impl<'a> From<&'a [u8]> for Payload<'a> {
    fn from(b: &'a [u8]) -> Self {
        Payload::Blob(b)
    }
}

impl<'a> From<&'a Vec<u8>> for Payload<'a> {
    fn from(b: &'a Vec<u8>) -> Self {
        Payload::Blob(b)
    }
}

impl<'a> From<&'a bytes::Bytes> for Payload<'a> {
    fn from(b: &'a bytes::Bytes) -> Self {
        Payload::Blob(b)
    }
}

/// The bytes to write for `payload`.
pub(crate) fn encode_payload(
    encoder: &mut Encoder,
    payload: Payload<'_>,
) -> Result<Vec<u8>, Error> {
    match payload {
        Payload::Session(s) => Ok(encoder.encode(s)?.to_vec()),
        Payload::Blob(b) => {
            Header::read(b)?;
            Ok(b.to_vec())
        }
    }
}

/// A TTL in whole milliseconds (at least 1).
pub(crate) fn ttl_ms(ttl: Option<Duration>) -> Result<Option<u64>, Error> {
    match ttl {
        None => Ok(None),
        Some(d) => {
            let ms = u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
            if ms == 0 {
                return Err(Error::InvalidInput {
                    message: format!(
                        "a TTL of {d:?} rounds to 0 ms; give at least 1 ms, or None for no TTL"
                    ),
                });
            }
            Ok(Some(ms))
        }
    }
}

/// Opens a fetched blob with the store's decoder.
pub(crate) fn open_session(decoder: &mut Decoder, blob: &[u8]) -> Result<SessionBuf, Error> {
    Ok(decoder.open_buf(blob)?)
}

/// What a `GETRANGE key 0 39` found, for a session: `None` when it was empty (a missing key,
/// or an empty string: the caller asks `EXISTS` to tell them apart).
pub(crate) fn read_header(prefix: &[u8]) -> Result<Option<Header>, Error> {
    if prefix.is_empty() {
        return Ok(None);
    }
    Ok(Some(Header::read(prefix)?))
}

/// An empty value under an existing key: not a blob.
pub(crate) fn empty_value() -> Error {
    Error::Session(sessionpack::Error::NotABlob {
        blob: sessionpack::error::Blob::Session,
        found: sessionpack::Format::Unknown,
    })
}

/// The header of the dictionary under `key`, from its first bytes (all of it, or the prefix a
/// `GETRANGE key 0 39` returns), read by [`DictHeader::read`]: bytes that do not start like a
/// dictionary are [`Error::NotADictionary`].
pub(crate) fn read_dict_header(key: &str, prefix: &[u8]) -> Result<DictHeader, Error> {
    DictHeader::read(prefix).map_err(|e| match e {
        sessionpack::Error::NotABlob { .. } => Error::NotADictionary { key: key.into() },
        e => Error::Session(e),
    })
}

/// The dictionary side of a store: how it reads and signs dictionaries.
#[derive(Clone, Debug, Default)]
pub(crate) struct DictCodec {
    pub(crate) decoder: DictionaryDecoder,
    pub(crate) key: Option<MacKey>,
}

impl DictCodec {
    pub(crate) fn open(&self, key: &str, bytes: &[u8]) -> Result<IdDictionary, Error> {
        read_dict_header(key, bytes)?;
        Ok(self.decoder.open(bytes)?.to_dictionary())
    }

    pub(crate) fn bytes(&self, dict: &IdDictionary) -> Vec<u8> {
        dict.to_bytes(self.key.as_ref())
    }

    /// One step of the converging append: from the value now under the key (or `start` when
    /// there is none), the ids of `keys`, and what to write if anything.
    pub(crate) fn plan_append(
        &self,
        key: &str,
        current: Option<&[u8]>,
        start: &IdDictionary,
        keys: &[Key<'_>],
    ) -> Result<AppendPlan, Error> {
        let (dict, expected) = match current {
            Some(bytes) => (
                self.open(key, bytes)?,
                read_dict_header(key, bytes)?.digest.to_le_bytes().to_vec(),
            ),
            None => (start.clone(), Vec::new()),
        };
        // The stored dictionary must be of the tenant, kind and key type the caller appends
        // to: its ids would mean other facilities otherwise. Its lineage may differ from
        // `start`'s when writers raced to create it: the stored one won, and the returned
        // dictionary's lineage is the one sessions record.
        let same = dict.kind() == start.kind()
            && dict.key_type() == start.key_type()
            && dict.tenant() == start.tenant();
        if !same {
            return Err(sessionpack::Error::ForeignDictionary {
                set: match start.kind() {
                    sessionpack::DictKind::Group => sessionpack::error::IdSetField::Groups,
                    _ => sessionpack::error::IdSetField::Facilities,
                },
                set_lineage: Some(start.lineage()),
                dictionary: dict.lineage(),
                dictionary_kind: dict.kind(),
            }
            .into());
        }
        let (next, ids) = dict.append(keys.iter().copied())?;
        if current.is_some() && next.len() == dict.len() {
            return Ok(AppendPlan::Done(dict, ids));
        }
        let bytes = self.bytes(&next);
        Ok(AppendPlan::Write {
            expected,
            bytes,
            dict: next,
            ids,
        })
    }
}

/// What one step of the append found to do.
pub(crate) enum AppendPlan {
    /// Every key is already there: nothing to write.
    Done(IdDictionary, Vec<u32>),
    /// Write `bytes` if the digest under the key is still `expected` (empty: no key).
    Write {
        expected: Vec<u8>,
        bytes: Vec<u8>,
        dict: IdDictionary,
        ids: Vec<u32>,
    },
}

/// Compare-and-set on the dictionary digest (bytes 8 to 15): writes `ARGV[2]` when the digest
/// under `KEYS[1]` is `ARGV[1]` (empty when the key must be missing). Returns 1 when written.
/// Append-only dictionaries never return to an earlier content, so there is no ABA.
pub(crate) const APPEND_SCRIPT: &str = r"
local cur = redis.call('GETRANGE', KEYS[1], 8, 15)
if cur == ARGV[1] and (cur ~= '' or redis.call('EXISTS', KEYS[1]) == 0) then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// How many times an append retries after losing the race before it gives up.
pub(crate) const APPEND_ATTEMPTS: u32 = 200;
