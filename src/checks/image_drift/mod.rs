//! `image-drift`: compares the images compose files and module manifests declare with what a
//! Docker engine runs, read-only, by RepoDigests, never trusting an image ID alone.
//!
//! `desired` reads the declarations, `engine` lists containers and images (two calls, whatever
//! the number of modules, with driftgate's own engine client), `compare` decides per container,
//! `names` normalises image names.

pub mod compare;
pub mod compose;
pub mod desired;
pub mod engine;
pub mod names;
pub mod tags;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use compare::{Status, Verdict};
use desired::{Declared, Desired};
use engine::Observed;

use crate::error::Error;
use crate::outcome::Finding;
use crate::report::{Report, Section};

#[derive(Debug, Clone)]
pub struct Options {
    pub compose: Vec<PathBuf>,
    pub project: Option<String>,
    /// `--env-file`: instead of the project folder's `.env`.
    pub env_file: Option<PathBuf>,
    /// `--project-directory`: the project's folder (its `.env`, its name, where files are found).
    pub project_directory: Option<PathBuf>,
    pub manifests: Vec<String>,
    /// Every `--docker-host` (none: `DOCKER_HOST`, else the local socket).
    pub docker_host: Vec<String>,
    /// `--resolve-tags`: where tag-only declarations point now in their registries.
    pub resolve_tags: bool,
    pub modules: Vec<String>,
    pub timeout: Duration,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Engines observed at once, at most.
const ENGINES_AT_ONCE: usize = 4;

/// What one engine showed: its (redacted) host, and what it lists or why it could not.
struct EngineRun {
    host: String,
    observed: Result<Observed, Error>,
}

/// The engines to read: every `--docker-host`, else `DOCKER_HOST`, else the local socket.
fn hosts(o: &Options) -> Vec<String> {
    if !o.docker_host.is_empty() {
        let mut seen = BTreeSet::new();
        return o
            .docker_host
            .iter()
            .filter(|h| seen.insert((*h).clone()))
            .cloned()
            .collect();
    }
    vec![env("DOCKER_HOST").unwrap_or_else(|| engine::DEFAULT_HOST.to_string())]
}

/// Reads every engine, at most [`ENGINES_AT_ONCE`] at a time, in the order given.
async fn observe_all(given: &[String], timeout: Duration) -> Vec<EngineRun> {
    let mut out: Vec<Option<EngineRun>> = given.iter().map(|_| None).collect();
    let mut set = tokio::task::JoinSet::new();
    let mut next = 0;
    while next < given.len() || !set.is_empty() {
        while next < given.len() && set.len() < ENGINES_AT_ONCE {
            let (i, host) = (next, given[next].clone());
            set.spawn(async move {
                let observed = match engine::connect(&host, timeout) {
                    Ok(engine) => engine.observe().await,
                    Err(e) => Err(e),
                };
                (i, observed)
            });
            next += 1;
        }
        if let Some(done) = set.join_next().await {
            match done {
                Ok((i, observed)) => {
                    if let (Some(slot), Some(h)) = (out.get_mut(i), given.get(i)) {
                        *slot = Some(EngineRun {
                            host: engine::host::redact(h),
                            observed,
                        });
                    }
                }
                // A panic in a task is a bug: let it surface as one.
                Err(e) => std::panic::resume_unwind(e.into_panic()),
            }
        }
    }
    out.into_iter().flatten().collect()
}

pub async fn run(o: &Options) -> Report {
    let given = hosts(o);
    // What reports show: a password in the URL (refused anyway) never reaches them.
    let shown: Vec<String> = given.iter().map(|h| engine::host::redact(h)).collect();
    let mut findings = Vec::new();
    let desired = match read_desired(o) {
        Ok(d) => d,
        Err(e) => {
            findings.push(e.into_finding("image-drift"));
            return build(&shown, &[], &[], findings, &Desired::default());
        }
    };
    let engines = if desired.declared.is_empty() {
        Vec::new()
    } else {
        observe_all(&given, o.timeout).await
    };
    let several = given.len() > 1;
    let resolved = if o.resolve_tags && !engines.is_empty() {
        tags::resolve(&desired.declared, o.timeout).await
    } else {
        tags::Resolved::new()
    };
    for (image, r) in &resolved {
        if let Err(e) = r {
            // Never clean: the tag's registry refused or could not be read (3, 5).
            findings.push(e.clone().into_finding(image.clone()));
        }
    }
    // (engine index, declared, verdicts) for every engine that answered.
    let mut results: Vec<(usize, &Declared, Vec<Verdict>)> = Vec::new();
    for (k, e) in engines.iter().enumerate() {
        match &e.observed {
            Ok(obs) => {
                for d in &desired.declared {
                    let mut verdicts = compare::compare(d, obs);
                    tags::recheck(d, &mut verdicts, obs, &resolved);
                    results.push((k, d, verdicts));
                }
            }
            Err(err) => findings.push(err.clone().into_finding(e.host.clone())),
        }
    }
    for (k, d, verdicts) in &results {
        for v in verdicts {
            let mut subject = match &v.container {
                Some(c) => format!("{} ({c})", d.name),
                None => d.name.clone(),
            };
            if several && let Some(e) = engines.get(*k) {
                subject.push_str(&format!(" on {}", e.host));
            }
            let f = match v.status {
                Status::InSync => continue,
                Status::Unverifiable => {
                    Finding::unverified("unverifiable", subject, v.message.clone())
                }
                s => Finding::problem(s.as_str(), subject, v.message.clone()),
            };
            findings.push(f.at(d.source.clone(), None));
        }
    }
    for u in &desired.unreadable {
        let subject = u.name.clone().unwrap_or_else(|| u.source.clone());
        findings.push(
            Finding::unverified(
                "unverifiable",
                subject,
                format!(
                    "{} {}; what it declares cannot be checked",
                    u.source, u.reason
                ),
            )
            .at(u.source.clone(), None),
        );
    }
    if let Some((project, files)) = &desired.project {
        for e in &engines {
            if let Ok(obs) = &e.observed {
                findings.extend(started_from_other_files(project, files, obs));
            }
        }
    }
    for (file, what) in &desired.notes {
        findings
            .push(Finding::notice("compose", file.clone(), what.clone()).at(file.clone(), None));
    }
    for s in &desired.skipped {
        findings.push(
            Finding::notice("skipped", s.name.clone(), s.reason.clone()).at(s.source.clone(), None),
        );
    }
    build(&shown, &engines, &results, findings, &desired)
}

fn flags(o: &Options) -> compose::Flags<'_> {
    compose::Flags {
        project: o.project.as_deref(),
        env_file: o.env_file.as_deref(),
        project_directory: o.project_directory.as_deref(),
    }
}

