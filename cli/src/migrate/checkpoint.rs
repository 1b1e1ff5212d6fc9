//! The checkpoint file: the SCAN cursor of every master, saved (replaced atomically) after
//! each batch is fully done, with the fingerprint of the arguments that give the cursors their
//! meaning (`--match`, `--to`, the mapping's digest). A run resumes from it, refuses one made
//! with other arguments, and removes it at its end.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{atomic_file, Failure};

/// The version of the file's form.
const VERSION: u32 = 1;

/// What the cursors mean: a checkpoint is used only by a run with the same.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// `--match`.
    #[serde(rename = "match")]
    pub pattern: String,
    /// `--to`.
    pub to: String,
    /// FNV-1a (64 bits, hex) of the mapping document's bytes.
    pub mapping_digest: String,
}

impl Fingerprint {
    pub fn new(pattern: &str, to: &str, mapping: &[u8]) -> Fingerprint {
        Fingerprint {
            pattern: pattern.to_owned(),
            to: to.to_owned(),
            mapping_digest: format!("{:016x}", fnv1a(mapping)),
        }
    }
}

/// Where one master's scan stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The cursor to continue the SCAN from.
    pub cursor: u64,
    /// The scan of this master is complete.
    pub done: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    sessionpack_migrate_checkpoint: u32,
    fingerprint: Fingerprint,
    /// By master address (`host:port`).
    masters: BTreeMap<String, Position>,
}

/// A checkpoint file in use.
pub struct Checkpoint {
    path: PathBuf,
    file: File,
}

impl Checkpoint {
    /// The checkpoint at `path`: resumed when it exists (refused when made with other
    /// arguments, or unreadable), new otherwise.
    pub fn open(path: &Path, fingerprint: Fingerprint) -> Result<Checkpoint, Failure> {
        let shown = path.display().to_string();
        let file = match std::fs::read(path) {
            Ok(bytes) => {
                let file: File = serde_json::from_slice(&bytes).map_err(|e| {
                    Failure::Input(format!(
                        "the checkpoint {shown} is not one migrate wrote ({e}): remove it to start over"
                    ))
                })?;
                if file.sessionpack_migrate_checkpoint != VERSION {
                    return Err(Failure::Input(format!(
                        "the checkpoint {shown} has version {}, not {VERSION}: remove it to start over",
                        file.sessionpack_migrate_checkpoint
                    )));
                }
                if file.fingerprint != fingerprint {
                    return Err(Failure::Input(format!(
                        "the checkpoint {shown} was made by a run with other arguments ({}): \
                         run with those, or remove it to start over",
                        describe(&file.fingerprint, &fingerprint)
                    )));
                }
                file
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => File {
                sessionpack_migrate_checkpoint: VERSION,
                fingerprint,
                masters: BTreeMap::new(),
            },
            Err(e) => return Err(Failure::File(shown, e)),
        };
        Ok(Checkpoint {
            path: path.to_path_buf(),
            file,
        })
    }

    /// Where the scan of `master` resumes (the start when it is not in the file).
    pub fn position(&self, master: &str) -> Position {
        self.file.masters.get(master).copied().unwrap_or(Position {
            cursor: 0,
            done: false,
        })
    }

    /// Records `position` for `master` and replaces the file.
    pub fn save(&mut self, master: &str, position: Position) -> Result<(), Failure> {
        self.file.masters.insert(master.to_owned(), position);
        let mut bytes = serde_json::to_vec_pretty(&self.file)
            .map_err(|e| Failure::Input(format!("the checkpoint could not be written: {e}")))?;
        bytes.push(b'\n');
        atomic_file::create(&self.path, &bytes, true)
    }

    /// The run is complete: the file is removed.
    pub fn finish(self) -> Result<(), Failure> {
        match std::fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Failure::File(self.path.display().to_string(), e)),
        }
    }
}

/// Which arguments differ.
fn describe(was: &Fingerprint, now: &Fingerprint) -> String {
    let mut out = Vec::new();
    if was.pattern != now.pattern {
        out.push(format!("--match {:?}", was.pattern));
    }
    if was.to != now.to {
        out.push(format!("--to {:?}", was.to));
    }
    if was.mapping_digest != now.mapping_digest {
        out.push("another mapping document".to_owned());
    }
    out.join(", ")
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resumes_and_refuses_other_arguments() {
        let dir = std::env::temp_dir().join(format!("sessionpack-ckpt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("run.ckpt");
        let _ = std::fs::remove_file(&path);
        let fp = Fingerprint::new("s:*", "sp:{key}", b"{}");
        let mut c = Checkpoint::open(&path, fp.clone()).unwrap();
        assert_eq!(
            c.position("h:1"),
            Position {
                cursor: 0,
                done: false
            }
        );
        c.save(
            "h:1",
            Position {
                cursor: 42,
                done: false,
            },
        )
        .unwrap();
        let c = Checkpoint::open(&path, fp).unwrap();
        assert_eq!(c.position("h:1").cursor, 42);
        let other = Fingerprint::new("s:*", "sp2:{key}", b"{}");
        let err = Checkpoint::open(&path, other).err().unwrap();
        assert!(err.to_string().contains("--to \"sp:{key}\""), "{err}");
        c.finish().unwrap();
        assert!(!path.exists());
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
