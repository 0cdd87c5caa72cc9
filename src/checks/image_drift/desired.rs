//! Desired state: the images compose files and module manifests declare, and how to find the
//! containers that should run them.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::yaml;

/// How the containers of one declaration are found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Compose labels `com.docker.compose.project` + `com.docker.compose.service`: every replica.
    Compose { project: String, service: String },
    /// A fixed container name (`container_name:` or a manifest's `container`).
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The service or module name (`--module` matches it).
    pub name: String,
    pub source: String,
    pub image: String,
    pub selector: Selector,
}

/// A declaration driftgate cannot read: unverifiable, never skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub source: String,
    pub name: Option<String>,
    pub reason: String,
}

/// A declaration that is not checked, and why (a notice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub source: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Desired {
    pub declared: Vec<Declared>,
    pub unreadable: Vec<Unreadable>,
    pub skipped: Vec<Skipped>,
}

#[derive(Deserialize)]
struct ComposeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    services: BTreeMap<String, ComposeService>,
}

#[derive(Deserialize)]
struct ComposeService {
    #[serde(default)]
    image: Option<String>,
    #[serde(default)]
    container_name: Option<String>,
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

/// Reads one compose file. The project name is `--project`, else `COMPOSE_PROJECT_NAME`, else
/// the file's `name:`, else its folder's name, as docker compose decides it.
pub fn read_compose(
    path: &Path,
    project: Option<&str>,
    env: &dyn Fn(&str) -> Option<String>,
    out: &mut Desired,
) -> Result<(), Error> {
    let source = path.display().to_string();
    let unreadable = |reason: String| Unreadable {
        source: source.clone(),
        name: None,
        reason,
    };
    let text = match crate::fsread::read_text(path, yaml::MAX_FILE_BYTES as u64, true) {
        Ok(t) => t,
        Err(e) => {
            out.unreadable.push(unreadable(e.to_string()));
            return Ok(());
        }
    };
    let file: ComposeFile = match yaml::parse(&text) {
        Ok(f) => f,
        Err(e) => {
            out.unreadable
                .push(unreadable(format!("does not parse: {e}")));
            return Ok(());
        }
    };
    if file.services.is_empty() {
        // docker compose refuses such a file too; reading it as "nothing declared, nothing
        // drifted" would be a clean result for a typo (`servics:`).
        return Err(Error::Usage(format!(
            "the compose file {source} declares no service (is `services:` missing or misspelt?)"
        )));
    }
    let folder = path
        .canonicalize()
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let raw_project = project
        .map(str::to_string)
        .or_else(|| env("COMPOSE_PROJECT_NAME"))
        .or(file.name.clone())
        .unwrap_or(folder);
    let project = normalise_project(&raw_project);
    for (service, s) in file.services {
        let Some(image) = s.image else {
            out.skipped.push(Skipped {
                source: source.clone(),
                name: service,
                reason: "no `image:` (built by compose), nothing declared to compare".into(),
            });
            continue;
        };
        let image = match interpolate(&image, env) {
            Ok(i) => i,
            Err(e) => {
                out.unreadable.push(Unreadable {
                    source: source.clone(),
                    name: Some(service),
                    reason: e,
                });
                continue;
            }
        };
        let selector = match s.container_name {
            Some(n) => Selector::Name(n),
            None => Selector::Compose {
                project: project.clone(),
                service: service.clone(),
            },
        };
        out.declared.push(Declared {
            name: service,
            source: source.clone(),
            image,
            selector,
        });
    }
    Ok(())
}

#[derive(Deserialize)]
struct Manifest {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
}

#[derive(Deserialize)]
struct Spec {
    runtime: Runtime,
}

#[derive(Deserialize)]
struct Runtime {
    kind: String,
    #[serde(default)]
    container: Option<String>,
    #[serde(default)]
    image: Option<String>,
}

/// Reads one module manifest (`metadata.name`, `spec.runtime.{kind,container,image}`).
pub fn read_manifest(path: &Path, out: &mut Desired) {
    let source = path.display().to_string();
    let text = match crate::fsread::read_text(path, yaml::MAX_FILE_BYTES as u64, true) {
        Ok(t) => t,
        Err(e) => {
            return out.unreadable.push(Unreadable {
                source,
                name: None,
                reason: e.to_string(),
            });
        }
    };
    let m: Manifest = match yaml::parse(&text) {
        Ok(m) => m,
        Err(e) => {
            return out.unreadable.push(Unreadable {
                source,
                name: None,
                reason: format!("is not a module manifest: {e}"),
            });
        }
    };
    let name = m.metadata.name;
    if m.spec.runtime.kind != "compose" {
        return out.skipped.push(Skipped {
            source,
            reason: format!(
                "runtime kind {:?} is not compose; only compose modules run on a Docker engine",
                m.spec.runtime.kind
            ),
            name,
        });
    }
    let Some(image) = m.spec.runtime.image.filter(|i| !i.trim().is_empty()) else {
        return out.unreadable.push(Unreadable {
            source,
            name: Some(name),
            reason: "spec.runtime.image is missing".into(),
        });
    };
    let container = m.spec.runtime.container.unwrap_or_else(|| name.clone());
    out.declared.push(Declared {
        name,
        source,
        image,
        selector: Selector::Name(container),
    });
}

/// Compose's variable substitution in `image:`: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`,
/// `${VAR-default}`. An unset variable without default cannot be resolved here.
pub fn interpolate(s: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(r) = after.strip_prefix('$') {
            out.push('$');
            rest = r;
        } else if let Some(r) = after.strip_prefix('{') {
            let end = r
                .find('}')
                .ok_or_else(|| format!("image {s:?} has an unclosed ${{"))?;
            let expr = &r[..end];
            let (var, default, empty_counts) = if let Some((v, d)) = expr.split_once(":-") {
                (v, Some(d), true)
            } else if let Some((v, d)) = expr.split_once('-') {
                (v, Some(d), false)
            } else {
                (expr, None, false)
            };
            let value = env(var).filter(|v| !(empty_counts && v.is_empty()));
            match (value, default) {
                (Some(v), _) => out.push_str(&v),
                (None, Some(d)) => out.push_str(d),
                (None, None) => {
                    return Err(format!(
                        "image {s:?} uses ${{{var}}}, which is not set here"
                    ));
                }
            }
            rest = &r[end + 1..];
        } else {
            let n = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            let var = &after[..n];
            if var.is_empty() {
                out.push('$');
            } else {
                out.push_str(
                    &env(var)
                        .ok_or_else(|| format!("image {s:?} uses ${var}, which is not set here"))?,
                );
            }
            rest = &after[n..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(k: &str) -> Option<String> {
        match k {
            "TAG" => Some("1.2".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn compose_interpolation() {
        assert_eq!(interpolate("r/app:${TAG}", &env), Ok("r/app:1.2".into()));
        assert_eq!(interpolate("r/app:$TAG", &env), Ok("r/app:1.2".into()));
        assert_eq!(interpolate("r/app:${NOPE:-9}", &env), Ok("r/app:9".into()));
        assert_eq!(interpolate("r/app:${EMPTY:-9}", &env), Ok("r/app:9".into()));
        assert_eq!(interpolate("r/app:${EMPTY-9}x", &env), Ok("r/app:x".into()));
        assert_eq!(interpolate("a$$b", &env), Ok("a$b".into()));
        assert!(interpolate("r/app:${NOPE}", &env).is_err());
    }

    #[test]
    fn project_names_normalise_as_compose_does() {
        assert_eq!(normalise_project("My App.v2"), "myappv2");
        assert_eq!(normalise_project("_-x_y"), "x_y");
    }
}
