//! Files replaced whole or not at all: the new bytes go to a temporary file in the same
//! directory, are flushed to the disk, and take the old name with one `rename`. A reader sees
//! the old file or the new one, never a mix; a command that fails before the rename leaves the
//! file byte for byte as it was.
//!
//! Writers that read, change and replace a file ([`Locked`]) hold an exclusive lock on it while
//! they do, so two commands appending to one dictionary at once cannot lose each other's keys
//! (the second one reads what the first one wrote).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use crate::Failure;

/// How many times [`Locked::open`] looks again when the file was replaced while it waited for
/// the lock.
const LOCK_ATTEMPTS: u32 = 100;

/// A file read under an exclusive lock, to be replaced while the lock is held.
#[derive(Debug)]
pub struct Locked {
    /// The path the file was named by (for messages).
    shown: String,
    /// Where the file really is (symbolic links followed): the rename replaces this.
    target: PathBuf,
    /// The open, locked file; the lock goes with it.
    file: File,
    /// Its content, read under the lock.
    bytes: Vec<u8>,
}

impl Locked {
    /// Opens `path`, waits for an exclusive lock on it and reads it. If another writer replaced
    /// the file while this one waited, the lock is on the old file: it opens the new one again.
    pub fn open(path: &Path) -> Result<Locked, Failure> {
        let shown = path.display().to_string();
        let fail = |e| Failure::File(shown.clone(), e);
        for _ in 0..LOCK_ATTEMPTS {
            let target = fs::canonicalize(path).map_err(fail)?;
            let file = File::open(&target).map_err(fail)?;
            file.lock().map_err(fail)?;
            if !still_named(&file, &target).map_err(fail)? {
                continue;
            }
            let mut bytes = Vec::new();
            (&file).read_to_end(&mut bytes).map_err(fail)?;
            return Ok(Locked {
                shown,
                target,
                file,
                bytes,
            });
        }
        Err(fail(io::Error::other(
            "the file kept being replaced while waiting for its lock",
        )))
    }

    /// The content read under the lock.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Replaces the file with `bytes` (keeping its permissions), then releases the lock.
    pub fn replace(self, bytes: &[u8]) -> Result<(), Failure> {
        let permissions = self
            .file
            .metadata()
            .map_err(|e| Failure::File(self.shown.clone(), e))?
            .permissions();
        write_then_rename(&self.target, &self.shown, bytes, Some(permissions), true)
    }
}

/// Whether `file` (just locked) is still the file `path` names: a writer that replaced it
/// meanwhile renamed another file onto the name.
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> io::Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file.metadata()?;
    match fs::metadata(path) {
        Ok(now) => Ok(now.dev() == held.dev() && now.ino() == held.ino()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Without inode numbers the check cannot be made; the lock still orders the writers.
#[cfg(not(unix))]
fn still_named(_file: &File, _path: &Path) -> io::Result<bool> {
    Ok(true)
}

/// Whether `a` and `b` name the same existing file (through links too): two locks on one file
/// from one process would wait for each other.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b || same_inode(&a, &b),
        _ => false,
    }
}

