//! Many repositories in one run: `--repos` or every repository of `--owner` (archived ones
//! skipped), workflows read through the contents API at each protected branch, at most
//! `--concurrency` repositories at a time, one report over all of them.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::task::JoinSet;

use super::{FlavorChoice, Options, run_on};
use crate::error::Error;
use crate::forge::client::Forge;
use crate::outcome::{Finding, verdict_of};
use crate::report::{Report, Section};

#[derive(Debug, Clone)]
pub struct Sweep {
    /// Server, token, flavor and version, and per-repository overrides (`--branch`,
    /// `--workflows`) shared by every repository.
    pub base: Options,
    pub repos: Vec<String>,
    pub owner: Option<String>,
    pub concurrency: usize,
    /// Globs on `OWNER/NAME` (`--exclude`, the config's `sweep.exclude`): never checked.
    pub exclude: Vec<String>,
}

/// One repository's own report, and its name.
pub struct RepoResult {
    pub repo: String,
    pub report: Report,
}

pub async fn run(s: &Sweep) -> (Report, Vec<RepoResult>) {
    match prepare(s).await {
        Ok((forge, base, repos)) => {
            let results = check_all(forge, base, repos, s.concurrency.max(1)).await;
            (combine(&results, s), results)
        }
        Err(e) => {
            let mut r = Report::new("required-checks");
            r.findings
                .push(e.into_finding(s.owner.clone().unwrap_or_else(|| "sweep".into())));
            (r, Vec::new())
        }
    }
}

