//! The contexts a repository's workflows post: `"<workflow> / <job> (<event>)"`, trimmed, for
//! every job, matrix leg, called job and status-posting trigger, as the given forge release
//! names them (`services/actions/commit_status.go` `createCommitStatus`).
//!
//! Per workflow file, the jobs are named in the order the forge's parser produces them — jobs
//! in file order, each job's legs sorted by their suffix, then (Forgejo ≥ 15) the jobs of
//! expanded reusable workflows — because Forgejo ≥ 13 (and 11.0.4, 12.0.2) renames repeated
//! names in that order (`build`, `build-1`, …). Names are cut to 255 bytes after that.

use foldhash::{HashMap, HashMapExt};
use std::cell::RefCell;
use std::hash::BuildHasher;
use std::rc::Rc;
use std::sync::Arc;

use super::behaviour::{Behaviour, MatrixNaming, Reusable, WorkflowName};
use super::expr::{self, Env, glob_escape};
use super::matrix::{self, Leg, MatrixError};
use super::patterns::RequiredPattern;
use super::triggers::{Condition, Posting, triggers};
use super::workflow::{self, Job, Workflow, WorkflowFile};

/// Both forges store the job name in a 255-byte column and cut longer names.
const JOB_NAME_BYTES: usize = 255;
/// Contexts (emitted, unresolved or silent) one workflow file may account for, at most.
pub const MAX_CONTEXTS_PER_FILE: usize = 100_000;
/// Contexts all workflow files together may account for, at most.
pub const MAX_CONTEXTS: usize = 1_000_000;

/// A context some job posts on pull requests into the branch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Emitter {
    /// Shared with the `extra` notice of a context nothing requires.
    pub context: Arc<str>,
    /// One text per workflow file, shared by its emitters and their notices.
    pub file: Arc<str>,
    pub line: usize,
    pub job: String,
    pub event: &'static str,
    /// Why it may not be posted (empty: posted on every pull request commit).
    pub conditions: Vec<Condition>,
    /// How many matrix legs (or called-job instances) of this job post this very context; more
    /// than one means the last to finish decides it.
    #[serde(skip)]
    pub legs: usize,
}

impl Emitter {
    pub fn condition_texts(&self) -> Vec<String> {
        self.conditions.iter().map(|c| c.text.to_string()).collect()
    }
}

/// A job whose context cannot be computed without running the workflow, or that is over one of
/// driftgate's caps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Unresolved {
    /// A glob for every context it could post.
    pub template: String,
    pub file: String,
    pub line: usize,
    pub job: String,
    pub reason: String,
    /// Over a cap (the reason names it): unverifiable whatever is required.
    #[serde(skip)]
    pub capped: bool,
}

/// A workflow file the forge cannot run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    pub file: String,
    pub line: Option<usize>,
    pub reason: String,
}

/// A context a workflow names but never posts on pull requests into this branch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Silent {
    pub context: String,
    pub file: String,
    pub job: String,
    pub reason: String,
}

/// What the hollow-gate rules need to know of a job (issue 11): its needs, its `if:`, whether it
/// reads the needed jobs' results, steps that may fail without failing it, and its contexts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFacts {
    pub file: String,
    pub id: String,
    pub line: usize,
    /// `needs:` as written (job ids of the same workflow).
    pub needs: Vec<String>,
    /// The `if:` text, if any.
    pub if_text: Option<String>,
    /// Whether its `if:` or any step reads `needs.<id>.result`, `needs.*.result`,
    /// `contains(needs…)` or `toJSON(needs)`.
    pub reads_needs_results: bool,
    /// `run` steps with `continue-on-error` (true or an expression): the job succeeds when they
    /// fail.
    pub lenient_steps: Vec<String>,
    /// Job-level `continue-on-error` (true or an expression).
    pub continue_on_error: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub emitters: Vec<Emitter>,
    pub unresolved: Vec<Unresolved>,
    pub broken: Vec<Broken>,
    pub silent: Vec<Silent>,
    pub jobs: Vec<JobFacts>,
}

/// Builds the context string as the forge does (`fmt.Sprintf`, then trimmed on storage).
pub fn context(workflow: &str, job: &str, event: &str) -> String {
    let mut s = String::with_capacity(workflow.len() + job.len() + event.len() + 5);
    context_into(&mut s, workflow, job, event);
    s
}

