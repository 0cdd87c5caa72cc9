//! Which workflow files the forge reads: Gitea `.gitea/workflows` if it exists, else
//! `.github/workflows`; Forgejo the first of `.forgejo/`, `.gitea/`, `.github/workflows`.
//! Subfolders included, `*.yml` and `*.yaml` only.

use std::path::{Path, PathBuf};

use super::workflow::WorkflowFile;
use crate::error::Error;
use crate::forge::version::Flavor;
use crate::yaml::MAX_FILE_BYTES;

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

/// The workflow folder the forge would read under `root`, if any.
pub fn forge_dir(root: &Path, flavor: Flavor) -> Option<String> {
    candidate_dirs(flavor)
        .iter()
        .find(|d| root.join(d).is_dir())
        .map(|d| d.to_string())
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
    let mut paths = Vec::new();
    walk(&base, &mut paths).map_err(|e| {
        Error::Usage(format!(
            "cannot read the workflow folder {}: {e}",
            base.display()
        ))
    })?;
    paths.sort();
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for p in paths {
        let entry = rel(&base, &p);
        let path = format!("{}/{entry}", dir.trim_end_matches('/'));
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if size > MAX_FILE_BYTES as u64 {
            unreadable.push(Unreadable {
                path,
                reason: format!("{size} bytes, over the {MAX_FILE_BYTES} byte limit"),
            });
            continue;
        }
        match std::fs::read(&p) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.push(WorkflowFile { path, entry, text }),
                Err(_) => unreadable.push(Unreadable {
                    path,
                    reason: "not UTF-8 text".into(),
                }),
            },
            Err(e) => unreadable.push(Unreadable {
                path,
                reason: e.to_string(),
            }),
        }
    }
    Ok((files, unreadable))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // file_type() does not follow symlinks: a linked folder cannot make the walk loop.
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if is_workflow(&path) {
            out.push(path);
        }
    }
    Ok(())
}

fn is_workflow(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn rel(base: &Path, p: &Path) -> String {
    p.strip_prefix(base)
        .unwrap_or(p)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