/// The client, the options every repository shares (flavor and release asked once), and the
/// repositories to check.
async fn prepare(s: &Sweep) -> Result<(Arc<Forge>, Options, Vec<String>), Error> {
    let server = s.base.server.as_deref().ok_or_else(|| {
        Error::Usage("a sweep needs the forge: pass --server (default GITHUB_SERVER_URL)".into())
    })?;
    if s.base.http.token.is_none() {
        return Err(Error::Usage(format!(
            "no token: a sweep reads each repository and the rule of its branch, which needs a token that can read them in one of {}",
            crate::forge::http::TOKEN_CHAIN.join(", ")
        )));
    }
    let forge = Forge::new(server, s.base.http.clone())?;
    let mut base = s.base.clone();
    base.remote = true;
    base.required.clear();
    base.protection_file = None;
    // The forge's release is asked once for the whole sweep; each repository's report says
    // where flavor and version came from.
    if base.forge_version.is_none() {
        let asked = match base.flavor {
            FlavorChoice::Auto => Some(forge.version().await?.2),
            _ => forge.version().await.ok().map(|v| v.2),
        };
        base.server_version = asked;
    }
    let repos = match &s.owner {
        Some(owner) => forge
            .repos_of(owner)
            .await?
            .into_iter()
            .filter(|r| !r.archived)
            .map(|r| r.full_name)
            .collect(),
        None => s.repos.clone(),
    };
    let excluded = s
        .exclude
        .iter()
        .map(|p| {
            glob::Pattern::new(p)
                .map_err(|e| Error::Usage(format!("--exclude {p:?} is not a glob: {e}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let repos: Vec<String> = repos
        .into_iter()
        .filter(|r: &String| !excluded.iter().any(|p| p.matches(r)))
        .collect();
    if repos.is_empty() {
        return Err(Error::Usage("nothing to sweep: --repos is empty, --owner has no repositories that are not archived, or --exclude leaves none".into()));
    }
    Ok((Arc::new(forge), base, repos))
}

async fn check_all(
    forge: Arc<Forge>,
    base: Options,
    repos: Vec<String>,
    concurrency: usize,
) -> Vec<RepoResult> {
    let mut pending = repos.into_iter().enumerate();
    let mut running = JoinSet::new();
    let mut done: Vec<(usize, RepoResult)> = Vec::new();
    // Which task checks which repository, so that a task that fails is still reported.
    let mut tasks: HashMap<tokio::task::Id, (usize, String)> = HashMap::new();
    let spawn = |set: &mut JoinSet<(usize, RepoResult)>, i: usize, repo: String| {
        let forge = forge.clone();
        let mut o = base.clone();
        o.repo = Some(repo.clone());
        set.spawn(async move {
            let mut report = run_on(&o, Some(&forge)).await;
            own_waivers(&forge, &repo, &mut report).await;
            (i, RepoResult { repo, report })
        })
        .id()
    };
    for (i, repo) in pending.by_ref().take(concurrency) {
        tasks.insert(spawn(&mut running, i, repo.clone()), (i, repo));
    }
    while let Some(joined) = running.join_next_with_id().await {
        match joined {
            Ok((_, r)) => done.push(r),
            Err(e) => {
                if let Some((i, repo)) = tasks.get(&e.id()).cloned() {
                    let mut report = Report::new("required-checks");
                    report.findings.push(Finding::unverified(
                        "unverifiable",
                        repo.clone(),
                        format!("the check of this repository stopped unexpectedly ({e}); nothing about it is proven"),
                    ));
                    done.push((i, RepoResult { repo, report }));
                }
            }
        }
        if let Some((i, repo)) = pending.next() {
            tasks.insert(spawn(&mut running, i, repo.clone()), (i, repo));
        }
    }
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

fn combine(results: &[RepoResult], s: &Sweep) -> Report {
    let mut r = Report::new("required-checks");
    let mut rows = Vec::new();
    let mut repos = Vec::new();
    for res in results {
        let verdict = res.report.verdict();
        for f in &res.report.findings {
            let mut f: Finding = f.clone();
            // A finding about the repository itself already names it.
            if *f.subject != *res.repo {
                f.subject = format!("{}: {}", res.repo, f.subject).into();
            }
            r.findings.push(f);
        }
        let t = &res.report.target;
        let shown = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        rows.push(vec![
            res.repo.clone(),
            verdict.as_str().into(),
            verdict.exit_code().to_string(),
            res.report.finding_count().to_string(),
            shown(&t.branch),
            shown(&t.rule),
        ]);
        let mut detail = serde_json::Map::new();
        detail.insert("repository".into(), json!(res.repo));
        detail.insert("result".into(), json!(verdict.as_str()));
        detail.insert("exit_code".into(), json!(verdict.exit_code()));
        detail.insert(
            "findings".into(),
            serde_json::to_value(&res.report.findings).unwrap_or(Value::Null),
        );
        for key in [
            "branch",
            "rule",
            "flavor",
            "forge_version",
            "required",
            "emitted",
            "requests",
        ] {
            if let Some(v) = res.report.details.get(key) {
                detail.insert(key.into(), v);
            }
        }
        repos.push(Value::Object(detail));
    }
    let verdict = verdict_of(&r.findings);
    r.facts.push((
        "swept".into(),
        match &s.owner {
            Some(o) => format!("{} repositories of {o} (archived skipped)", results.len()),
            None => format!("{} repositories", results.len()),
        },
    ));
    r.facts.push((
        "result over all".into(),
        format!("{} (exit {})", verdict.as_str(), verdict.exit_code()),
    ));
    r.sections.push(Section::new(
        "Repositories",
        &["repository", "result", "exit", "findings", "branch", "rule"],
        rows,
    ));
    r.details.insert("owner", json!(s.owner));
    r.details.insert("repositories", Value::Array(repos));
    r
}

/// A swept repository's own `.driftgate.yml` (through the contents API, at the branch checked):
/// its waivers apply to its report. A file that is not there is nothing; one that cannot be
/// read or parsed is a warning on that repository (its findings then count, as they would
/// without the file: never a clean result by mistake).
async fn own_waivers(forge: &Forge, repo: &str, report: &mut Report) {
    // A repository that refused or could not be read is not asked again.
    if matches!(
        verdict_of(&report.findings),
        crate::outcome::Verdict::Auth
            | crate::outcome::Verdict::Unreachable
            | crate::outcome::Verdict::Usage
    ) {
        return;
    }
    let Some(branch) = report.target.branch.clone() else {
        return;
    };
    // The row's request count includes this read.
    if let Some(n) = report.details.get("requests").and_then(|v| v.as_u64()) {
        report.details.insert("requests", json!(n + 1));
    }
    let text = match forge
        .file_text(repo, crate::config::FILE_NAME, &branch)
        .await
    {
        Ok(t) => t,
        Err(Error::Unreachable(m)) if m.contains("HTTP 404") => return,
        Err(e) => {
            report.findings.push(Finding::warning(
                "config",
                repo,
                format!(
                    "{} could not be read, so its waivers do not apply: {e}",
                    crate::config::FILE_NAME
                ),
            ));
            return;
        }
    };
    match crate::config::Config::parse(&text) {
        Ok(c) => crate::waivers::apply(report, &c.ignore, crate::config::today()),
        Err(e) => report.findings.push(Finding::warning(
            "config",
            repo,
            format!(
                "{} is not valid, so its waivers do not apply: {e}",
                crate::config::FILE_NAME
            ),
        )),
    }
}
