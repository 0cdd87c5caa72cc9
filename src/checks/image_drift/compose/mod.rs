//! A compose project as `docker compose` reads it: the files given (`--compose` several times,
//! merged in order as `-f a -f b` merges them: one project), the `.env` of the project
//! directory (or `--env-file`) under the shell's variables, the whole interpolation syntax on
//! every value, `extends` (also from another file), top-level `include`, `profiles`
//! (`COMPOSE_PROFILES`), and `scale`/`deploy.replicas` 0.

pub mod discover;
pub mod dotenv;
pub mod interpolate;
mod load;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::Error;

/// One service after the merge: what driftgate needs of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Service {
    pub image: Option<String>,
    pub container_name: Option<String>,
    pub profiles: Vec<String>,
    /// `scale:` or `deploy.replicas:`, when given.
    pub replicas: Option<u64>,
    /// The file that last declared the service's image (or the service).
    pub source: String,
}

#[derive(Debug, Default)]
pub struct Project {
    pub name: String,
    /// The files the project was read from (not those it includes or extends from), absolute.
    pub files: Vec<String>,
    pub services: BTreeMap<String, Service>,
    /// Profiles switched on by `COMPOSE_PROFILES` (`*` switches on every one).
    pub profiles: BTreeSet<String>,
    /// Notices: variables used but unset (compose substitutes ""), keys not modelled.
    pub notes: Vec<(String, String)>,
    /// Files that could not be read or parsed: (file, reason).
    pub unreadable: Vec<(String, String)>,
}

impl Project {
    /// Whether compose would start the service: no profile, or one that is active.
    pub fn active(&self, s: &Service) -> bool {
        s.profiles.is_empty()
            || self.profiles.contains("*")
            || s.profiles.iter().any(|p| self.profiles.contains(p))
    }
}

/// docker compose's project name rule: lower case, only `[a-z0-9_-]`, no leading `_`/`-`.
pub fn normalise_project(s: &str) -> String {
    let kept: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// Where a project is read from: `--project`, `--env-file`, `--project-directory`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags<'a> {
    pub project: Option<&'a str>,
    pub env_file: Option<&'a Path>,
    pub project_directory: Option<&'a Path>,
}

/// Reads and merges `files` into one project. The project directory is `--project-directory`,
/// else the first file's folder; its `.env` is read unless `--env-file` names another file.
pub fn read(
    files: &[PathBuf],
    flags: Flags,
    shell: &dyn Fn(&str) -> Option<String>,
) -> Result<Project, Error> {
    let (project, env_file) = (flags.project, flags.env_file);
    let first = files
        .first()
        .ok_or_else(|| Error::Usage("no compose file".into()))?;
    let dir = match flags.project_directory {
        Some(d) => d
            .canonicalize()
            .map_err(|e| Error::Usage(format!("--project-directory {}: {e}", d.display())))?,
        None => first
            .canonicalize()
            .ok()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let dotenv = read_env_file(env_file, &dir, shell)?;
    // The shell's variables win over the `.env` file's (compose's precedence).
    let lookup = |k: &str| shell(k).or_else(|| dotenv.get(k).cloned());
    let mut p = Project::default();
    let mut declared_name = None;
    let mut loader = load::Loader {
        lookup: &lookup,
        project: &mut p,
        read: 0,
    };
    let mut loaded = Vec::new();
    let absolute: Vec<String> = files
        .iter()
        .map(|f| {
            f.canonicalize()
                .unwrap_or_else(|_| f.clone())
                .display()
                .to_string()
        })
        .collect();
    for file in files {
        if let Some(l) = loader.file(file, 0)? {
            loaded.push((file.display().to_string(), l));
        }
    }
    for (source, l) in loaded {
        if let Some(n) = l.doc.get("name").and_then(Value::as_str) {
            declared_name = Some(n.to_string());
        }
        for (name, body) in &l.services {
            merge(&mut p, name, body, &source);
        }
    }
    let folder = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let raw = project
        .map(str::to_string)
        .or_else(|| lookup("COMPOSE_PROJECT_NAME").filter(|v| !v.is_empty()))
        .or(declared_name)
        .unwrap_or(folder);
    p.name = normalise_project(&raw);
    p.files = absolute;
    p.profiles = lookup("COMPOSE_PROFILES")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    Ok(p)
}

fn read_env_file(
    env_file: Option<&Path>,
    dir: &Path,
    shell: &dyn Fn(&str) -> Option<String>,
) -> Result<BTreeMap<String, String>, Error> {
    let (path, must) = match env_file {
        Some(f) => (f.to_path_buf(), true),
        None => (dir.join(".env"), false),
    };
    if !must && !path.exists() {
        return Ok(BTreeMap::new());
    }
    let text = crate::fsread::read_text(&path, 1024 * 1024, true)
        .map_err(|e| Error::Usage(format!("the env file {} {e}", path.display())))?;
    dotenv::parse(&text, shell)
        .map_err(|e| Error::Usage(format!("the env file {}: {e}", path.display())))
}

/// A later file's service over an earlier one's (compose's merge for the keys driftgate reads:
/// scalars replace, `profiles` replaces).
fn merge(p: &mut Project, name: &str, body: &Value, source: &str) {
    let s = p
        .services
        .entry(name.to_string())
        .or_insert_with(|| Service {
            source: source.to_string(),
            ..Service::default()
        });
    let text = |k: &str| body.get(k).and_then(scalar_text);
    if let Some(image) = text("image") {
        s.image = Some(image);
        s.source = source.to_string();
    }
    if let Some(c) = text("container_name") {
        s.container_name = Some(c);
    }
    if let Some(list) = body.get("profiles").and_then(Value::as_array) {
        s.profiles = list.iter().filter_map(scalar_text).collect();
    }
    let replicas = body
        .get("scale")
        .or_else(|| body.get("deploy").and_then(|d| d.get("replicas")));
    if let Some(n) = replicas.and_then(|r| r.as_u64().or_else(|| r.as_str()?.trim().parse().ok())) {
        s.replicas = Some(n);
    }
    if body.get("extends").is_some() {
        p.notes.push((
            source.to_string(),
            format!(
                "service {name}: extends: is not read yet; what it would inherit is not checked"
            ),
        ));
    }
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_names_normalise_as_compose_does() {
        assert_eq!(normalise_project("My App.v2"), "myappv2");
        assert_eq!(normalise_project("_-x_y"), "x_y");
    }
}
