//! The contexts a repository's workflows post: `"<workflow> / <job> (<event>)"`, trimmed, for
//! every job, matrix leg and status-posting trigger, as the given forge release names them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use super::behaviour::{Behaviour, MatrixNaming, Reusable};
use super::expr::{self, glob_escape};
use super::matrix::{self, Leg, MatrixError, Shape};
use super::triggers::{Posting, triggers};
use super::workflow::{self, Job, Workflow, WorkflowFile, scalar_text};

/// Both forges store the job name in a 255-byte column and cut longer names.
const JOB_NAME_BYTES: usize = 255;

/// A context some job posts on pull requests into the branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emitter {
    pub context: String,
    pub file: String,
    pub line: usize,
    pub job: String,
    pub event: &'static str,
    /// Why it may not be posted (empty: posted on every pull request commit).
    pub conditions: Vec<String>,
}

/// A job whose context cannot be computed without running the workflow, or that is over one of
/// driftgate's caps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// A glob for every context it could post.
    pub template: String,
    pub file: String,
    pub line: usize,
    pub job: String,
    pub reason: String,
    /// Over a cap (the reason names it): unverifiable whatever is required.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silent {
    pub context: String,
    pub file: String,
    pub job: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct Analysis {
    pub emitters: Vec<Emitter>,
    pub unresolved: Vec<Unresolved>,
    pub broken: Vec<Broken>,
    pub silent: Vec<Silent>,
}

/// Builds the context string as the forge does (`fmt.Sprintf`, then trimmed on storage).
pub fn context(workflow: &str, job: &str, event: &str) -> String {
    format!("{workflow} / {job} ({event})").trim().to_string()
}

/// One name a job posts under, with the workflow name it posts under (differs for called jobs).
struct Posted {
    workflow: String,
    /// The glob that precedes the job part of an unresolved template when the workflow name
    /// itself is unknown (called workflows in other repositories); else `"<escaped workflow> / "`.
    template_prefix: Option<String>,
    name: Result<String, expr::Unresolved>,
    condition: Option<String>,
}

/// Contexts (emitted, unresolved or silent) one workflow file may account for, at most.
pub const MAX_CONTEXTS_PER_FILE: usize = 100_000;
/// Contexts all workflow files together may account for, at most.
pub const MAX_CONTEXTS: usize = 1_000_000;

/// The names a called workflow's jobs post under, worked out once however many jobs call it.
type CalleeNames = Rc<(String, Vec<Result<String, expr::Unresolved>>)>;

/// Why a called workflow's names are not known: the reason, and whether a cap stopped it.
type CalleeError = (String, bool);

/// What one analysis shares between files: the files by path, and called workflows' names.
struct Ctx<'a> {
    files: &'a [WorkflowFile],
    by_path: HashMap<&'a str, &'a WorkflowFile>,
    callees: RefCell<HashMap<String, Result<CalleeNames, CalleeError>>>,
    b: &'a Behaviour,
    branch: Option<&'a str>,
}

