//! `required-checks`: proves that every status context branch protection requires is posted by
//! some workflow job (required ⊆ emitted), as the forge names contexts.
//!
//! The pieces, in the order a run uses them: `rules` (which protection rule applies),
//! `discover` (which workflow files the forge reads), `workflow`/`triggers`/`matrix`/`expr`
//! (what each file posts, per `behaviour` of the forge release), `contexts` (the emitted set),
//! `patterns` and `findings` (required ⊆ emitted), `report` (what the user sees).

pub mod behaviour;
pub mod contexts;
pub mod discover;
pub mod expr;
pub mod findings;
pub mod glob;
pub mod hollow;
pub mod matrix;
pub mod patterns;
mod report;
pub mod rules;
pub mod suggest;
pub mod sweep;
pub mod triggers;
pub mod workflow;

use std::collections::HashSet;
use std::path::PathBuf;

use behaviour::Behaviour;
use contexts::Broken;
use rules::BranchProtection;

use crate::error::Error;
use crate::forge::client::Forge;
use crate::forge::http::HttpOptions;
use crate::forge::version::{self, Flavor, Version, identify};
use crate::outcome::Finding;
use crate::report::Report;

/// A protection file larger than this is refused (the API's own answers are capped at the same).
const PROTECTION_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Workflow text read through the contents API in one repository, at most.
const REMOTE_BYTES: usize = 256 * 1024 * 1024;

/// `--flavor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlavorChoice {
    Auto,
    Gitea,
    Forgejo,
}

#[derive(Debug, Clone)]
pub struct Options {
    pub server: Option<String>,
    pub repo: Option<String>,
    pub branch: Option<String>,
    pub root: PathBuf,
    pub workflows: Vec<String>,
    pub flavor: FlavorChoice,
    /// `--forge-version`: a modelled release and the flavor its number implies.
    pub forge_version: Option<(Flavor, Version)>,
    /// The `/version` answer already read (a sweep asks once for all repositories).
    pub server_version: Option<String>,
    pub required: Vec<String>,
    pub protection_file: Option<PathBuf>,
    pub http: HttpOptions,
    /// Read the workflows through the contents API at the branch instead of from `root`
    /// (organisation sweeps have no checkout).
    pub remote: bool,
}

/// The release whose rules applied, and how it was chosen.
#[derive(Debug, Clone)]
struct VersionFact {
    /// The release as given or reported (with its patch level when known).
    version: Version,
    source: String,
    /// The modelled release line whose rules applied.
    rules: Version,
}

/// What the run learned, for the report; filled in as far as the run got.
#[derive(Debug, Default)]
struct Facts {
    repo: Option<String>,
    branch: Option<String>,
    flavor: Option<(Flavor, String)>,
    version: Option<VersionFact>,
    rule: Option<String>,
    required_source: Option<String>,
    required: Vec<String>,
    dirs: Vec<String>,
    files: usize,
    /// The workflows were read (the run got that far).
    workflows_read: bool,
    /// The checkout is a repository without any workflow folder.
    no_workflows: bool,
    analysis: contexts::Analysis,
    /// The required patterns as prepared for matching, shared by findings and report.
    set: Option<patterns::RequiredSet>,
    requests: usize,
}

/// Runs the check. Errors become findings, so the report is always complete.
pub async fn run(o: &Options) -> Report {
    match online_forge(o) {
        Ok(forge) => run_on(o, forge.as_ref()).await,
        Err(e) => {
            let facts = Facts {
                repo: o.repo.clone(),
                ..Facts::default()
            };
            report::build(facts, vec![e.into_finding("required-checks")])
        }
    }
}

