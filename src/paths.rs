//! Where fidoctl keeps files, and the one way it writes them.
//!
//! - State (key names, persistent tokens, the simulator's keys):
//!   `FIDOCTL_STATE_DIR`, else `$XDG_STATE_HOME/fidoctl`, else
//!   `~/.local/state/fidoctl`.
//! - Cache (the MDS3 BLOB and its CRLs): `$XDG_CACHE_HOME/fidoctl`, else
//!   `~/.cache/fidoctl` (`~/Library/Caches/fidoctl` on macOS,
//!   `%LOCALAPPDATA%\fidoctl` on Windows).
//!
//! Every file is written whole through a temporary file with a random name,
//! created exclusively (O_EXCL, so a planted file or symlink is never written
//! through) and 0600 before a byte is written, synced, then renamed into
//! place: a reader never sees half a file and a crash loses no old one.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Overrides the state directory (the tests set it).
pub(crate) const STATE_DIR_VAR: &str = "FIDOCTL_STATE_DIR";

fn from_env(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// fidoctl's state directory, or `None` when no home is known.
pub(crate) fn state_dir() -> Option<PathBuf> {
    from_env(STATE_DIR_VAR).or_else(|| {
        from_env("XDG_STATE_HOME")
            .or_else(|| from_env("HOME").map(|h| h.join(".local").join("state")))
            .map(|base| base.join("fidoctl"))
    })
}

/// fidoctl's cache directory, or `None` when no home is known.
pub(crate) fn cache_dir() -> Option<PathBuf> {
    let base = from_env("XDG_CACHE_HOME").or_else(|| {
        if cfg!(windows) {
            from_env("LOCALAPPDATA")
        } else if cfg!(target_os = "macos") {
            from_env("HOME").map(|h| h.join("Library").join("Caches"))
        } else {
            from_env("HOME").map(|h| h.join(".cache"))
        }
    })?;
    Some(base.join("fidoctl"))
}

/// Writes `bytes` to `path` atomically, readable by the user alone; missing
/// directories are made 0700.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_private_dirs(dir)?;
    // tempfile creates the file with O_EXCL and mode 0600 under a random name.
    let mut tmp = tempfile::Builder::new()
        .prefix(".fidoctl-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn create_private_dirs(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A file's text in a buffer that is wiped when dropped, for files that hold
/// secrets (tokens, PINs). Room for all of it is taken up front, so growing
/// leaves no unwiped copy behind.
pub(crate) fn read_secret(path: &Path) -> std::io::Result<zeroize::Zeroizing<String>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata().map_or(0, |m| m.len() as usize);
    let mut text = zeroize::Zeroizing::new(String::with_capacity(size + 1));
    file.read_to_string(&mut text)?;
    Ok(text)
}

/// Why a directory or file cannot hold secrets (Unix's owners and mode bits;
/// on Windows the profile's ACL keeps others out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(crate) enum Exposure {
    /// It belongs to another user.
    ForeignOwner,
    /// Other users can write to it.
    WritableByOthers,
}

/// What [`secure_dir`] and [`secure_file`] did to make a path the user's alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tightened {
    No,
    /// Others could read it; it is now 0700 (a directory) or 0600 (a file).
    Yes,
}

/// Makes sure a directory that will hold secrets is the user's alone: one
/// another user owns, or that others can write to (where they could have
/// planted files), is refused; one the user owns that others can read is
/// tightened to 0700. A missing directory is fine (it is made 0700).
pub(crate) fn secure_dir(dir: &Path) -> Result<Tightened, Exposure> {
    secure(dir, 0o700)
}

/// The same for a file holding secrets: another user's is refused, one that
/// others can read or write is tightened to 0600.
pub(crate) fn secure_file(path: &Path) -> Result<Tightened, Exposure> {
    secure(path, 0o600)
}

#[cfg(unix)]
fn secure(path: &Path, mode: u32) -> Result<Tightened, Exposure> {
    // SAFETY: geteuid has no preconditions and cannot fail.
    secure_for(path, mode, unsafe { libc::geteuid() })
}

#[cfg(unix)]
fn secure_for(path: &Path, mode: u32, user: u32) -> Result<Tightened, Exposure> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(Tightened::No);
    };
    if meta.uid() != user {
        return Err(Exposure::ForeignOwner);
    }
    let is_dir = meta.is_dir();
    if is_dir && meta.mode() & 0o022 != 0 {
        return Err(Exposure::WritableByOthers);
    }
    if meta.mode() & 0o077 == 0 {
        return Ok(Tightened::No);
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|_| Exposure::WritableByOthers)?;
    Ok(Tightened::Yes)
}

/// On Windows the user's profile directories carry the user's own ACL.
#[cfg(not(unix))]
fn secure(_path: &Path, _mode: u32) -> Result<Tightened, Exposure> {
    Ok(Tightened::No)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_write_is_whole_private_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/file.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(&dir.path().join("a/b")), 0o700);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["file.json"]);
    }

    #[test]
    fn a_planted_symlink_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, b"theirs").unwrap();
        // The old fixed temporary name, planted as a link to a file of the attacker's.
        std::os::unix::fs::symlink(&target, dir.path().join("keys.tmp")).unwrap();
        std::os::unix::fs::symlink(&target, dir.path().join(".fidoctl-.tmp")).unwrap();
        write_atomic(&dir.path().join("keys.json"), b"secret").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"theirs");
        assert_eq!(
            std::fs::read(dir.path().join("keys.json")).unwrap(),
            b"secret"
        );
    }

    #[test]
    fn a_directory_others_can_write_is_refused_and_a_readable_one_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let open = dir.path().join("open");
        std::fs::create_dir(&open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(secure_dir(&open), Err(Exposure::WritableByOthers));
        let readable = dir.path().join("readable");
        std::fs::create_dir(&readable).unwrap();
        std::fs::set_permissions(&readable, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(secure_dir(&readable), Ok(Tightened::Yes));
        assert_eq!(mode(&readable), 0o700);
        assert_eq!(secure_dir(&readable), Ok(Tightened::No));
        assert_eq!(secure_dir(&dir.path().join("missing")), Ok(Tightened::No));
    }

    #[test]
    fn a_file_others_can_read_is_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("keys.json");
        std::fs::write(&file, b"{}").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(secure_file(&file), Ok(Tightened::Yes));
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn another_users_directory_or_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(dir.path()).unwrap());
        let file = dir.path().join("keys.json");
        std::fs::write(&file, b"{}").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(
            secure_for(dir.path(), 0o700, owner + 1),
            Err(Exposure::ForeignOwner)
        );
        assert_eq!(
            secure_for(&file, 0o600, owner + 1),
            Err(Exposure::ForeignOwner)
        );
        assert_eq!(secure_for(&file, 0o600, owner), Ok(Tightened::No));
    }
}
