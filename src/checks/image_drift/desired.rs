//! Desired state: the images compose files and module manifests declare, and how to find the
//! containers that should run them.

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
    /// (file, what): information that changes no verdict (an unset variable compose blanks).
    pub notes: Vec<(String, String)>,
    /// The compose project checked (its name and files), if any.
    pub project: Option<(String, Vec<String>)>,
}

/// The services of a compose project (see `compose`): each with `image:` that compose would
/// start, found by its compose labels or `container_name`.
pub fn from_project(p: &super::compose::Project, out: &mut Desired) -> Result<(), Error> {
    for (file, reason) in &p.unreadable {
        out.unreadable.push(Unreadable {
            source: file.clone(),
            name: None,
            reason: reason.clone(),
        });
    }
    out.notes.extend(p.notes.iter().cloned());
    out.project = Some((p.name.clone(), p.files.clone()));
    if p.services.is_empty() && p.unreadable.is_empty() {
        // docker compose refuses such a project too; reading it as "nothing declared, nothing
        // drifted" would be a clean result for a typo (`servics:`).
        return Err(Error::Usage(
            "the compose file declares no service (is `services:` missing or misspelt?)".into(),
        ));
    }
    for (service, s) in &p.services {
        let skip = |reason: String| Skipped {
            source: s.source.clone(),
            name: service.clone(),
            reason,
        };
        if !p.active(s) {
            let active = if p.profiles.is_empty() {
                "none is active".to_string()
            } else {
                format!(
                    "COMPOSE_PROFILES activates {}",
                    p.profiles.iter().cloned().collect::<Vec<_>>().join(", ")
                )
            };
            out.skipped.push(skip(format!(
                "in profile {}, and {active}: compose does not start it",
                s.profiles.join(", ")
            )));
            continue;
        }
        if s.replicas == Some(0) {
            out.skipped
                .push(skip("scaled to 0: compose starts no container".into()));
            continue;
        }
        let Some(image) = s.image.clone() else {
            out.skipped.push(skip(
                "no `image:` (built by compose), nothing declared to compare".into(),
            ));
            continue;
        };
        let selector = match &s.container_name {
            Some(n) => Selector::Name(n.clone()),
            None => Selector::Compose {
                project: p.name.clone(),
                service: service.clone(),
            },
        };
        out.declared.push(Declared {
            name: service.clone(),
            source: s.source.clone(),
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