/// Runs the check with a given client (a sweep shares one between repositories).
pub async fn run_on(o: &Options, forge: Option<&Forge>) -> Report {
    let mut facts = Facts {
        repo: o.repo.clone(),
        ..Facts::default()
    };
    let mut findings = Vec::new();
    let before = forge.map_or(0, |f| f.http().sent().len());
    if let Err(e) = check(o, forge, &mut facts, &mut findings).await {
        let subject = facts
            .repo
            .clone()
            .unwrap_or_else(|| "required-checks".into());
        findings.push(e.into_finding(subject));
    }
    if let Some(f) = forge {
        // A sweep shares the client between repositories checked at once: count this one's.
        let own = facts.repo.as_deref().map(|r| format!("/api/v1/repos/{r}"));
        facts.requests = f
            .http()
            .sent()
            .iter()
            .skip(before)
            .filter(|s| match &own {
                Some(p) => {
                    !s.url.contains("/api/v1/repos/")
                        || s.url.contains(&format!("{p}/"))
                        || s.url.ends_with(p.as_str())
                }
                None => true,
            })
            .count();
    }
    report::build(facts, findings)
}

/// The API client, or `None` offline (`--required`/`--protection-file`: no server at all).
fn online_forge(o: &Options) -> Result<Option<Forge>, Error> {
    if !o.required.is_empty() || o.protection_file.is_some() {
        return Ok(None);
    }
    let server = o.server.as_deref().ok_or_else(|| {
        Error::Usage(
            "no server: pass --server (default GITHUB_SERVER_URL) and --repo, or give the required contexts offline with --required or --protection-file".into(),
        )
    })?;
    let repo = o.repo.as_deref().ok_or_else(|| {
        Error::Usage("no repository: pass --repo OWNER/NAME (default GITHUB_REPOSITORY)".into())
    })?;
    validate_repo(repo)?;
    if o.http.token.is_none() {
        return Err(Error::Usage(format!(
            "no token: reading what the branch requires needs a token that can read the repository (in a workflow the job token: action input token, default ${{{{ github.token }}}}) in one of {} (or the variable named by --token-env)",
            crate::forge::http::TOKEN_CHAIN.join(", ")
        )));
    }
    Forge::new(server, o.http.clone()).map(Some)
}

fn validate_repo(repo: &str) -> Result<(), Error> {
    let ok = repo.split('/').count() == 2
        && repo.split('/').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        });
    if ok {
        Ok(())
    } else {
        Err(Error::Usage(format!("--repo {repo:?} is not OWNER/NAME")))
    }
}

async fn check(
    o: &Options,
    forge: Option<&Forge>,
    facts: &mut Facts,
    findings: &mut Vec<Finding>,
) -> Result<(), Error> {
    if !o.remote && !o.root.is_dir() {
        return Err(Error::Usage(format!(
            "--root {} does not exist or is not a folder",
            o.root.display()
        )));
    }
    let b = flavor_and_version(o, forge, facts, findings).await?;
    let flavor = b.flavor;

    facts.branch = match (&o.branch, forge, &facts.repo) {
        (Some(b), _, _) => Some(b.clone()),
        (None, Some(f), Some(repo)) => Some(f.default_branch(repo).await?),
        _ => None,
    };

    let required: Vec<String> = match (&o.protection_file, forge, facts.repo.clone()) {
        _ if !o.required.is_empty() => {
            facts.required_source = Some("--required".into());
            o.required.clone()
        }
        (Some(path), _, _) => {
            let text = crate::fsread::read_text(path, PROTECTION_FILE_BYTES, true)
                .map_err(|e| Error::Usage(format!("the protection file {} {e}", path.display())))?;
            let rules = rules::parse_rules(&text)
                .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
            facts.required_source = Some(format!("--protection-file {}", path.display()));
            pick_rule(&rules, facts, findings)?.unwrap_or_default()
        }
        (None, Some(f), Some(repo)) => online_required(f, &repo, facts, findings)
            .await?
            .unwrap_or_default(),
        _ => {
            facts.required_source = Some("--required".into());
            Vec::new()
        }
    };
    facts.required = required.clone();

    let (files, unreadable) = match (o.remote, forge, facts.repo.clone(), facts.branch.clone()) {
        (true, Some(f), Some(repo), Some(branch)) => {
            remote_workflow_files(f, &repo, &branch, o, flavor, facts).await?
        }
        _ => {
            let read = workflow_files(o, flavor, facts)?;
            if facts.dirs.is_empty() {
                no_workflow_folder(o, forge, flavor, facts).await?;
            }
            read
        }
    };
    facts.workflows_read = true;
    facts.files = files.len();
    let mut analysis = contexts::analyse(&files, &b, facts.branch.as_deref());
    // The texts are not needed past this point.
    drop(files);
    analysis
        .broken
        .extend(unreadable.into_iter().map(|u| Broken {
            file: u.path,
            line: None,
            reason: u.reason,
        }));
    let branch = facts
        .branch
        .clone()
        .unwrap_or_else(|| "the protected branch".into());
    // With nothing required there is nothing to prove: the notice from `pick_rule` says why.
    if !required.is_empty() {
        match patterns::RequiredSet::new(&required) {
            Ok(set) => {
                findings::evaluate_into(&set, &analysis, &branch, &b, findings);
                facts.set = Some(set);
            }
            Err(cap) => findings.push(Finding::unverified(
                "unverifiable",
                "required contexts",
                format!("{cap}; nothing was checked"),
            )),
        }
    }
    facts.analysis = analysis;
    Ok(())
}

