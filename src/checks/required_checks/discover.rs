//! Which workflow files the forge reads: Gitea `.gitea/workflows` if it exists, else
//! `.github/workflows`; Forgejo the first of `.forgejo/`, `.gitea/`, `.github/workflows`.
//! Subfolders included; every entry whose name ends in `.yml` or `.yaml` (a file named exactly
//! `.yml` too).
//!
//! The forge reads the git tree, not a checkout (Forgejo `modules/actions/workflows.go`
//! `ListWorkflows`: `commit.SubTree`, then `ListEntriesRecursiveFast`; Gitea alike). A checkout
//! is read the same way: a symbolic link is a blob holding the link's target text, so a linked
//! workflow file is read as that text (never followed), and a linked folder is not a folder
//! (`SubTree` answers ErrNotExist for a blob, and the next folder is tried). A submodule is a
//! commit entry, not a tree. Devices, FIFOs and sockets cannot be in a git tree: they are
//! reported, never opened.

use std::path::{Path, PathBuf};

use super::workflow::WorkflowFile;
use crate::error::Error;
use crate::forge::version::Flavor;
use crate::fsread::{self, ReadError, is_real_dir};
use crate::yaml::MAX_FILE_BYTES;

/// Workflow files read from one folder, at most; the rest make the run partial.
pub const MAX_WORKFLOW_FILES: usize = 50_000;
/// Directory entries visited in one folder tree, at most.
pub const MAX_ENTRIES: usize = 200_000;
/// Folder depth below the workflow folder, at most.
pub const MAX_DEPTH: usize = 32;

pub fn candidate_dirs(flavor: Flavor) -> &'static [&'static str] {
    match flavor {
        Flavor::Gitea => &[".gitea/workflows", ".github/workflows"],
        Flavor::Forgejo => &[
            ".forgejo/workflows",
            ".gitea/workflows",
            ".github/workflows",
        ],
    }
}

/// The workflow folder the forge would read under `root`, if any: the first candidate that is a
/// real folder (no symbolic link on the way).
pub fn forge_dir(root: &Path, flavor: Flavor) -> Option<String> {
    candidate_dirs(flavor)
        .iter()
        .find(|d| is_real_dir(root, d))
        .map(|d| d.to_string())
}

/// Whether the name is one the forge reads as a workflow (a suffix match).
pub fn is_workflow_name(name: &str) -> bool {
    name.ends_with(".yml") || name.ends_with(".yaml")
}

/// A file that could not be read: reported as unverifiable, never skipped.
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// Reads every workflow file below `dir` (relative to `root`), sorted by path.
pub fn read_dir(root: &Path, dir: &str) -> Result<(Vec<WorkflowFile>, Vec<Unreadable>), Error> {
    let base = root.join(dir);
    if !is_real_dir(root, dir) {
        return Err(Error::Usage(format!(
            "the workflow folder {} is not a folder of the checkout (missing, or reached through a symbolic link, which the forge's git tree does not follow)",
            base.display()
        )));
    }
    let mut walk = Walk::default();
    walk.dir(&base, 0).map_err(|e| {
        Error::Usage(format!(
            "cannot read the workflow folder {}: {e}",
            base.display()
        ))
    })?;
    // In `Path`'s order (component by component), compared as bytes with `/` below every other
    // byte, which is the same order for these joined names: `Path`'s own comparison parses
    // both paths at every step, 10 M instructions for 1,000 files.
    walk.found
        .sort_unstable_by(|(a, _), (b, _)| by_components(a, b));
    let shown = |p: &Path| format!("{}/{}", dir.trim_end_matches('/'), rel(&base, p));
    let mut files = Vec::new();
    let mut unreadable: Vec<Unreadable> = walk
        .limits
        .iter()
        .map(|reason| Unreadable {
            path: dir.to_string(),
            reason: reason.clone(),
        })
        .collect();
    let texts = read_all(&walk.found);
    for ((p, _), text) in walk.found.iter().zip(texts) {
        let entry = rel(&base, p);
        let path = shown(p);
        match text {
            Ok(text) => files.push(WorkflowFile { path, entry, text }),
            Err(e) => unreadable.push(Unreadable {
                path,
                reason: format!("{e}"),
            }),
        }
    }
    Ok((files, unreadable))
}