fn read_desired(o: &Options) -> Result<Desired, Error> {
    let mut d = Desired::default();
    if o.compose.is_empty() && o.manifests.is_empty() {
        // As docker compose finds its files: COMPOSE_FILE, else compose.yaml & co. from the
        // project directory (or here) upwards.
        let start = o
            .project_directory
            .clone()
            .unwrap_or_else(|| PathBuf::from("."));
        // compose reads COMPOSE_FILE (and the other COMPOSE_* settings) from the `.env` of
        // the folder it starts in too, under the shell's.
        let dotenv = crate::fsread::read_text(&start.join(".env"), 1024 * 1024, true)
            .ok()
            .and_then(|t| compose::dotenv::parse(&t, &env).ok())
            .unwrap_or_default();
        let lookup = |k: &str| env(k).or_else(|| dotenv.get(k).cloned());
        let found = compose::discover::files(&start, &lookup);
        if found.is_empty() {
            return Err(Error::Usage(
                "nothing declared: pass --compose FILE or --manifests GLOB, or run where docker compose finds its file (compose.yaml, docker-compose.yml, COMPOSE_FILE)".into(),
            ));
        }
        let project = compose::read(&found, flags(o), &env)?;
        desired::from_project(&project, &mut d)?;
    }
    if !o.compose.is_empty() {
        let project = compose::read(&o.compose, flags(o), &env)?;
        desired::from_project(&project, &mut d)?;
    }
    for pattern in &o.manifests {
        let paths = glob::glob(pattern).map_err(|e| {
            Error::Usage(format!("--manifests {pattern:?} is not a valid glob: {e}"))
        })?;
        let mut found = 0;
        for p in paths {
            match p {
                Ok(p) => {
                    found += 1;
                    desired::read_manifest(&p, &mut d);
                }
                Err(e) => d.unreadable.push(desired::Unreadable {
                    source: e.path().display().to_string(),
                    name: None,
                    reason: format!("cannot be read: {}", e.error()),
                }),
            }
        }
        if found == 0 {
            return Err(Error::Usage(format!(
                "--manifests {pattern:?} matches no file"
            )));
        }
    }
    if !o.modules.is_empty() {
        let known: BTreeSet<String> = d
            .declared
            .iter()
            .map(|x| x.name.clone())
            .chain(d.skipped.iter().map(|s| s.name.clone()))
            .chain(d.unreadable.iter().filter_map(|u| u.name.clone()))
            .collect();
        if let Some(m) = o.modules.iter().find(|m| !known.contains(*m)) {
            return Err(Error::Usage(format!(
                "--module {m:?} is not declared (declared: {})",
                known.into_iter().collect::<Vec<_>>().join(", ")
            )));
        }
        let keep = |n: &str| o.modules.iter().any(|m| m == n);
        d.declared.retain(|x| keep(&x.name));
        d.skipped.retain(|x| keep(&x.name));
        // A file that did not parse cannot be narrowed to a module: it stays unverifiable.
        d.unreadable.retain(|x| x.name.as_deref().is_none_or(keep));
    }
    Ok(d)
}