/// What the forge requires of the branch, read as the forge computes it: the branch endpoint
/// answers with the status checks of the rule the forge applies (`GetFirstMatchProtectedBranchRule`),
/// for any reader, so the job token is enough and no rule selection of ours can be wrong. Only
/// the rule's name needs more: admins get it in the same answer; otherwise the rule list names it
/// when the token may read it (a 401/403/404 there is the usual case and falls back silently).
async fn online_required(
    f: &Forge,
    repo: &str,
    facts: &mut Facts,
    findings: &mut Vec<Finding>,
) -> Result<Option<Vec<String>>, Error> {
    let branch = facts
        .branch
        .clone()
        .ok_or_else(|| Error::Usage("--branch is needed to read what the forge requires".into()))?;
    let what = format!("GET /api/v1/repos/{repo}/branches/{branch}");
    let status = match f.branch(repo, &branch).await {
        Err(Error::Unreachable(m)) if m.contains("HTTP 404") => {
            return Err(Error::Unreachable(format!(
                "{m} (the branch {branch:?} does not exist in {repo}, or the token cannot see the repository)"
            )));
        }
        other => rules::BranchStatus::from_value(other?)
            .map_err(|e| Error::Unreachable(format!("{what}: {e}")))?,
    };
    facts.required_source = Some(format!("the forge's rule for the branch ({what})"));
    if !status.protected {
        findings.push(Finding::notice(
            "no-rule",
            branch.clone(),
            format!("no branch protection rule applies to {branch}: nothing is required"),
        ));
        return Ok(None);
    }
    let name = if status.effective_branch_protection_name.is_empty() {
        rule_name_from_list(f, repo, &branch, &status, findings).await
    } else {
        Some(status.effective_branch_protection_name.clone())
    };
    facts.rule = Some(name.clone().unwrap_or_else(|| UNNAMED_RULE.into()));
    let subject = name.unwrap_or_else(|| branch.clone());
    Ok(required_of(
        &subject,
        status.enable_status_check,
        status.status_check_contexts,
        findings,
    ))
}

/// What the report calls a rule whose name only admins may read.
const UNNAMED_RULE: &str = "(the rule's name is shown to repository admins only)";

/// The rule's name from the rule list, when the token may read it and the rule driftgate picks
/// from it requires what the forge said; `None` otherwise. Naming is not verification: no
/// failure here changes the result, and only a failure other than "may not read" is mentioned.
async fn rule_name_from_list(
    f: &Forge,
    repo: &str,
    branch: &str,
    status: &rules::BranchStatus,
    findings: &mut Vec<Finding>,
) -> Option<String> {
    let rules = match f.branch_protections(repo).await {
        Ok(v) => rules::rules_from_value(v).ok()?,
        Err(Error::Auth(_)) => return None,
        Err(Error::Unreachable(m)) if m.contains("HTTP 404") => return None,
        Err(e) => {
            findings.push(Finding::notice(
                "rule-name",
                branch,
                format!("the rule's name could not be read: {e}"),
            ));
            return None;
        }
    };
    let rule = rules::select(&rules, branch)?;
    let same = rule.enable_status_check == status.enable_status_check
        && rule.status_check_contexts.clone().unwrap_or_default()
            == status.status_check_contexts.clone().unwrap_or_default();
    if !same {
        findings.push(Finding::notice(
            "rule-name",
            branch,
            format!(
                "the rule list's rule {:?} requires other contexts than the forge applies to {branch}; the forge's are checked",
                rule.name()
            ),
        ));
        return None;
    }
    Some(rule.name().to_string())
}

