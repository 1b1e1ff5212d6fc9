//! Dictionary files: read, verified with the arguments' MAC key and opened, with every error
//! naming the file.

use std::path::Path;

use sessionpack::{DictionaryDecoder, IdDictionaryView, MacKey};

use crate::args::KeyArgs;
use crate::{input, Failure};

/// How dictionary files are opened and written: the MAC key the arguments name (to verify
/// with, and to sign what is written), and whether unsigned files are opened anyway.
#[derive(Debug)]
pub struct DictKeys {
    decoder: DictionaryDecoder,
    signing: Option<MacKey>,
}

impl DictKeys {
    /// The key of `args`, if any: a key implies a MAC (unsigned dictionaries are refused) unless
    /// `allow_unsigned`.
    pub fn new(args: &KeyArgs, allow_unsigned: bool) -> Result<DictKeys, Failure> {
        Ok(DictKeys::with_key(input::key(args)?, allow_unsigned))
    }

    /// `signing`, read already: a key implies a MAC unless `allow_unsigned`.
    pub fn with_key(signing: Option<MacKey>, allow_unsigned: bool) -> DictKeys {
        let mut decoder = DictionaryDecoder::new();
        if let Some(key) = &signing {
            decoder = decoder.with_key(key.clone());
        }
        if allow_unsigned {
            decoder = decoder.allow_unsigned();
        }
        DictKeys { decoder, signing }
    }

    /// The key to sign written dictionaries with; `None` writes them unsigned.
    pub fn signing(&self) -> Option<&MacKey> {
        self.signing.as_ref()
    }

    /// Opens `bytes`, the content of the file `path`: checked once, whole.
    pub fn open<'a>(&self, path: &Path, bytes: &'a [u8]) -> Result<IdDictionaryView<'a>, Failure> {
        self.decoder.open(bytes).map_err(|e| in_file(path, e))
    }
}

/// The content of the dictionary file `path` (a missing file is named). `-` is a file too:
/// dictionaries come from files, keys from standard input.
pub fn read(path: &Path) -> Result<Vec<u8>, Failure> {
    std::fs::read(path).map_err(|e| Failure::File(path.display().to_string(), e))
}

/// The library's refusal of the content of `path`.
pub fn in_file(path: &Path, error: sessionpack::Error) -> Failure {
    Failure::InFile(path.display().to_string(), error)
}