/// [`context`], into `s` (cleared first).
fn context_into(s: &mut String, workflow: &str, job: &str, event: &str) {
    s.clear();
    s.push_str(workflow);
    s.push_str(" / ");
    s.push_str(job);
    s.push_str(" (");
    s.push_str(event);
    s.push(')');
    // Go's `strings.TrimSpace`; the end is `)`, so only the start can need it.
    if let Some(n) = s.find(|c: char| !c.is_whitespace())
        && n > 0
    {
        s.drain(..n);
    }
}

/// One job name the forge's parser produces, in its order.
#[derive(Debug, Clone)]
struct Named {
    job: String,
    line: usize,
    /// The workflow part of the context (differs for called jobs on Gitea 1.27).
    workflow: String,
    /// The glob for the whole `"<workflow> / "` part when the workflow name itself is unknown
    /// (called workflows in other repositories).
    template_prefix: Option<String>,
    name: Result<String, expr::Unresolved>,
    /// Why this name may not be posted (beyond the trigger's and the job's own `if:`).
    condition: Option<Condition>,
    /// The job's own `if:`.
    job_if: Option<Condition>,
}

/// The names a called workflow's jobs post under, worked out once however many jobs call it:
/// its display name (`name:`) and its jobs' names.
type CalleeNames = Rc<(String, Vec<Result<String, expr::Unresolved>>)>;

/// Why a called workflow's names are not known: the reason, and whether a cap stopped it.
type CalleeError = (String, bool);

/// What one analysis shares between files: the files by path, called workflows' names.
struct Ctx<'a> {
    by_path: HashMap<&'a str, &'a WorkflowFile>,
    callees: RefCell<HashMap<String, Result<CalleeNames, CalleeError>>>,
    b: &'a Behaviour,
    branch: Option<&'a str>,
}

/// Workers that read workflow files at once, at most.
const MAX_WORKERS: usize = 4;
/// Fewer files than this per worker are not worth a thread.
const FILES_PER_WORKER: usize = 16;

pub fn analyse(files: &[WorkflowFile], b: &Behaviour, branch: Option<&str>) -> Analysis {
    let workers = crate::cores::available()
        .min(MAX_WORKERS)
        .min(files.len() / FILES_PER_WORKER);
    analyse_on(files, b, branch, workers)
}

