//! Reading local files that someone else may have written (a pull request's workflows, compose
//! files, manifests, a protection or digest file): only regular files are opened, never a
//! device, FIFO or socket (which could block forever or never end); the type is checked before
//! opening and again on the open file; the read stops at a size limit instead of trusting the
//! size the file system reports.

use std::fs::{File, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Why a file was not read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: a directory, device, FIFO or socket (named), never opened.
    NotRegular(&'static str),
    /// A symbolic link where links are not followed.
    Symlink,
    /// More bytes than the limit.
    TooLarge(u64),
    NotUtf8,
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotRegular(kind) => write!(f, "is a {kind}, not a regular file"),
            ReadError::Symlink => f.write_str("is a symbolic link, which is not followed"),
            ReadError::TooLarge(limit) => write!(f, "is over the {limit} byte limit"),
            ReadError::NotUtf8 => f.write_str("is not UTF-8 text"),
            ReadError::Io(e) => write!(f, "cannot be read: {e}"),
        }
    }
}

/// What a file-system object is, in words, for messages.
pub fn kind(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "regular file"
    } else if t.is_dir() {
        "directory"
    } else if t.is_symlink() {
        "symbolic link"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_socket() {
        "socket"
    } else if t.is_char_device() {
        "character device"
    } else if t.is_block_device() {
        "block device"
    } else {
        "special file"
    }
}

/// Reads a regular file of at most `max` bytes. With `follow_symlinks` a link is followed to
/// what it names (which must itself be a regular file); without, a link is refused.
pub fn read_regular(path: &Path, max: u64, follow_symlinks: bool) -> Result<Vec<u8>, ReadError> {
    let before = if follow_symlinks {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    }
    .map_err(ReadError::Io)?;
    if before.file_type().is_symlink() {
        return Err(ReadError::Symlink);
    }
    if !before.is_file() {
        return Err(ReadError::NotRegular(kind(&before)));
    }
    // O_NONBLOCK: if the path was swapped for a FIFO since the check, opening does not wait for
    // a writer; O_NOFOLLOW likewise refuses a link swapped in.
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow_symlinks {
        flags |= libc::O_NOFOLLOW;
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => ReadError::Symlink,
            _ => ReadError::Io(e),
        })?;
    let after = file.metadata().map_err(ReadError::Io)?;
    if !after.is_file() {
        return Err(ReadError::NotRegular(kind(&after)));
    }
    read_capped(file, max, after.len())
}

/// Reads a regular file as UTF-8 text (see [`read_regular`]).
pub fn read_text(path: &Path, max: u64, follow_symlinks: bool) -> Result<String, ReadError> {
    let bytes = read_regular(path, max, follow_symlinks)?;
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
}

/// `expected` is the size the metadata gave: the buffer starts at it (no doubling growth), but
/// the cap, not the metadata, bounds what is read.
fn read_capped(file: File, max: u64, expected: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf =
        Vec::with_capacity(usize::try_from(expected.min(max).saturating_add(1)).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(ReadError::Io)?;
    if buf.len() as u64 > max {
        return Err(ReadError::TooLarge(max));
    }
    Ok(buf)
}

/// Whether `rel` below `root` is a real directory all the way down: no component is a symbolic
/// link. A git tree has no such thing as a linked folder (a link is a blob holding its target),
/// so the forge does not see a folder there, and neither does driftgate.
pub fn is_real_dir(root: &Path, rel: &str) -> bool {
    let mut p = root.to_path_buf();
    for part in rel.split('/').filter(|s| !s.is_empty() && *s != ".") {
        if part == ".." {
            return false;
        }
        p.push(part);
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => {}
            _ => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> std::path::PathBuf {
        let d =
            std::env::temp_dir().join(format!("driftgate-fsread-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn devices_fifos_and_links_are_never_read() {
        let d = tmp("kinds");
        assert!(matches!(
            read_regular(Path::new("/dev/zero"), 10, true),
            Err(ReadError::NotRegular("character device"))
        ));
        let fifo = d.join("x.yml");
        let c = std::ffi::CString::new(fifo.to_str().expect("utf8")).expect("cstr");
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_regular(&fifo, 10, true),
            Err(ReadError::NotRegular("FIFO"))
        ));
        let real = d.join("real.yml");
        std::fs::write(&real, "abc").expect("write");
        let link = d.join("link.yml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");
        assert!(matches!(
            read_regular(&link, 10, false),
            Err(ReadError::Symlink)
        ));
        assert_eq!(read_regular(&link, 10, true).expect("followed"), b"abc");
        assert!(matches!(
            read_regular(&real, 2, true),
            Err(ReadError::TooLarge(2))
        ));
        let zero = d.join("zero.yml");
        std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
        assert!(matches!(
            read_regular(&zero, 10, true),
            Err(ReadError::NotRegular("character device"))
        ));
    }

    #[test]
    fn linked_folders_are_not_folders() {
        let d = tmp("dirs");
        std::fs::create_dir_all(d.join("real/workflows")).expect("mkdir");
        std::os::unix::fs::symlink(d.join("real"), d.join(".gitea")).expect("symlink");
        assert!(is_real_dir(&d, "real/workflows"));
        assert!(!is_real_dir(&d, ".gitea/workflows"));
        assert!(!is_real_dir(&d, "missing"));
        assert!(!is_real_dir(&d, "real/../real"));
    }
}