/// The contexts a rule requires, or `None` with a notice saying why nothing is required.
fn required_of(
    rule: &str,
    enable_status_check: bool,
    contexts: Option<Vec<String>>,
    findings: &mut Vec<Finding>,
) -> Option<Vec<String>> {
    if !enable_status_check {
        findings.push(Finding::notice(
            "status-checks-disabled",
            rule,
            format!("the rule {rule:?} does not require status checks"),
        ));
        return None;
    }
    let contexts = contexts.unwrap_or_default();
    if contexts.is_empty() {
        findings.push(Finding::notice(
            "empty-required",
            rule,
            format!(
                "the rule {rule:?} enables status checks with an empty list: the forge then requires every posted status to pass, and no context can be missing"
            ),
        ));
        return None;
    }
    Some(contexts)
}

/// The rule for the branch, with notices for "no rule", "status checks off", "empty list".
/// `Ok(None)` when nothing is required.
fn pick_rule(
    rules: &[BranchProtection],
    facts: &mut Facts,
    findings: &mut Vec<Finding>,
) -> Result<Option<Vec<String>>, Error> {
    let branch = match &facts.branch {
        Some(b) => b.clone(),
        None if rules.len() == 1 && !rules[0].name().contains(['*', '?', '[', '{']) => {
            let b = rules[0].name().to_string();
            facts.branch = Some(b.clone());
            b
        }
        None => {
            return Err(Error::Usage(format!(
                "--branch is needed to choose among {} protection rules",
                rules.len()
            )));
        }
    };
    let Some(rule) = rules::select(rules, &branch) else {
        findings.push(Finding::notice(
            "no-rule",
            branch.clone(),
            format!("no branch protection rule applies to {branch}: nothing is required"),
        ));
        return Ok(None);
    };
    facts.rule = Some(rule.name().to_string());
    Ok(required_of(
        rule.name(),
        rule.enable_status_check,
        rule.status_check_contexts.clone(),
        findings,
    ))
}