#[cfg(unix)]
fn same_inode(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_inode(_a: &Path, _b: &Path) -> bool {
    false
}

/// Writes `bytes` as a new file `path`: refused when the file exists, unless `replace`.
pub fn create(path: &Path, bytes: &[u8], replace: bool) -> Result<(), Failure> {
    let shown = path.display().to_string();
    if replace {
        // Through a symbolic link to the file it names, as `Locked` does.
        let target = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        return write_then_rename(&target, &shown, bytes, None, true);
    }
    write_then_rename(path, &shown, bytes, None, false)
}

/// Distinguishes the temporary files of one process.
static TEMP_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Writes `bytes` to a new temporary file beside `target`, flushes it to the disk and moves it
/// to `target` (over an existing file only when `replace`), then flushes the directory. On any
/// failure the temporary file is removed and `target` is untouched.
fn write_then_rename(
    target: &Path,
    shown: &str,
    bytes: &[u8],
    permissions: Option<fs::Permissions>,
    replace: bool,
) -> Result<(), Failure> {
    let fail = |e| Failure::File(shown.to_owned(), e);
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = target
        .file_name()
        .ok_or_else(|| fail(io::Error::other("not a file name")))?;
    let temp = dir.join(format!(
        ".{}.{}-{}.tmp",
        name.to_string_lossy(),
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = fill(&temp, bytes, permissions)
        .and_then(|()| move_into_place(&temp, target, replace))
        .map_err(|e| {
            if e.kind() == io::ErrorKind::AlreadyExists {
                Failure::Input(format!(
                    "{shown} already exists; pass --force to replace it"
                ))
            } else {
                fail(e)
            }
        });
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&temp);
        return result;
    }
    sync_dir(&dir).map_err(fail)
}

/// Creates `temp` (never an existing file), writes `bytes`, sets `permissions` and flushes it.
fn fill(temp: &Path, bytes: &[u8], permissions: Option<fs::Permissions>) -> io::Result<()> {
    let mut file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    file.write_all(bytes)?;
    if let Some(p) = permissions {
        file.set_permissions(p)?;
    }
    file.sync_all()
}

/// Moves `temp` to `target`. Without `replace`, a hard link makes the name only if it is free
/// (`AlreadyExists` otherwise), and the temporary name is then dropped; where hard links are
/// not supported, a check then a rename does (with a short race against another creator).
fn move_into_place(temp: &Path, target: &Path, replace: bool) -> io::Result<()> {
    if replace {
        return fs::rename(temp, target);
    }
    match fs::hard_link(temp, target) {
        Ok(()) => fs::remove_file(temp),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        Err(_) if fs::symlink_metadata(target).is_ok() => {
            Err(io::Error::from(io::ErrorKind::AlreadyExists))
        }
        Err(_) => fs::rename(temp, target),
    }
}

/// Flushes the directory entry of a rename to the disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Directories cannot be opened as files here; the rename is as durable as the platform makes it.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("sessionpack-atomic-{}-{name}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn create_refuses_an_existing_file_unless_replacing() {
        let dir = scratch("create");
        let file = dir.join("a.dict");
        let _ = fs::remove_file(&file);
        create(&file, b"one", false).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"one");
        let err = create(&file, b"two", false).unwrap_err();
        assert!(err.to_string().contains("--force"), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"one");
        create(&file, b"two", true).unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    }

    #[test]
    fn locked_replace_swaps_the_whole_file() {
        let dir = scratch("locked");
        let file = dir.join("b.dict");
        create(&file, b"old", true).unwrap();
        let locked = Locked::open(&file).unwrap();
        assert_eq!(locked.bytes(), b"old");
        locked.replace(b"new bytes").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"new bytes");
        assert!(leftovers(&dir).is_empty());
    }

    #[test]
    fn same_file_sees_through_links() {
        let dir = scratch("same");
        let a = dir.join("a.dict");
        let b = dir.join("b.dict");
        create(&a, b"a", true).unwrap();
        create(&b, b"b", true).unwrap();
        assert!(same_file(&a, &a));
        assert!(same_file(&a, &dir.join(".").join("a.dict")));
        assert!(!same_file(&a, &b));
        assert!(!same_file(&a, &dir.join("missing")));
        let hard = dir.join("hard.dict");
        let _ = fs::remove_file(&hard);
        fs::hard_link(&a, &hard).unwrap();
        assert!(same_file(&a, &hard));
    }

    #[test]
    fn a_missing_file_is_named() {
        let dir = scratch("missing");
        let err = Locked::open(&dir.join("nope.dict")).unwrap_err();
        assert!(err.to_string().contains("nope.dict"), "{err}");
    }

    #[test]
    fn a_failed_write_leaves_the_file_and_no_temporary() {
        let dir = scratch("fail");
        let file = dir.join("c.dict");
        create(&file, b"kept", true).unwrap();
        // A directory where the target's directory should be: the temporary cannot be made.
        let err = create(&file.join("inside"), b"x", true).unwrap_err();
        assert!(err.to_string().contains("inside"), "{err}");
        assert_eq!(fs::read(&file).unwrap(), b"kept");
        assert!(leftovers(&dir).is_empty());
    }
}