pub fn analyse(files: &[WorkflowFile], b: &Behaviour, branch: Option<&str>) -> Analysis {
    let ctx = Ctx {
        files,
        by_path: files.iter().map(|f| (f.path.as_str(), f)).collect(),
        callees: RefCell::new(HashMap::new()),
        b,
        branch,
    };
    let mut a = Analysis::default();
    let mut total = 0usize;
    for file in ctx.files {
        let budget = MAX_CONTEXTS_PER_FILE.min(MAX_CONTEXTS.saturating_sub(total));
        let before = a.emitters.len() + a.unresolved.len() + a.silent.len();
        if let Err(broken) = analyse_file(file, &ctx, budget, &mut a) {
            a.broken.push(broken);
        }
        total += a.emitters.len() + a.unresolved.len() + a.silent.len() - before;
    }
    a
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
    // Work out every job's names first: an invalid matrix anywhere makes the whole file invalid.
    let mut per_job = Vec::new();
    let per_name = trigs.len().max(1);
    let mut names = 0usize;
    for job in &wf.jobs {
        let room = (budget / per_name).saturating_sub(names);
        let posted = match posted_names(job, &wf_name, file, ctx, room) {
            Ok(p) => p,
            Err(Naming::Invalid(e)) => return Err(broken(Some(job.line), e)),
            Err(Naming::OverBudget) => {
                a.unresolved.push(over_budget(file, &wf_name, budget));
                return Ok(());
            }
        };
        names += posted.len();
        if names > budget / per_name {
            a.unresolved.push(over_budget(file, &wf_name, budget));
            return Ok(());
        }
        per_job.push((job, posted));
    }
    for trig in &trigs {
        for (job, posted) in &per_job {
            let job_if = job_condition(job);
            for p in posted {
                match (&trig.posting, &p.name) {
                    (Posting::Never(reason), Ok(name)) => a.silent.push(Silent {
                        context: context(&p.workflow, name, trig.event),
                        file: file.path.clone(),
                        job: job.id.clone(),
                        reason: reason.clone(),
                    }),
                    (Posting::Never(_), Err(_)) => {}
                    (posting, Ok(name)) => {
                        let mut conditions = match posting {
                            Posting::Conditional(c) => c.clone(),
                            _ => Vec::new(),
                        };
                        conditions.extend(job_if.clone());
                        conditions.extend(p.condition.clone());
                        a.emitters.push(Emitter {
                            context: context(&p.workflow, name, trig.event),
                            file: file.path.clone(),
                            line: job.line,
                            job: job.id.clone(),
                            event: trig.event,
                            conditions,
                        });
                    }
                    (_, Err(u)) => a.unresolved.push(Unresolved {
                        template: match &p.template_prefix {
                            Some(prefix) => format!("{prefix}{} ({})", u.template, trig.event),
                            None => context(&glob_escape(&p.workflow), &u.template, trig.event),
                        },
                        file: file.path.clone(),
                        line: job.line,
                        job: job.id.clone(),
                        reason: u.reason.clone(),
                        capped: u.capped,
                    }),
                }
            }
        }
    }
    Ok(())
}

/// The workflow part of the context: `name:` as written (never interpolated); when missing,
/// empty, or the file name on releases that fall back to it.
fn workflow_name(wf: &Workflow, file: &WorkflowFile, b: &Behaviour) -> String {
    match &wf.name {
        Some(n) if !(b.missing_name_is_file_name && n.trim().is_empty()) => n.clone(),
        _ if b.missing_name_is_file_name => file.base_name().to_string(),
        _ => String::new(),
    }
}