/// Whose rules apply: `--forge-version` (whose number implies the flavor), `--flavor`, what the
/// server reports, or offline the workflow folders; and which release's rules, with a notice
/// when the server runs a release newer than any driftgate models.
async fn flavor_and_version(
    o: &Options,
    forge: Option<&Forge>,
    facts: &mut Facts,
    findings: &mut Vec<Finding>,
) -> Result<Behaviour, Error> {
    let asked = match (&o.server_version, forge, o.forge_version, o.flavor) {
        (Some(raw), _, None, _) => Some(raw.clone()),
        (None, Some(f), None, FlavorChoice::Auto) => Some(f.version().await?.2),
        // With a flavor given, the release still matters, but an unreadable /version does not
        // stop the check: the newest release's rules apply.
        (None, Some(f), None, _) => f.version().await.ok().map(|v| v.2),
        _ => None,
    };
    let server = match &asked {
        Some(raw) => match identify(raw) {
            Ok((fl, v)) => Some((fl, v, raw.clone())),
            Err(e) if o.flavor == FlavorChoice::Auto => return Err(Error::Unreachable(e)),
            Err(_) => None,
        },
        None => None,
    };
    let chosen = match o.flavor {
        FlavorChoice::Gitea => Some(Flavor::Gitea),
        FlavorChoice::Forgejo => Some(Flavor::Forgejo),
        FlavorChoice::Auto => None,
    };
    let flavor = match (o.forge_version, chosen, &server) {
        (Some((fl, v)), Some(c), _) if fl != c => {
            return Err(Error::Usage(format!(
                "--flavor {c} does not go with --forge-version {v}, a {} release",
                fl.title()
            )));
        }
        (Some((fl, v)), _, _) => (fl, format!("--forge-version {v}")),
        (None, Some(c), _) => (c, "--flavor".to_string()),
        (None, None, Some((fl, _, raw))) => (*fl, format!("server reports {raw}")),
        (None, None, None) => {
            if crate::fsread::is_real_dir(&o.root, ".forgejo/workflows") {
                (
                    Flavor::Forgejo,
                    "offline: .forgejo/workflows exists".to_string(),
                )
            } else {
                (Flavor::Gitea, "offline: no .forgejo/workflows".to_string())
            }
        }
    };
    let (version, source) = match (o.forge_version, &server) {
        (Some((_, v)), _) => (v, "--forge-version".to_string()),
        (None, Some((fl, v, raw))) if *fl == flavor.0 => (*v, format!("server reports {raw}")),
        _ => (
            version::newest(flavor.0),
            "newest release driftgate models".to_string(),
        ),
    };
    let rules = if version::is_modelled(flavor.0, version) {
        version
    } else if version > version::newest(flavor.0) {
        let newest = version::newest(flavor.0);
        findings.push(Finding::notice(
            "unmodelled-release",
            format!("{} {version}", flavor.0.title()),
            format!(
                "the server runs {} {version}, newer than any release driftgate models ({}); the rules of {} {newest} apply, and contexts that release names differently may be misjudged",
                flavor.0.title(),
                version::modelled(),
                flavor.0.title()
            ),
        ));
        newest
    } else {
        return Err(Error::Usage(format!(
            "the server runs {} {version}, older than the releases driftgate models ({}); pass --forge-version to choose the rules to apply",
            flavor.0.title(),
            version::modelled()
        )));
    };
    let b = Behaviour::new(flavor.0, rules);
    facts.flavor = Some(flavor);
    facts.version = Some(VersionFact {
        version,
        source,
        rules: rules.line(),
    });
    Ok(b)
}