fn analyse_on(
    files: &[WorkflowFile],
    b: &Behaviour,
    branch: Option<&str>,
    workers: usize,
) -> Analysis {
    let ctx = Ctx::new(files, b, branch);
    let mut a = Analysis::default();
    let mut total = 0usize;
    if workers <= 1 {
        for file in files {
            let budget = MAX_CONTEXTS_PER_FILE.min(MAX_CONTEXTS.saturating_sub(total));
            total += one_file(file, &ctx, budget, &mut a);
        }
        return a;
    }
    // Files are parsed and named on every core, each worker with its own called-workflow cache,
    // then merged in file order. Each worker takes the next file not yet taken, so a core that
    // drew small files is not left idle. The global cap is shared as the workers go, so hostile
    // input stops early on every core; the merge then applies it exactly as one pass in file
    // order would, analysing a file again only where the two budgets differ near the cap.
    let spent = std::sync::atomic::AtomicUsize::new(0);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let done: Vec<Vec<(usize, usize, Analysis)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let (spent, next) = (&spent, &next);
                scope.spawn(move || {
                    use std::sync::atomic::Ordering::Relaxed;
                    let ctx = Ctx::new(files, b, branch);
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Relaxed);
                        let Some(file) = files.get(i) else { break };
                        let used = spent.load(Relaxed);
                        let budget = MAX_CONTEXTS_PER_FILE.min(MAX_CONTEXTS.saturating_sub(used));
                        let mut one = Analysis::default();
                        spent.fetch_add(one_file(file, &ctx, budget, &mut one), Relaxed);
                        mine.push((i, budget, one));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    let mut parts: Vec<Option<(usize, Analysis)>> = Vec::new();
    parts.resize_with(files.len(), || None);
    for (i, used, one) in done.into_iter().flatten() {
        if let Some(slot) = parts.get_mut(i) {
            *slot = Some((used, one));
        }
    }
    // Reserved at once: growing by doubling would hold twice the contexts at the peak.
    let size = |f: fn(&Analysis) -> usize| parts.iter().flatten().map(|(_, o)| f(o)).sum();
    a.emitters.reserve_exact(size(|o| o.emitters.len()));
    a.silent.reserve_exact(size(|o| o.silent.len()));
    a.jobs.reserve_exact(size(|o| o.jobs.len()));
    for (file, part) in files.iter().zip(parts) {
        let budget = MAX_CONTEXTS_PER_FILE.min(MAX_CONTEXTS.saturating_sub(total));
        match part {
            Some((used, one)) if used == budget => {
                total += one.emitters.len() + one.unresolved.len() + one.silent.len();
                a.append(one);
            }
            // Near the cap a worker's budget differs from the one pass's: the cut, or the
            // reason given for it, could differ, so the file is analysed again with the exact
            // budget.
            _ => total += one_file(file, &ctx, budget, &mut a),
        }
    }
    a
}

/// Analyses one file into `a`; returns the contexts it added.
fn one_file(file: &WorkflowFile, ctx: &Ctx, budget: usize, a: &mut Analysis) -> usize {
    let before = a.emitters.len() + a.unresolved.len() + a.silent.len();
    if let Err(broken) = analyse_file(file, ctx, budget, a) {
        a.broken.push(broken);
    }
    a.emitters.len() + a.unresolved.len() + a.silent.len() - before
}

impl Analysis {
    fn append(&mut self, mut other: Analysis) {
        self.emitters.append(&mut other.emitters);
        self.unresolved.append(&mut other.unresolved);
        self.broken.append(&mut other.broken);
        self.silent.append(&mut other.silent);
        self.jobs.append(&mut other.jobs);
    }
}

impl<'a> Ctx<'a> {
    fn new(files: &'a [WorkflowFile], b: &'a Behaviour, branch: Option<&'a str>) -> Ctx<'a> {
        Ctx {
            by_path: files.iter().map(|f| (f.path.as_str(), f)).collect(),
            callees: RefCell::new(HashMap::new()),
            b,
            branch,
        }
    }
}

/// The file's contexts are over the budget: one capped entry stands for all of them.
fn over_budget(file: &WorkflowFile, wf_name: &str, budget: usize) -> Unresolved {
    let why = if budget < MAX_CONTEXTS_PER_FILE {
        format!("the workflows together post more than {MAX_CONTEXTS} contexts (driftgate's cap)")
    } else {
        format!("the workflow posts more than {MAX_CONTEXTS_PER_FILE} contexts (driftgate's cap)")
    };
    Unresolved {
        template: format!("{}*", glob_escape(wf_name.trim())),
        file: file.path.clone(),
        line: 1,
        job: "*".into(),
        reason: why,
        capped: true,
    }
}

/// The workflow part of the context for a file's `name:`.
fn workflow_name(wf: &Workflow, file: &WorkflowFile, b: &Behaviour) -> String {
    match b.workflow_name {
        WorkflowName::AsWritten => wf.name.clone(),
        WorkflowName::TrimmedOrFileName => match wf.name.trim() {
            "" => file.base_name().to_string(),
            n => n.to_string(),
        },
    }
}

fn analyse_file(
    file: &WorkflowFile,
    ctx: &Ctx,
    budget: usize,
    a: &mut Analysis,
) -> Result<(), Broken> {
    let b = ctx.b;
    let broken = |line, reason: String| Broken {
        file: file.path.clone(),
        line,
        reason,
    };
    let wf = workflow::parse(&file.text).map_err(|e| broken(e.line, e.message))?;
    let trigs = triggers(&wf.on, ctx.branch, b).map_err(|e| broken(None, e))?;
    let wf_name = workflow_name(&wf, file, b);
    let per_name = trigs.len().max(1);
    let room = budget / per_name;
    // Every job's names first, in the parser's order: an invalid job makes the whole file
    // invalid, and Forgejo's renaming depends on the order.
    let mut list: Vec<Named> = Vec::new();
    let mut deferred: Vec<Named> = Vec::new();
    for job in &wf.jobs {
        match names_of_job(
            job,
            &wf_name,
            file,
            ctx,
            room.saturating_sub(list.len() + deferred.len()),
        ) {
            Ok((own, children)) => {
                list.extend(own);
                deferred.extend(children);
            }
            Err(Naming::Invalid(e)) => return Err(broken(Some(job.line), e)),
            Err(Naming::OverBudget) => {
                a.unresolved.push(over_budget(file, &wf_name, budget));
                return Ok(());
            }
        }
        if list.len() + deferred.len() > room {
            a.unresolved.push(over_budget(file, &wf_name, budget));
            return Ok(());
        }
    }
    list.extend(deferred);
    if b.dedupe_job_names {
        dedupe(&mut list);
    }
    for named in &mut list {
        if let Ok(n) = &named.name {
            named.name = Ok(cut(n, b));
        }
    }
    for job in &wf.jobs {
        a.jobs.push(job_facts(file, job));
    }
    // Legs of one job that post one context are one emitter, counted. This file's emitters are
    // found by the hash of (context, job, event) and compared in full (so jobs sharing a name
    // never share a chain): `heads` holds the latest emitter per hash,
    // `chain` each emitter's predecessor with the same hash (indexes from `first`), so a lookup
    // copies no key.
    let first = a.emitters.len();
    let mut heads: HashMap<u64, usize> = HashMap::new();
    let mut chain: Vec<Option<usize>> = Vec::new();
    // Each context is named in this buffer and copied out only when it is new.
    let mut ctx_text = String::new();
    let path: Arc<str> = file.path.as_str().into();
    let hasher = foldhash::fast::RandomState::default();
    for trig in &trigs {
        for named in &list {
            match (&trig.posting, &named.name) {
                (Posting::Never(reason), Ok(name)) => a.silent.push(Silent {
                    context: context(&named.workflow, name, trig.event),
                    file: file.path.clone(),
                    job: named.job.clone(),
                    reason: reason.clone(),
                }),
                (Posting::Never(_), Err(_)) => {}
                (posting, Ok(name)) => {
                    let mut conditions = match posting {
                        Posting::Conditional(c) => c.clone(),
                        _ => Vec::new(),
                    };
                    conditions.extend(named.job_if.clone());
                    conditions.extend(named.condition.clone());
                    context_into(&mut ctx_text, &named.workflow, name, trig.event);
                    let ctx = ctx_text.as_str();
                    let hash = hasher.hash_one((ctx, &named.job, trig.event));
                    let mut at = heads.get(&hash).copied();
                    let earlier = loop {
                        let Some(i) = at else { break None };
                        match a.emitters.get(first + i) {
                            Some(e)
                                if *e.context == *ctx
                                    && e.job == named.job
                                    && e.event == trig.event =>
                            {
                                break Some(first + i);
                            }
                            _ => at = chain.get(i).copied().flatten(),
                        }
                    };
                    match earlier {
                        Some(i) => {
                            if let Some(e) = a.emitters.get_mut(i) {
                                e.legs += 1;
                            }
                        }
                        None => {
                            chain.push(heads.insert(hash, a.emitters.len() - first));
                            a.emitters.push(Emitter {
                                context: ctx.into(),
                                file: Arc::clone(&path),
                                line: named.line,
                                job: named.job.clone(),
                                event: trig.event,
                                conditions,
                                legs: 1,
                            });
                        }
                    }
                }
                (_, Err(u)) => a.unresolved.push(Unresolved {
                    template: match &named.template_prefix {
                        Some(prefix) => format!("{prefix}{} ({})", u.template, trig.event),
                        None => context(&glob_escape(&named.workflow), &u.template, trig.event),
                    },
                    file: file.path.clone(),
                    line: named.line,
                    job: named.job.clone(),
                    reason: u.reason.clone(),
                    capped: u.capped,
                }),
            }
        }
    }
    Ok(())
}

/// Forgejo's `JobParser`: the k-th repeat of a name (counted per original name, in parse order)
/// becomes `name-k`. A name known only at run time may equal a later one and shift its number:
/// such later names are unresolved (`name` or `name-…`), and so is its own number.
fn dedupe(list: &mut [Named]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    let mut unknown: Vec<RequiredPattern> = Vec::new();
    for named in list.iter_mut() {
        match &named.name {
            Ok(n) => {
                let earlier_unknown = unknown.iter().any(|t| t.matches(n));
                let c = counts.entry(n.clone()).or_insert(0);
                let renamed = if *c == 0 {
                    n.clone()
                } else {
                    format!("{n}-{c}")
                };
                *c += 1;
                named.name = if earlier_unknown {
                    Err(expr::Unresolved {
                        template: format!("{}{{,-*}}", glob_escape(n)),
                        reason: "a job before it in the workflow has a name known only at run time that may equal this one, and Forgejo then renames this one (`name-1`, …)".into(),
                        capped: false,
                    })
                } else {
                    Ok(renamed)
                };
            }
            Err(u) => {
                // Only a bounded number of run-time names is tracked; past it every later
                // name is uncertain too.
                if unknown.len() < 256 {
                    if let Ok(p) = RequiredPattern::new(&u.template) {
                        unknown.push(p);
                    }
                } else if let Ok(p) = RequiredPattern::new("*") {
                    unknown = vec![p];
                }
                let mut u = u.clone();
                if !u.template.ends_with('*') && !u.template.ends_with("{,-*}") {
                    u.template.push_str("{,-*}");
                }
                named.name = Err(u);
            }
        }
    }
}

/// What the hollow-gate rules need of a job.
fn job_facts(file: &WorkflowFile, job: &Job) -> JobFacts {
    let needs = match job.get("needs") {
        Some(n) if n.scalar().is_some() => {
            n.text().map(|t| vec![t.to_string()]).unwrap_or_default()
        }
        Some(n) => n
            .seq()
            .unwrap_or_default()
            .iter()
            .filter_map(|i| i.text().map(str::to_string))
            .collect(),
        None => Vec::new(),
    };
    let if_text = job.text("if").map(|t| t.trim().to_string());
    let mut texts: Vec<&str> = Vec::new();
    if let Some(i) = &if_text {
        texts.push(i);
    }
    let mut lenient_steps = Vec::new();
    if let Some(steps) = job.get("steps").and_then(|s| s.seq()) {
        for (n, step) in steps.iter().enumerate() {
            scalars(step, &mut texts);
            let lenient = step
                .field("continue-on-error")
                .is_some_and(truthy_or_expression);
            if lenient && step.field("run").is_some() {
                let name = step
                    .field("name")
                    .and_then(|s| s.text())
                    .map(|s| format!("`{s}`"))
                    .unwrap_or_else(|| format!("{}", n + 1));
                lenient_steps.push(name);
            }
        }
    }
    let reads_needs_results = texts.iter().any(|t| reads_needs_results(t));
    JobFacts {
        file: file.path.clone(),
        id: job.id.clone(),
        line: job.line,
        needs,
        if_text,
        reads_needs_results,
        lenient_steps,
        continue_on_error: job
            .get("continue-on-error")
            .is_some_and(truthy_or_expression),
    }
}

/// `true`, or an expression that may be.
fn truthy_or_expression(n: &crate::yaml::tree::Node) -> bool {
    match n.text() {
        Some(t) => {
            let t = t.trim();
            t == "true" || t == "True" || t == "TRUE" || t.contains("${{")
        }
        None => false,
    }
}

/// Every scalar's text below a node.
fn scalars<'a>(n: &'a crate::yaml::tree::Node, out: &mut Vec<&'a str>) {
    if let Some(t) = n.text() {
        out.push(t);
    } else if let Some(items) = n.seq() {
        items.iter().for_each(|i| scalars(i, out));
    } else if let Some(pairs) = n.map() {
        pairs.iter().for_each(|(_, v)| scalars(v, out));
    }
}

/// Whether an expression text reads the needed jobs' results.
pub fn reads_needs_results(text: &str) -> bool {
    let t: String = text.to_ascii_lowercase().split_whitespace().collect();
    (t.contains("needs.") && t.contains(".result"))
        || t.contains("contains(needs")
        || t.contains("tojson(needs")
        || t.contains("join(needs")
}

/// A job-level `if:` that can be false; the trivially true ones are not conditions. A job
/// skipped by its `if:` posts `skipped` (or `success` "Has been skipped"), which passes.
fn job_condition(job: &Job) -> Option<Condition> {
    let text = job.text("if")?.trim().to_string();
    let inner = text
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(&text)
        .trim()
        .to_string();
    if matches!(
        inner.as_str(),
        "" | "true" | "always()" | "success()" | "!cancelled()"
    ) {
        return None;
    }
    Some(Condition::skips(format!(
        "job-level `if: {text}` can be false, and the job is then skipped"
    )))
}

/// Why a job's names could not be listed.
enum Naming {
    /// The forge rejects the workflow.
    Invalid(String),
    /// More names than the file's budget.
    OverBudget,
}

impl From<String> for Naming {
    fn from(e: String) -> Naming {
        Naming::Invalid(e)
    }
}

/// The names one job posts under (one per matrix leg), and the names of the jobs it calls that
/// come after the file's own jobs (Forgejo ≥ 15), at most `room` in all.
fn names_of_job(
    job: &Job,
    wf_name: &str,
    file: &WorkflowFile,
    ctx: &Ctx,
    room: usize,
) -> Result<(Vec<Named>, Vec<Named>), Naming> {
    let b = ctx.b;
    let job_if = job_condition(job);
    let named = |name, workflow: &str, template_prefix: Option<String>, condition| Named {
        job: job.id.clone(),
        line: job.line,
        workflow: workflow.to_string(),
        template_prefix,
        name,
        condition,
        job_if: job_if.clone(),
    };
    let own: Vec<Named> = job_names(job, b, b.empty_contexts)?
        .into_iter()
        .map(|n| named(n, wf_name, None, None))
        .collect();
    let Some(uses) = job.text("uses") else {
        return Ok((own, Vec::new()));
    };
    let expands = match b.reusable {
        Reusable::CallerOnly => false,
        Reusable::CallerAndChildren => true,
        // Local and same-instance calls only: a full URL is never expanded.
        Reusable::InlineWithoutRunsOn => job.get("runs-on").is_none() && !uses.contains("://"),
    };
    if !expands {
        return Ok((own, Vec::new()));
    }
    // One set of children per caller leg.
    let legs = own.len().max(1);
    let mut children = Vec::new();
    match called_jobs(uses, file, ctx) {
        Ok(callee) => {
            let (callee_name, jobs) = &*callee;
            if jobs.len().saturating_mul(legs) + own.len() > room {
                return Err(Naming::OverBudget);
            }
            let (workflow, condition) = match b.reusable {
                // Gitea 1.27 inserts the children when the caller becomes ready.
                Reusable::CallerAndChildren => (
                    match callee_name.trim() {
                        "" => file.base_name().to_string(),
                        n => n.to_string(),
                    },
                    (job.get("if").is_some() || job.get("needs").is_some()).then(|| {
                        Condition::waits(
                            "the called workflow's jobs are created only when the caller job runs; a caller skipped by its `if:` or a failed need leaves their contexts missing (Gitea 1.27 `insertCallerChildren`)",
                        )
                    }),
                ),
                _ => (wf_name.to_string(), None),
            };
            for _ in 0..legs {
                for name in jobs {
                    children.push(named(name.clone(), &workflow, None, condition.clone()));
                }
            }
        }
        Err((reason, capped)) => {
            // The called workflow's own name is unknown on Gitea 1.27, and may be missing:
            // then the trimmed context starts with its caller's file name.
            let template_prefix = match b.reusable {
                Reusable::CallerAndChildren => Some("* / ".to_string()),
                _ => None,
            };
            children.push(named(
                Err(expr::Unresolved {
                    template: "*".to_string(),
                    reason,
                    capped,
                }),
                wf_name,
                template_prefix,
                None,
            ));
        }
    }
    match b.reusable {
        // Forgejo appends them after all of the file's own jobs.
        Reusable::InlineWithoutRunsOn => Ok((own, children)),
        _ => {
            let mut all = own;
            all.extend(children);
            Ok((all, Vec::new()))
        }
    }
}

/// The jobs of a called workflow in the same repository (`uses: ./path.yml`), worked out once.
fn called_jobs(uses: &str, caller: &WorkflowFile, ctx: &Ctx) -> Result<CalleeNames, CalleeError> {
    let Some(path) = uses.strip_prefix("./") else {
        return Err((
            format!(
                "calls {uses}, a workflow in another repository, whose jobs' names are not known here"
            ),
            false,
        ));
    };
    let path = path.split('@').next().unwrap_or(path);
    if path == caller.path {
        return Err((format!("calls itself ({uses})"), false));
    }
    if let Some(known) = ctx.callees.borrow().get(path) {
        return known.clone();
    }
    let names = callee_names(uses, path, ctx);
    ctx.callees
        .borrow_mut()
        .insert(path.to_string(), names.clone());
    names
}

fn callee_names(uses: &str, path: &str, ctx: &Ctx) -> Result<CalleeNames, CalleeError> {
    let callee = ctx.by_path.get(path).ok_or_else(|| {
        (
            format!("calls {uses}, which is not among the workflow files read"),
            false,
        )
    })?;
    let wf = workflow::parse(&callee.text)
        .map_err(|e| (format!("calls {uses}, which does not parse: {e}"), false))?;
    // The caller's `with:` become the callee's `inputs`: not known here.
    let empty: Vec<&str> = ctx
        .b
        .empty_contexts
        .iter()
        .copied()
        .filter(|c| *c != "inputs")
        .collect();
    let mut names = Vec::new();
    for job in &wf.jobs {
        if job.get("uses").is_some() {
            return Err((
                format!("calls {uses}, which calls further workflows (not modelled)"),
                false,
            ));
        }
        names.extend(job_names(job, ctx.b, &empty).map_err(|e| match e {
            Naming::Invalid(e) => (e, false),
            Naming::OverBudget => (String::new(), true),
        })?);
        if names.len() > MAX_CONTEXTS_PER_FILE {
            return Err((
                format!(
                    "calls {uses}, whose jobs post more than {MAX_CONTEXTS_PER_FILE} contexts (driftgate's cap)"
                ),
                true,
            ));
        }
    }
    Ok(Rc::new((wf.name.clone(), names)))
}

/// What is known of a job's legs.
enum Legs {
    Known(Vec<matrix::NamedLeg>),
    /// Known only at run time, or not to be modelled; the reason says which.
    Unknown(String),
    /// Over a cap; the reason names it.
    Capped(String),
}

fn legs(job: &Job, b: &Behaviour) -> Result<Legs, String> {
    let m = matrix::node(&job.body);
    if b.matrix_evaluated
        && let Some(what) = matrix::expression_in(m)
    {
        return Ok(Legs::Unknown(format!(
            "its matrix is computed at run time ({})",
            short(&what)
        )));
    }
    let decoded = match matrix::decode(m, b.matrix_decode) {
        Ok(d) => d,
        Err(MatrixError::Unknown(e)) => return Ok(Legs::Unknown(e)),
        Err(e) => return Err(format!("{e:?}")),
    };
    match matrix::expand(&decoded, b.empty_matrix_runs_once) {
        Ok(legs) => Ok(Legs::Known(legs)),
        Err(MatrixError::Invalid(e)) => Err(e),
        Err(MatrixError::TooLarge(e)) => Ok(Legs::Capped(e)),
        Err(MatrixError::Dynamic(e) | MatrixError::Unknown(e)) => Ok(Legs::Unknown(e)),
    }
}

fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The job's name for each matrix leg, as the forge's parser produces it (before renaming and
/// cutting).
fn job_names(
    job: &Job,
    b: &Behaviour,
    empty: &[&str],
) -> Result<Vec<Result<String, expr::Unresolved>>, Naming> {
    let declared = job.name()?;
    let base = if declared.is_empty() {
        job.id.clone()
    } else {
        declared.clone()
    };
    let legs = match legs(job, b)? {
        Legs::Known(legs) => legs,
        Legs::Unknown(reason) => {
            return Ok(vec![Err(expr::Unresolved {
                template: unknown_legs_template(&base, &declared, b),
                reason,
                capped: false,
            })]);
        }
        Legs::Capped(reason) => {
            return Ok(vec![Err(expr::Unresolved {
                template: unknown_legs_template(&base, &declared, b),
                reason,
                capped: true,
            })]);
        }
    };
    let template = expr::Template::new(&base);
    Ok(legs
        .iter()
        .map(|(suffix, leg)| {
            let env = Env { matrix: leg, empty };
            leg_name(&template, &base, declared.is_empty(), suffix, leg, b, env)
        })
        .collect())
}

/// A glob for every name a job whose legs are unknown could post.
fn unknown_legs_template(base: &str, declared: &str, b: &Behaviour) -> String {
    let head = if expr::contains_expression(base)
        && (!declared.is_empty() || b.matrix_naming != MatrixNaming::AlwaysSuffix)
    {
        expr::unknown_template(base)
    } else {
        glob_escape(base)
    };
    if head.ends_with('*') {
        head
    } else {
        format!("{head}*")
    }
}

/// One leg's name; `suffix` is the leg's `matrix_name`.
fn leg_name(
    template: &expr::Template,
    base: &str,
    undeclared: bool,
    suffix: &str,
    leg: &Leg,
    b: &Behaviour,
    env: Env,
) -> Result<String, expr::Unresolved> {
    let with_suffix = |name: &str| {
        if leg.is_empty() {
            name.to_string()
        } else {
            let mut s = String::with_capacity(name.len() + 1 + suffix.len());
            s.push_str(name);
            s.push(' ');
            s.push_str(suffix);
            s
        }
    };
    match b.matrix_naming {
        MatrixNaming::AlwaysSuffix => Ok(with_suffix(base)),
        MatrixNaming::SuffixUnlessExpression => {
            if leg.is_empty() {
                Ok(base.to_string())
            } else if template.has_expression() {
                template.render(env)
            } else {
                Ok(with_suffix(base))
            }
        }
        MatrixNaming::SuffixOnlyWithoutName => {
            if undeclared {
                Ok(with_suffix(base))
            } else if template.has_expression() {
                template.render(env)
            } else {
                Ok(base.to_string())
            }
        }
    }
}

/// Names over 255 bytes are cut as the forge stores them: Forgejo and Gitea ≤ 1.23 at a
/// character boundary to at most 252 bytes plus `…` (`util.SplitStringAtByteN`); Gitea ≥ 1.24
/// by display width (`util.EllipsisDisplayString`).
fn cut(name: &str, b: &Behaviour) -> String {
    if name.len() <= JOB_NAME_BYTES {
        return name.to_string();
    }
    if b.job_name_cut_by_width {
        return ellipsis_display(name, JOB_NAME_BYTES);
    }
    let mut end = JOB_NAME_BYTES - 3;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &name[..end])
}

/// Gitea's `ellipsisDisplayString` (`modules/util/truncate.go`), step for step: keep characters
/// while their guessed width plus 3 fits the limit; keep the whole name when at most 3 characters
/// (≤ 12 bytes) are left and they fit; else append `…`.
fn ellipsis_display(s: &str, limit: usize) -> String {
    let (mut pos, mut used, mut offset) = (0, 0, 0);
    for (i, c) in s.char_indices() {
        pos = i;
        let w = display_width(c);
        if used + w + 3 > limit {
            break;
        }
        used += w;
        offset += c.len_utf8();
    }
    if s.len() - pos <= 12 {
        let next: Vec<char> = s[pos..].chars().take(4).collect();
        let next_width: usize = next.iter().map(|c| display_width(*c)).sum();
        if next.len() <= 3 && used + next_width <= limit {
            return s.to_string();
        }
    }
    format!("{}…", &s[..offset])
}

/// Gitea's `ellipsisGuessDisplayWidth`: up to U+00FF → 1; marks, format characters and spaces
/// → 1; everything else (CJK, emoji, …) → 2. Without Unicode category tables this covers the
/// space and format characters exactly and the combining-mark blocks that occur in practice.
fn display_width(c: char) -> usize {
    let narrow = matches!(c as u32,
        0..=0xFF
        // Z (spaces, separators); U+3000 counts 2 in Gitea too.
        | 0x1680 | 0x2000..=0x200A | 0x2028 | 0x2029 | 0x202F | 0x205F
        // Cf (format)
        | 0x0600..=0x0605 | 0x061C | 0x06DD | 0x070F | 0x0890..=0x0891 | 0x08E2 | 0x180E
        | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF
        | 0xFFF9..=0xFFFB | 0x110BD | 0x110CD | 0x13430..=0x1343F | 0x1BCA0..=0x1BCA3
        | 0x1D173..=0x1D17A | 0xE0001 | 0xE0020..=0xE007F
        // M (combining marks): the general combining blocks and variation selectors
        | 0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A
        | 0x064B..=0x065F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE00..=0xFE0F | 0xFE20..=0xFE2F | 0xE0100..=0xE01EF
    );
    if narrow { 1 } else { 2 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forge::version::Flavor;

    /// Files analysed on several workers give what one pass in file order gives, in that order:
    /// contexts, silent ones, unresolved and broken files, and called workflows read by each
    /// worker on its own.
    #[test]
    fn workers_merge_to_the_single_pass_result() {
        let mut files = vec![WorkflowFile {
            path: ".gitea/workflows/lib.yml".into(),
            entry: "lib.yml".into(),
            text: "on: workflow_call\njobs:\n  inner:\n    runs-on: x\n    steps: [{run: x}]\n"
                .into(),
        }];
        for i in 0..70 {
            let text = match i % 5 {
                0 => format!(
                    "name: w{i}\non: [pull_request]\njobs:\n  t:\n    strategy:\n      matrix:\n        v: [1, 2, {i}]\n    runs-on: x\n    steps: [{{run: x}}]\n"
                ),
                1 => format!(
                    "name: w{i}\non:\n  pull_request:\n    branches: [release/**]\njobs:\n  a: {{runs-on: x, steps: [{{run: x}}]}}\n"
                ),
                2 => format!(
                    "name: w{i}\non: [pull_request]\njobs:\n  c:\n    uses: ./.gitea/workflows/lib.yml\n"
                ),
                3 => format!(
                    "name: w{i}\non: [pull_request]\njobs:\n  u:\n    name: ${{{{ secrets.X }}}}\n    strategy: {{matrix: {{v: [1]}}}}\n    runs-on: x\n    steps: [{{run: x}}]\n"
                ),
                _ => format!("name: w{i}\non: [pull_request\n"),
            };
            files.push(WorkflowFile {
                path: format!(".gitea/workflows/w{i}.yml"),
                entry: format!("w{i}.yml"),
                text,
            });
        }
        for flavor in [Flavor::Gitea, Flavor::Forgejo] {
            let b = Behaviour::newest(flavor);
            let one = analyse_on(&files, &b, Some("main"), 1);
            let many = analyse_on(&files, &b, Some("main"), 3);
            assert!(one.emitters.len() > 50, "{}", one.emitters.len());
            assert!(!one.broken.is_empty(), "broken");
            assert!(!one.unresolved.is_empty(), "unresolved");
            assert_eq!(one.emitters, many.emitters);
            assert_eq!(one.unresolved, many.unresolved);
            assert_eq!(one.broken, many.broken);
            assert_eq!(one.jobs, many.jobs);
            assert_eq!(
                one.silent.iter().map(|s| &s.context).collect::<Vec<_>>(),
                many.silent.iter().map(|s| &s.context).collect::<Vec<_>>()
            );
        }
    }
}
