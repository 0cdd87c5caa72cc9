//! Which files a project is made of when `--compose` is not given, as `docker compose` finds
//! them (compose-go `cli/options.go`): `COMPOSE_FILE` (paths split by
//! `COMPOSE_PATH_SEPARATOR`, `:` by default), else, from the project directory (or the working
//! directory) upwards, the first folder holding one of `DefaultFileNames`, with the first of
//! `DefaultOverrideFileNames` beside it.

use std::path::{Path, PathBuf};

/// compose-go `DefaultFileNames`, in its order of preference.
pub const FILE_NAMES: [&str; 4] = [
    "compose.yaml",
    "compose.yml",
    "docker-compose.yml",
    "docker-compose.yaml",
];

/// compose-go `DefaultOverrideFileNames`, in its order of preference.
pub const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yml",
    "compose.override.yaml",
    "docker-compose.override.yml",
    "docker-compose.override.yaml",
];

/// Folders walked up at most (a path has far fewer; this bounds a pathological one).
const MAX_LEVELS: usize = 256;

/// The files compose would read, or none.
pub fn files(start: &Path, env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    if let Some(list) = env("COMPOSE_FILE").filter(|v| !v.trim().is_empty()) {
        let sep = env("COMPOSE_PATH_SEPARATOR").unwrap_or_else(|| ":".into());
        return list
            .split(sep.as_str())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| start.join(p))
            .collect();
    }
    let mut dir = start.canonicalize().unwrap_or_else(|_| start.to_path_buf());
    for _ in 0..MAX_LEVELS {
        if let Some(base) = first_file(&dir, &FILE_NAMES) {
            let mut out = vec![base];
            out.extend(first_file(&dir, &OVERRIDE_NAMES));
            return out;
        }
        match dir.parent() {
            Some(p) if p != dir => dir = p.to_path_buf(),
            _ => break,
        }
    }
    Vec::new()
}

fn first_file(dir: &Path, names: &[&str]) -> Option<PathBuf> {
    names
        .iter()
        .map(|n| dir.join(n))
        .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file() || m.is_symlink()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_name_with_its_override_and_compose_file_first() {
        let root = std::env::temp_dir().join(format!("dg-discover-{}", std::process::id()));
        let deep = root.join("a/b");
        std::fs::create_dir_all(&deep).expect("dirs");
        for f in [
            "docker-compose.yml",
            "compose.yml",
            "docker-compose.override.yml",
            "compose.override.yaml",
        ] {
            std::fs::write(root.join(f), "services: {}\n").expect("write");
        }
        let none = |_: &str| None;
        // From a subfolder, upwards: compose.yml before docker-compose.yml, and the first override.
        let got = files(&deep, &none);
        let names: Vec<String> = got
            .iter()
            .map(|p| {
                p.file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["compose.yml", "compose.override.yaml"]);
        // COMPOSE_FILE wins, split by the separator.
        let env = |k: &str| match k {
            "COMPOSE_FILE" => Some("x.yml;y.yml".to_string()),
            "COMPOSE_PATH_SEPARATOR" => Some(";".to_string()),
            _ => None,
        };
        assert_eq!(files(&root, &env), [root.join("x.yml"), root.join("y.yml")]);
        let _ = std::fs::remove_dir_all(&root);
    }
}