fn build(
    hosts: &[String],
    engines: &[EngineRun],
    results: &[(usize, &Declared, Vec<Verdict>)],
    findings: Vec<Finding>,
    desired: &Desired,
) -> Report {
    let mut r = Report::new("image-drift");
    r.findings = findings;
    let calls_of = |e: &EngineRun| e.observed.as_ref().map_or(0, |o| o.calls);
    let calls: usize = engines.iter().map(calls_of).sum();
    let in_sync = results
        .iter()
        .filter(|(_, _, v)| v.iter().all(|x| x.status == Status::InSync))
        .count();
    r.facts.push((
        if hosts.len() > 1 { "engines" } else { "engine" }.into(),
        hosts.join(", "),
    ));
    r.facts.push(("engine calls".into(), calls.to_string()));
    r.facts.push((
        "declared".into(),
        format!(
            "{} module(s), {} in sync, {} skipped",
            desired.declared.len(),
            in_sync,
            desired.skipped.len()
        ),
    ));
    let several = hosts.len() > 1;
    let mut rows = Vec::new();
    let mut modules = Vec::new();
    for (k, d, verdicts) in results {
        let Some(e) = engines.get(*k) else { continue };
        let Ok(observed) = &e.observed else { continue };
        let worst = verdicts
            .iter()
            .map(|v| v.status)
            .min()
            .unwrap_or(Status::InSync);
        let containers: Vec<serde_json::Value> = verdicts
            .iter()
            .filter_map(|v| {
                let name = v.container.as_ref()?;
                let c = observed
                    .containers
                    .iter()
                    .find(|c| c.names.first() == Some(name) || &c.id == name)?;
                let digests = observed
                    .images
                    .iter()
                    .find(|i| i.id == c.image_id)
                    .map(|i| i.repo_digests.clone())
                    .unwrap_or_default();
                Some(
                    json!({"name": name, "image": c.image, "image_id": c.image_id, "state": c.state,
                    "status": v.status.as_str(), "repo_digests": digests}),
                )
            })
            .collect();
        for v in verdicts {
            let mut row = vec![
                d.name.clone(),
                v.container.clone().unwrap_or_else(|| "-".into()),
                v.status.as_str().into(),
                v.message.clone(),
            ];
            if several {
                row.insert(0, e.host.clone());
            }
            rows.push(row);
        }
        modules.push(
            json!({"name": d.name, "source": d.source, "declared": d.image, "engine": e.host,
            "status": worst.as_str(), "containers": containers}),
        );
    }
    for s in &desired.skipped {
        modules.push(json!({"name": s.name, "source": s.source, "declared": null, "status": "skipped", "containers": []}));
    }
    for u in &desired.unreadable {
        modules.push(json!({"name": u.name, "source": u.source, "declared": null, "status": "unverifiable", "containers": []}));
    }
    // An engine that could not be read: every declaration is unverifiable there.
    for e in engines.iter().filter(|e| e.observed.is_err()) {
        for d in &desired.declared {
            modules.push(json!({"name": d.name, "source": d.source, "declared": d.image, "engine": e.host, "status": "unverifiable", "containers": []}));
        }
    }
    if engines.is_empty() {
        for d in &desired.declared {
            modules.push(json!({"name": d.name, "source": d.source, "declared": d.image, "status": "unverifiable", "containers": []}));
        }
    }
    if !rows.is_empty() {
        let headers: &[&str] = if several {
            &["engine", "module", "container", "status", "detail"]
        } else {
            &["module", "container", "status", "detail"]
        };
        r.sections.push(Section::new("Modules", headers, rows));
    }
    let first = engines.first();
    r.details.insert(
        "engine",
        json!({"host": hosts.first(), "calls": first.map_or(0, calls_of)}),
    );
    r.details.insert(
        "engines",
        serde_json::Value::Array(
            engines
                .iter()
                .map(|e| json!({"host": e.host, "calls": calls_of(e), "read": e.observed.is_ok()}))
                .collect(),
        ),
    );
    r.details.insert("engine_calls", json!(calls));
    r.details
        .insert("modules", serde_json::Value::Array(modules));
    r
}