/// A job-level `if:` that can be false; the trivially true ones are not conditions.
fn job_condition(job: &Job) -> Option<String> {
    let cond = job.get("if")?;
    let text = scalar_text(cond).unwrap_or_default();
    let inner = text
        .trim()
        .strip_prefix("${{")
        .and_then(|t| t.strip_suffix("}}"))
        .unwrap_or(text.trim())
        .trim()
        .to_string();
    if matches!(
        inner.as_str(),
        "" | "true" | "always()" | "success()" | "!cancelled()"
    ) {
        return None;
    }
    Some(format!(
        "job-level `if: {}`; when false the job is skipped (newer forges post `skipped`, which counts as passing)",
        text.trim()
    ))
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

/// The names one job posts under, for all its matrix legs (and called jobs), at most `room`.
fn posted_names(
    job: &Job,
    wf_name: &str,
    file: &WorkflowFile,
    ctx: &Ctx,
    room: usize,
) -> Result<Vec<Posted>, Naming> {
    let b = ctx.b;
    let names = job_names(job, b)?;
    let mut out: Vec<Posted> = Vec::new();
    let uses = job.get("uses").and_then(Value::as_str);
    let inline = match (uses, b.reusable) {
        (Some(_), Reusable::InlineWithoutRunsOn) => job.get("runs-on").is_none(),
        _ => false,
    };
    for name in names {
        out.push(Posted {
            workflow: wf_name.to_string(),
            template_prefix: None,
            name,
            condition: inline.then(|| {
                "the caller job of an inlined reusable workflow ends `skipped`".to_string()
            }),
        });
    }
    let Some(uses) = uses else {
        return Ok(out);
    };
    let children = match b.reusable {
        Reusable::CallerOnly => return Ok(out),
        Reusable::InlineWithoutRunsOn if !inline => return Ok(out),
        Reusable::CallerAndCalleeJobs | Reusable::InlineWithoutRunsOn => {
            called_jobs(uses, file, ctx)
        }
    };
    match children {
        Ok(callee) => {
            let (callee_name, jobs) = &*callee;
            if out.len() + jobs.len() > room {
                return Err(Naming::OverBudget);
            }
            let workflow = match b.reusable {
                Reusable::CallerAndCalleeJobs => callee_name.clone(),
                _ => wf_name.to_string(),
            };
            for name in jobs {
                out.push(Posted {
                    workflow: workflow.clone(),
                    template_prefix: None,
                    name: name.clone(),
                    condition: None,
                });
            }
        }
        Err((reason, capped)) => {
            // Gitea 1.27 names the children by the called workflow's unknown `name:`, which may
            // be missing: then the trimmed context starts with "/ ", which "* / *" would miss.
            let template_prefix = match b.reusable {
                Reusable::CallerAndCalleeJobs if b.missing_name_is_file_name => Some("* / "),
                Reusable::CallerAndCalleeJobs => Some("*/ "),
                _ => None,
            };
            out.push(Posted {
                workflow: wf_name.to_string(),
                template_prefix: template_prefix.map(str::to_string),
                name: Err(expr::Unresolved {
                    template: "*".to_string(),
                    reason,
                    capped,
                }),
                condition: None,
            });
        }
    }
    Ok(out)
}

/// The jobs of a called workflow in the same repository (`uses: ./path.yml`), worked out once.
fn called_jobs(uses: &str, caller: &WorkflowFile, ctx: &Ctx) -> Result<CalleeNames, CalleeError> {
    let Some(path) = uses.strip_prefix("./") else {
        return Err((
            format!(
                "calls {uses}, a workflow in another repository, whose jobs post their own statuses"
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
    let mut names = Vec::new();
    for job in &wf.jobs {
        if job.get("uses").is_some() {
            return Err((
                format!("calls {uses}, which calls further workflows (not modelled)"),
                false,
            ));
        }
        names.extend(job_names(job, ctx.b).map_err(|e| (e, false))?);
        if names.len() > MAX_CONTEXTS_PER_FILE {
            return Err((
                format!(
                    "calls {uses}, whose jobs post more than {MAX_CONTEXTS_PER_FILE} contexts (driftgate's cap)"
                ),
                true,
            ));
        }
    }
    Ok(Rc::new((workflow_name(&wf, callee, ctx.b), names)))
}

/// The job's name for each matrix leg, as the forge stores it.
fn job_names(job: &Job, b: &Behaviour) -> Result<Vec<Result<String, expr::Unresolved>>, String> {
    let declared = match job.get("name") {
        None => None,
        Some(v) => Some(scalar_text(v).ok_or("the job `name:` is not a string")?),
    }
    .filter(|n| !n.is_empty());
    let legs = match legs(job, b)? {
        Legs::Known(legs) => legs,
        Legs::Capped(reason) => {
            let template = match &declared {
                Some(n) if expr::contains_expression(n) => unknown_segments(n),
                Some(n) => format!("{}*", glob_escape(n)),
                None => format!("{} (*)", glob_escape(&job.id)),
            };
            return Ok(vec![Err(expr::Unresolved {
                template,
                reason,
                capped: true,
            })]);
        }
        Legs::Unknown(reason) => {
            let template = match (&declared, b.matrix_naming) {
                (Some(n), MatrixNaming::SuffixOnlyWithoutName) if !expr::contains_expression(n) => {
                    return Ok(vec![Ok(cut(n, b))]);
                }
                // The matrix values are not known, so no `${{ }}` segment is.
                (Some(n), _) if expr::contains_expression(n) => unknown_segments(n),
                (Some(n), _) => format!("{} (*)", glob_escape(n)),
                (None, _) => format!("{} (*)", glob_escape(&job.id)),
            };
            return Ok(vec![Err(expr::Unresolved {
                template,
                reason,
                capped: false,
            })]);
        }
    };
    Ok(legs
        .iter()
        .map(|leg| leg_name(&job.id, declared.as_deref(), leg, b).map(|n| cut(&n, b)))
        .collect())
}

enum Legs {
    Known(Vec<Leg>),
    Unknown(String),
    /// Over a cap; the reason names it.
    Capped(String),
}

fn legs(job: &Job, b: &Behaviour) -> Result<Legs, String> {
    let dynamic = |what: String| {
        if b.dynamic_matrix_is_one_leg {
            // The forge cannot decode it, runs one leg and names it without suffix.
            Legs::Known(vec![Leg::new()])
        } else {
            Legs::Unknown(format!("its matrix is computed at run time ({what})"))
        }
    };
    let legs = match matrix::shape(&job.body) {
        Shape::None => vec![Leg::new()],
        Shape::Other(Value::String(s)) if expr::contains_expression(s) => {
            return Ok(dynamic(s.clone()));
        }
        // Anything else that is not a mapping fails to decode: one leg, no suffix.
        Shape::Other(_) => vec![Leg::new()],
        Shape::Axes(m) => {
            if let Some(what) = matrix::has_expression(m) {
                return Ok(dynamic(what));
            }
            match matrix::expand(m) {
                Ok(legs) => legs,
                Err(MatrixError::Invalid(e)) => return Err(e),
                Err(MatrixError::TooLarge(e)) => return Ok(Legs::Capped(e)),
                // A scalar axis without an expression cannot be decoded either: one leg.
                Err(MatrixError::Dynamic(_)) => vec![Leg::new()],
            }
        }
    };
    if legs.is_empty() {
        return Ok(Legs::Known(if b.empty_matrix_runs_once {
            vec![Leg::new()]
        } else {
            Vec::new()
        }));
    }
    Ok(Legs::Known(legs))
}

fn leg_name(
    id: &str,
    declared: Option<&str>,
    leg: &Leg,
    b: &Behaviour,
) -> Result<String, expr::Unresolved> {
    let with_suffix = |base: &str| {
        if leg.is_empty() {
            base.to_string()
        } else {
            format!("{base} {}", matrix::suffix(leg))
        }
    };
    match b.matrix_naming {
        MatrixNaming::AlwaysSuffix => Ok(with_suffix(declared.unwrap_or(id))),
        MatrixNaming::SuffixUnlessExpression => {
            let base = declared.unwrap_or(id);
            if leg.is_empty() {
                Ok(base.to_string())
            } else if expr::contains_expression(base) {
                expr::interpolate(base, leg)
            } else {
                Ok(with_suffix(base))
            }
        }
        MatrixNaming::SuffixOnlyWithoutName => match declared {
            None => Ok(with_suffix(id)),
            Some(n) => expr::interpolate(n, leg),
        },
    }
}

/// A glob for a name whose `${{ }}` segments are all unknown: each becomes `*`.
fn unknown_segments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        out.push_str(&glob_escape(&rest[..start]));
        match rest[start + 3..].find("}}") {
            Some(end) => {
                out.push('*');
                rest = &rest[start + 3 + end + 2..];
            }
            None => {
                out.push_str(&glob_escape(&rest[start..]));
                rest = "";
            }
        }
    }
    out.push_str(&glob_escape(rest));
    out
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