/// Files read on one thread at a time below this many.
const FILES_PER_READER: usize = 64;

/// Each found entry's text, in order. The reads (open, check, read, close: about 6 µs a file)
/// are shared among the cores: for 1,000 files they were 6.5 ms on one thread before any
/// parsing started.
fn read_all(found: &[(PathBuf, Kind)]) -> Vec<Result<String, ReadError>> {
    crate::cores::map_parts(found, FILES_PER_READER, |part| {
        part.iter()
            .map(|(p, kind)| match kind {
                Kind::File => fsread::read_text(p, MAX_FILE_BYTES as u64, false),
                Kind::Link => link_text(p),
            })
            .collect()
    })
}

/// What the forge reads for a symbolic link: the blob holding its target.
fn link_text(p: &Path) -> Result<String, ReadError> {
    use std::os::unix::ffi::OsStrExt;
    let target = std::fs::read_link(p).map_err(ReadError::Io)?;
    String::from_utf8(target.as_os_str().as_bytes().to_vec()).map_err(|_| ReadError::NotUtf8)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    File,
    Link,
}

#[derive(Default)]
struct Walk {
    found: Vec<(PathBuf, Kind)>,
    entries: usize,
    /// Caps that stopped the walk, as messages.
    limits: Vec<String>,
    /// A cap on the whole walk was reached: stop everywhere.
    full: bool,
}

impl Walk {
    fn dir(&mut self, dir: &Path, depth: usize) -> std::io::Result<()> {
        if depth > MAX_DEPTH {
            self.limits.push(format!(
                "{} is nested deeper than {MAX_DEPTH} folders below the workflow folder; it was not read",
                dir.display()
            ));
            return Ok(());
        }
        for entry in std::fs::read_dir(dir)? {
            if self.full {
                return Ok(());
            }
            let entry = entry?;
            self.entries += 1;
            if self.entries > MAX_ENTRIES || self.found.len() >= MAX_WORKFLOW_FILES {
                self.full = true;
                self.limits.push(format!(
                    "the workflow folder holds more than {MAX_WORKFLOW_FILES} workflow files or {MAX_ENTRIES} entries; the rest were not read"
                ));
                return Ok(());
            }
            let path = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // file_type() does not follow symbolic links.
            let ft = entry.file_type()?;
            if ft.is_dir() {
                // A submodule is a commit in the tree, not a folder of workflows.
                if std::fs::symlink_metadata(path.join(".git")).is_err() {
                    self.dir(&path, depth + 1)?;
                }
            } else if !is_workflow_name(&name) {
                continue;
            } else if ft.is_symlink() {
                self.found.push((path, Kind::Link));
            } else {
                // Regular files, and anything else the reader then refuses by type.
                self.found.push((path, Kind::File));
            }
        }
        Ok(())
    }
}

/// `a.cmp(b)` for paths built by joining folder entries' names to one base.
fn by_components(a: &Path, b: &Path) -> std::cmp::Ordering {
    use std::os::unix::ffi::OsStrExt;
    let key = |c: &u8| if *c == b'/' { 0 } else { *c };
    a.as_os_str()
        .as_bytes()
        .iter()
        .map(key)
        .cmp(b.as_os_str().as_bytes().iter().map(key))
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        "[a-c.\\-_ é0]{1,4}".prop_filter("an entry name", |n| n != "." && n != "..")
    }

    proptest! {
        /// The byte comparison is `Path`'s own order for names joined to one base (folder
        /// entries: never `.` or `..`).
        #[test]
        fn by_components_is_path_order(
            a in proptest::collection::vec(name(), 1..4),
            b in proptest::collection::vec(name(), 1..4),
        ) {
            let base = Path::new("/repo/.gitea/workflows");
            let join = |parts: &[String]| parts.iter().fold(base.to_path_buf(), |p, n| p.join(n));
            let (a, b) = (join(&a), join(&b));
            prop_assert_eq!(by_components(&a, &b), a.cmp(&b), "{:?} {:?}", a, b);
        }
    }
}