/// The workflow files the forge reads, through the contents API at the branch: the first
/// candidate folder that exists, subfolders included, every `*.yml`/`*.yaml` entry (a symbolic
/// link as its target text, as the forge reads it). The server's answers are not trusted to be
/// a tree: folders already listed are not listed again, and depth, folders, files and bytes are
/// capped; what a cap leaves unread makes the run partial.
async fn remote_workflow_files(
    forge: &Forge,
    repo: &str,
    branch: &str,
    o: &Options,
    flavor: Flavor,
    facts: &mut Facts,
) -> Result<(Vec<workflow::WorkflowFile>, Vec<discover::Unreadable>), Error> {
    let candidates = workflow_dirs(o, flavor);
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    let mut bytes = 0usize;
    for dir in candidates {
        let dir = dir.trim_end_matches('/').to_string();
        let Some(top) = forge.contents_dir(repo, &dir, branch).await? else {
            continue;
        };
        let mut visited: HashSet<String> = HashSet::from([dir.clone()]);
        let mut pending = vec![(top, 0usize)];
        let mut entries = 0usize;
        let prefix = format!("{dir}/");
        'walk: while let Some((listing, depth)) = pending.pop() {
            for e in listing {
                entries += 1;
                let stop = if entries > discover::MAX_ENTRIES
                    || files.len() >= discover::MAX_WORKFLOW_FILES
                {
                    Some(format!(
                        "the workflow folder holds more than {} workflow files or {} entries (driftgate's cap); the rest were not read",
                        discover::MAX_WORKFLOW_FILES,
                        discover::MAX_ENTRIES
                    ))
                } else if bytes > REMOTE_BYTES {
                    Some(format!(
                        "the workflow files add up to more than {REMOTE_BYTES} bytes (driftgate's cap); the rest were not read"
                    ))
                } else {
                    None
                };
                if let Some(reason) = stop {
                    unreadable.push(discover::Unreadable {
                        path: dir.clone(),
                        reason,
                    });
                    break 'walk;
                }
                // An entry outside the folder listed is not part of it, whatever the server says.
                if !e.path.starts_with(&prefix)
                    || e.path.split('/').any(|p| p == ".." || p.is_empty())
                {
                    unreadable.push(discover::Unreadable {
                        path: e.path.clone(),
                        reason: format!("the server lists it inside {dir}, where it cannot be"),
                    });
                    continue;
                }
                match e.kind.as_str() {
                    "dir" => {
                        if depth >= discover::MAX_DEPTH {
                            unreadable.push(discover::Unreadable {
                                path: e.path.clone(),
                                reason: format!(
                                    "nested deeper than {} folders (driftgate's cap); not read",
                                    discover::MAX_DEPTH
                                ),
                            });
                        } else if visited.insert(e.path.clone())
                            && let Some(sub) = forge.contents_dir(repo, &e.path, branch).await?
                        {
                            pending.push((sub, depth + 1));
                        }
                    }
                    "file" | "symlink" if discover::is_workflow_name(&e.name) => {
                        let text = forge.file_text(repo, &e.path, branch).await?;
                        bytes = bytes.saturating_add(text.len());
                        if text.len() > crate::yaml::MAX_FILE_BYTES {
                            unreadable.push(discover::Unreadable {
                                path: e.path.clone(),
                                reason: format!(
                                    "{} bytes, over the {} byte limit",
                                    text.len(),
                                    crate::yaml::MAX_FILE_BYTES
                                ),
                            });
                            continue;
                        }
                        let entry = e.path[prefix.len()..].to_string();
                        files.push(workflow::WorkflowFile {
                            path: e.path,
                            entry,
                            text,
                        });
                    }
                    _ => {}
                }
            }
        }
        facts.dirs.push(dir);
        // Explicit folders are all read; otherwise the forge reads only the first that exists.
        if o.workflows.is_empty() {
            break;
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    // A folder listed twice by a lying server would give the same file twice.
    files.dedup_by(|a, b| a.path == b.path);
    Ok((files, unreadable))
}

/// The checkout has no workflow folder: without a checkout at all (no `.git`), or when the branch
/// has one the checkout lacks, the gate cannot see the workflows and says so instead of calling
/// every required context an orphan. A real repository without workflows goes on: its orphans are
/// real.
async fn no_workflow_folder(
    o: &Options,
    forge: Option<&Forge>,
    flavor: Flavor,
    facts: &mut Facts,
) -> Result<(), Error> {
    let root = o.root.display();
    if std::fs::symlink_metadata(o.root.join(".git")).is_err() {
        return Err(Error::Usage(format!(
            "no checkout at {root}: it has no workflow folder and is not a git checkout; run actions/checkout before driftgate (or point --root at the checkout)"
        )));
    }
    if let (Some(f), Some(repo), Some(branch)) = (forge, &facts.repo, &facts.branch) {
        let candidates = workflow_dirs(o, flavor);
        for dir in candidates {
            if f.contents_dir(repo, &dir, branch).await?.is_some() {
                return Err(Error::Usage(format!(
                    "the checkout at {root} has no {dir}, but {repo} has it on {branch}: run actions/checkout before driftgate (or point --root at the checkout)"
                )));
            }
        }
    }
    facts.no_workflows = true;
    Ok(())
}

fn workflow_files(
    o: &Options,
    flavor: Flavor,
    facts: &mut Facts,
) -> Result<(Vec<workflow::WorkflowFile>, Vec<discover::Unreadable>), Error> {
    let dirs: Vec<String> = if o.workflows.is_empty() {
        discover::forge_dir(&o.root, flavor).into_iter().collect()
    } else {
        o.workflows.clone()
    };
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for d in &dirs {
        let (f, u) = discover::read_dir(&o.root, d)?;
        files.extend(f);
        unreadable.extend(u);
    }
    facts.dirs = dirs;
    Ok((files, unreadable))
}

/// The workflow folders to look in: `--workflows`, else the flavor's own candidates.
fn workflow_dirs(o: &Options, flavor: Flavor) -> Vec<String> {
    if o.workflows.is_empty() {
        discover::candidate_dirs(flavor)
            .iter()
            .map(|d| d.to_string())
            .collect()
    } else {
        o.workflows.clone()
    }
}