/// The label compose puts on every container with the files `up` read, comma-separated.
const CONFIG_FILES_LABEL: &str = "com.docker.compose.project.config_files";

/// A notice when the project's containers were started from other files than the ones
/// checked: what `docker compose up` with these files would do is not what runs.
fn started_from_other_files(project: &str, files: &[String], o: &Observed) -> Option<Finding> {
    let checked: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let started: BTreeSet<&str> = o
        .containers
        .iter()
        .filter(|c| {
            c.labels
                .get("com.docker.compose.project")
                .map(String::as_str)
                == Some(project)
        })
        .filter_map(|c| c.labels.get(CONFIG_FILES_LABEL))
        .flat_map(|l| l.split(','))
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .collect();
    if started.is_empty() || started == checked {
        return None;
    }
    let list = |s: &BTreeSet<&str>| s.iter().copied().collect::<Vec<_>>().join(", ");
    Some(Finding::notice(
        "compose-files",
        project.to_string(),
        format!(
            "the project's containers were started from {} ({CONFIG_FILES_LABEL}), but {} were checked: the running project may hold services or images these files do not",
            list(&started),
            list(&checked)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn container(project: &str, files: &str) -> engine::Container {
        engine::Container {
            id: "c".into(),
            names: vec!["n".into()],
            image: "app:v1".into(),
            image_id: "sha256:1".into(),
            labels: HashMap::from([
                (
                    "com.docker.compose.project".to_string(),
                    project.to_string(),
                ),
                (CONFIG_FILES_LABEL.to_string(), files.to_string()),
            ]),
            state: "running".into(),
        }
    }

    #[test]
    fn a_project_started_from_other_files_is_said() {
        let checked = vec!["/srv/app/compose.yml".to_string()];
        let o = |files: &str| Observed {
            containers: vec![container("app", files), container("other", "/x.yml")],
            images: vec![],
            calls: 2,
        };
        assert!(started_from_other_files("app", &checked, &o("/srv/app/compose.yml")).is_none());
        let f = started_from_other_files(
            "app",
            &checked,
            &o("/srv/app/compose.yml,/srv/app/compose.prod.yml"),
        )
        .expect("a notice");
        assert_eq!(f.kind, "compose-files");
        assert!(f.message.contains("compose.prod.yml"), "{}", f.message);
    }
}
