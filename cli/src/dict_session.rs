//! Sessions through dictionary files (`--facility-dict`, `--group-dict`): `encode` reads the
//! keys in the JSON form (appending the unknown ones with `--append`), `inspect` writes them
//! back, `check` asks by key.

use std::path::{Path, PathBuf};

use sessionpack::error::IdSetField;
use sessionpack::{DictKind, Error, IdDictionary, IdDictionaryView, JsonDicts, Session};

use crate::args::DictFiles;
use crate::atomic_file::{self, Locked};
use crate::dict_file::{self, DictKeys};
use crate::Failure;

/// The option that names the dictionary of `kind`.
fn option(kind: DictKind) -> &'static str {
    match kind {
        DictKind::Group => "--group-dict",
        _ => "--facility-dict",
    }
}

/// Refuses one file given as both dictionaries: a dictionary is of one kind (and two locks on
/// one file would wait for each other).
fn distinct(files: &DictFiles) -> Result<(), Failure> {
    if let (Some(f), Some(g)) = (&files.facility_dict, &files.group_dict) {
        if atomic_file::same_file(f, g) {
            return Err(Failure::Input(format!(
                "--facility-dict and --group-dict name the same file {}: a dictionary holds the \
                 keys of one kind",
                f.display()
            )));
        }
    }
    Ok(())
}

/// Opens `bytes`, the content of `path`, and checks that it is a dictionary of `kind`.
fn open_kind<'a>(
    keys: &DictKeys,
    path: &Path,
    bytes: &'a [u8],
    kind: DictKind,
) -> Result<IdDictionaryView<'a>, Failure> {
    let view = keys.open(path, bytes)?;
    if view.kind() != kind {
        return Err(Failure::Input(format!(
            "{} is a {} dictionary, not a {kind} one: give it as {}",
            path.display(),
            view.kind(),
            option(view.kind())
        )));
    }
    Ok(view)
}

/// The library's refusal of a session and a dictionary together, naming the dictionary's file
/// when the error is about one (a foreign or wrong-kind dictionary, a key it lacks).
pub fn dict_error(e: Error, files: &DictFiles) -> Failure {
    let set = match &e {
        Error::ForeignDictionary { set, .. } | Error::KeyNotInDictionary { set, .. } => Some(*set),
        _ => None,
    };
    let path = match set {
        Some(IdSetField::Facilities) => files.facility_dict.as_deref(),
        Some(IdSetField::Groups) => files.group_dict.as_deref(),
        _ => None,
    };
    match path {
        Some(p) => dict_file::in_file(p, e),
        None => Failure::Session(e),
    }
}

/// Dictionary files read whole, for the commands that only read them.
#[derive(Debug, Default)]
pub struct Loaded {
    facility: Option<(PathBuf, Vec<u8>)>,
    group: Option<(PathBuf, Vec<u8>)>,
}

impl Loaded {
    /// Reads the files `files` names.
    pub fn read(files: &DictFiles) -> Result<Loaded, Failure> {
        distinct(files)?;
        let read = |p: &Option<PathBuf>| -> Result<Option<(PathBuf, Vec<u8>)>, Failure> {
            p.as_ref()
                .map(|p| dict_file::read(p).map(|bytes| (p.clone(), bytes)))
                .transpose()
        };
        Ok(Loaded {
            facility: read(&files.facility_dict)?,
            group: read(&files.group_dict)?,
        })
    }

    /// The facility and group dictionaries, opened (verified with `keys`, of the right kind).
    pub fn views(&self, keys: &DictKeys) -> Result<Views<'_>, Failure> {
        Ok(Views {
            facility: open_held(keys, self.facility.as_ref(), DictKind::Facility)?,
            group: open_held(keys, self.group.as_ref(), DictKind::Group)?,
        })
    }
}

/// The file `held` holds, if any, opened as a dictionary of `kind`.
fn open_held<'a>(
    keys: &DictKeys,
    held: Option<&'a (PathBuf, Vec<u8>)>,
    kind: DictKind,
) -> Result<Option<Opened<'a>>, Failure> {
    held.map(|(path, bytes)| open_kind(keys, path, bytes, kind).map(|view| Opened { path, view }))
        .transpose()
}

/// A dictionary file, opened.
#[derive(Clone, Copy, Debug)]
pub struct Opened<'a> {
    /// Its path.
    pub path: &'a Path,
    /// The dictionary.
    pub view: IdDictionaryView<'a>,
}

/// The dictionaries of a session's two sets, where given.
#[derive(Debug)]
pub struct Views<'a> {
    /// The facility dictionary.
    pub facility: Option<Opened<'a>>,
    /// The group dictionary.
    pub group: Option<Opened<'a>>,
}

/// Dictionaries grown by `encode --append`, held locked until the blob is ready.
#[derive(Debug, Default)]
pub struct Pending {
    writes: Vec<(Locked, Vec<u8>)>,
}

impl Pending {
    /// Replaces the grown dictionary files (each atomically). Done before the blob is written:
    /// a blob must never hold an id its dictionary file lacks, while a dictionary holding a key
    /// no blob uses yet is merely ahead.
    pub fn commit(self) -> Result<(), Failure> {
        self.writes
            .into_iter()
            .try_for_each(|(locked, bytes)| locked.replace(&bytes))
    }
}

/// A dictionary file held by `encode`: read, or locked to be replaced with `--append`.
enum Held {
    Read(Vec<u8>),
    Locked(Locked),
}

impl Held {
    fn bytes(&self) -> &[u8] {
        match self {
            Held::Read(bytes) => bytes,
            Held::Locked(locked) => locked.bytes(),
        }
    }
}

/// One dictionary of `encode`: its file, and the owned dictionary the JSON is read through.
struct Source {
    held: Held,
    dict: IdDictionary,
    len: u32,
}

impl Source {
    fn open(path: &Path, kind: DictKind, keys: &DictKeys, append: bool) -> Result<Source, Failure> {
        let held = if append {
            Held::Locked(Locked::open(path)?)
        } else {
            Held::Read(dict_file::read(path)?)
        };
        let dict = open_kind(keys, path, held.bytes(), kind)?.to_dictionary();
        let len = dict.len();
        Ok(Source { held, dict, len })
    }
}

/// The session of the JSON form `json` read through the dictionaries `files` names: their keys
/// become ids, and with `append` the keys they lack are appended. The grown dictionaries are
/// returned locked, signed with `keys`' key, to be [committed](Pending::commit) once the blob is
/// ready; nothing is written here.
pub fn read_session(
    json: &[u8],
    files: &DictFiles,
    append: bool,
    keys: &DictKeys,
) -> Result<(Session, Pending), Failure> {
    distinct(files)?;
    let open = |path: &Option<PathBuf>, kind| {
        path.as_deref()
            .map(|p| Source::open(p, kind, keys, append))
            .transpose()
    };
    let mut facility = open(&files.facility_dict, DictKind::Facility)?;
    let mut group = open(&files.group_dict, DictKind::Group)?;
    let session = Session::from_json_with(
        json,
        JsonDicts {
            facilities: facility.as_mut().map(|s| &mut s.dict),
            groups: group.as_mut().map(|s| &mut s.dict),
            append,
        },
    )
    .map_err(|e| dict_error(e, files))?;
    let mut pending = Pending::default();
    for source in [facility, group].into_iter().flatten() {
        if let (true, Held::Locked(locked)) = (source.dict.len() != source.len, source.held) {
            pending
                .writes
                .push((locked, source.dict.to_bytes(keys.signing())));
        }
    }
    Ok((session, pending))
}
