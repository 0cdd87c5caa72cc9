//! Everything a check reports, and how it reaches the runner: annotations and the human log on
//! stdout (stderr with `--json`), the markdown job summary, step outputs and the JSON report.
//! Checks build a [`Report`]; [`deliver`] writes it everywhere and returns the exit code.

mod behind;
mod details;
pub mod escape;
mod json;
pub mod log;
mod outputs;
pub mod pretty;
mod redact;
mod summary;

use std::io::Write;
use std::path::PathBuf;

pub use details::Details;

use crate::outcome::{Finding, Severity, Verdict, verdict_of};

/// How the result turns into an exit code (`--mode`, action input `mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Read-only; the exit code is the result's.
    Assert,
    /// Read-only; findings are shown as warnings and the run exits 0.
    Advisory,
    /// For scheduled sweeps: as assert, then keep one tracking issue per target in sync.
    Issue,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Assert => "assert",
            Mode::Advisory => "advisory",
            Mode::Issue => "issue",
        }
    }
}

/// Which findings fail the run (`--fail-on`, action input `fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Errors only: warnings are shown but leave the result as it is.
    #[default]
    Error,
    /// Warnings too (`conditional`, `duplicate`, `hollow`, …): any gives a finding (2).
    Warning,
}

/// Rows of a table kept for the log and the summary; the JSON report has every row.
pub const SECTION_ROWS: usize = 50;

/// A titled table shown as a `::group::` in the log and as a table in the summary. It holds at
/// most [`SECTION_ROWS`] rows; `more` counts the rows left out (the JSON report has them all),
/// so a 20,000-context table costs 50 rows of strings, not 20,000.
#[derive(Debug, Clone, Default)]
pub struct Section {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub more: usize,
}

impl Section {
    /// A table of the first [`SECTION_ROWS`] of `rows`, counting the rest.
    pub fn new<I>(title: &str, headers: &[&str], rows: I) -> Section
    where
        I: IntoIterator<Item = Vec<String>>,
        I::IntoIter: ExactSizeIterator,
    {
        let rows = rows.into_iter();
        let total = rows.len();
        Section {
            title: title.to_string(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            rows: rows.take(SECTION_ROWS).collect(),
            more: total.saturating_sub(SECTION_ROWS),
        }
    }

    /// Rows in the whole table, shown or not.
    pub fn total(&self) -> usize {
        self.rows.len() + self.more
    }
}

/// What a report is about, for tracking issues and sweeps (typed, not looked up in the facts).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub repository: Option<String>,
    pub branch: Option<String>,
    pub rule: Option<String>,
}

/// What one check run found, ready to render.
#[derive(Debug, Clone)]
pub struct Report {
    pub check: &'static str,
    /// Key facts shown first (repository, branch, flavor ...), in order.
    pub facts: Vec<(String, String)>,
    pub target: Target,
    pub findings: Vec<Finding>,
    pub sections: Vec<Section>,
    /// Check-specific members of the JSON report, after the common ones.
    pub details: Details,
    pub fail_on: FailOn,
}

impl Report {
    pub fn new(check: &'static str) -> Self {
        Report {
            check,
            facts: Vec::new(),
            target: Target::default(),
            findings: Vec::new(),
            sections: Vec::new(),
            details: Details::default(),
            fail_on: FailOn::Error,
        }
    }

    /// The run's result: the findings' precedence, and with `--fail-on warning` any warning is
    /// a finding too.
    pub fn verdict(&self) -> Verdict {
        let v = verdict_of(&self.findings);
        if self.fail_on == FailOn::Warning
            && self
                .findings
                .iter()
                .any(|f| f.severity == Severity::Warning && f.waived.is_none())
        {
            v.combine(Verdict::Finding)
        } else {
            v
        }
    }

    /// Findings in a stable order: by severity, kind, subject, then place.
    pub fn sort_findings(&mut self) {
        self.findings.sort_by(|a, b| {
            (a.severity, a.kind, &a.subject, &a.file, a.line, &a.message)
                .cmp(&(b.severity, b.kind, &b.subject, &b.file, b.line, &b.message))
        });
    }

    /// Applies `f` to every string the log and summary show. The JSON report's details are
    /// redacted as text when written (see [`crate::secrets::pieces`]: a secret's JSON-escaped
    /// form is registered too).
    pub fn redact_with(&mut self, f: impl Fn(&str) -> String) {
        for (k, v) in &mut self.facts {
            *k = f(k);
            *v = f(v);
        }
        for x in &mut self.findings {
            x.subject = f(&x.subject).into();
            x.message = f(&x.message).into();
            x.file = x.file.as_deref().map(|s| f(s).into());
            for s in &mut x.suggestions {
                *s = f(s);
            }
        }
        for section in &mut self.sections {
            section.title = f(&section.title);
            for row in &mut section.rows {
                for cell in row {
                    *cell = f(cell);
                }
            }
        }
        if let Some(x) = &mut self.target.branch {
            *x = f(x);
        }
        if let Some(x) = &mut self.target.rule {
            *x = f(x);
        }
    }

    /// Findings that count for the `findings` output: errors and warnings, not notices.
    pub fn finding_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Notice && f.waived.is_none())
            .count()
    }
}

/// The report as the markdown of the job summary (also the body of tracking issues).
pub fn summary_markdown(report: &Report, mode: Mode) -> String {
    let mut r = report.clone();
    r.sort_findings();
    let verdict = r.verdict();
    summary::markdown(&r, mode, verdict)
}

/// Where a report goes, resolved from flags and the runner's environment.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub mode: Mode,
    pub json: bool,
    /// How the human log is written (workflow commands in a runner, plain text on a terminal).
    pub style: log::Style,
    pub report_file: Option<PathBuf>,
    pub summary_file: Option<PathBuf>,
    pub output_file: Option<PathBuf>,
}

impl Delivery {
    /// Replaces every registered secret in `text` (see [`crate::secrets`]).
    pub fn redact(&self, text: &str) -> String {
        crate::secrets::redact(text).into_owned()
    }
}

/// Writes the report everywhere it belongs and returns the process exit code.
pub fn deliver(
    mut report: Report,
    delivery: &Delivery,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    deliver_in(&mut report, delivery, stdout, stderr)
}

/// [`deliver`], for the process's last report: it is not freed, as the process ends next.
/// A 1,000-workflow report is some 100,000 small allocations (every emitted context, every
/// notice), and handing them back one by one took longer than the page-table teardown at
/// exit that reclaims them anyway. No thread is left running that could still use them.
pub fn deliver_at_exit(
    mut report: Report,
    delivery: &Delivery,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    let code = deliver_in(&mut report, delivery, stdout, stderr);
    std::mem::forget(report);
    code
}

fn deliver_in(
    report: &mut Report,
    delivery: &Delivery,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> u8 {
    report.sort_findings();
    let redacting = crate::secrets::any();
    // Redact the raw text first: escaping could split a secret so that a pass over the
    // rendered text no longer finds it. The rendered text gets a second pass anyway.
    if redacting {
        report.redact_with(|s| delivery.redact(s));
    }
    let verdict = report.verdict();
    let mut problems = Vec::new();

    // The JSON report is streamed from the checks' typed data; only a report past the size
    // cap is built as a tree (to cut its longest lists).
    let mut doc = json::Document {
        report,
        mode: delivery.mode,
        verdict,
        limits: Default::default(),
    };
    let mut file_ok = false;
    if let Some(path) = &delivery.report_file {
        match write_report_file(&mut doc, path, redacting) {
            Ok(()) => file_ok = true,
            Err(e) => problems.push(format!("cannot write the report {}: {e}", path.display())),
        }
    }
    // What every later output states: a sink that failed makes the run a usage error, so the
    // summary, the step outputs, the log and the stdout copy say so too, not the check's result
    // (the exit code already did). The report file, written first, cannot know of a later sink
    // failing; the stdout copy is then written anew instead of copied from it.
    let shown = |problems: &[String]| {
        if problems.is_empty() {
            verdict
        } else {
            verdict.combine(Verdict::Usage)
        }
    };
    if let Some(path) = &delivery.summary_file {
        let md = delivery.redact(&summary::markdown(report, delivery.mode, shown(&problems)));
        if let Err(e) = append(path, &md) {
            problems.push(format!(
                "cannot append the job summary {}: {e}",
                path.display()
            ));
        }
    }
    if let Some(path) = &delivery.output_file {
        let text = outputs::render(report, shown(&problems), delivery.report_file.as_deref());
        if let Err(e) = append(path, &delivery.redact(&text)) {
            problems.push(format!(
                "cannot append the step outputs {}: {e}",
                path.display()
            ));
        }
    }

    let shown = shown(&problems);
    let log_text = delivery.redact(&log::render(
        report,
        delivery.mode,
        shown,
        &problems,
        delivery.style,
    ));
    // Output errors (a closed pipe) cannot be reported anywhere else; the exit code still says it.
    let (human, machine): (&mut dyn Write, Option<&mut dyn Write>) = if delivery.json {
        (stderr, Some(stdout))
    } else {
        (stdout, None)
    };
    let human_ok = human.write_all(log_text.as_bytes()).is_ok();
    // A log that could not be written fails the run too: the stdout copy then says so.
    let shown = if human_ok {
        shown
    } else {
        shown.combine(Verdict::Usage)
    };
    let machine_ok = match machine {
        // The file is the report as written (capped and redacted): copy it.
        Some(out) => match (&delivery.report_file, file_ok && shown == verdict) {
            // Only a regular file reads back what was written (not /dev/null, a FIFO, a tty).
            (Some(path), true) if std::fs::metadata(path).is_ok_and(|m| m.is_file()) => {
                std::fs::File::open(path)
                    .and_then(|mut f| std::io::copy(&mut f, out))
                    .is_ok()
            }
            _ => {
                doc.verdict = shown;
                write_report_to(&mut doc, out, redacting).is_ok()
            }
        },
        None => true,
    };

    // `shown` already holds every failure but the stdout copy's own.
    let final_verdict = if machine_ok {
        shown
    } else {
        shown.combine(Verdict::Usage)
    };
    match delivery.mode {
        Mode::Advisory => 0,
        Mode::Assert | Mode::Issue => final_verdict.exit_code(),
    }
}

/// Streams the report into `path`; one past [`json::MAX_REPORT_BYTES`] is written again, its
/// longest lists cut (found by counting, never holding the text).
fn write_report_file(
    doc: &mut json::Document,
    path: &std::path::Path,
    redacting: bool,
) -> std::io::Result<()> {
    let written = stream(doc, path, redacting)?;
    if written > json::MAX_REPORT_BYTES {
        doc.fit()?;
        stream(doc, path, redacting)?;
    }
    Ok(())
}

/// The report on a stream that cannot be rewound: sized by counting first.
fn write_report_to(
    doc: &mut json::Document,
    out: &mut dyn Write,
    redacting: bool,
) -> std::io::Result<()> {
    if doc.size()? > json::MAX_REPORT_BYTES {
        doc.fit()?;
    }
    let mut w = redact::Lines::new(std::io::BufWriter::new(out), redacting);
    doc.write(&mut w)?;
    w.write_all(b"\n")?;
    w.finish()
}

/// Writes the report with a final line break through the redaction path; returns its size.
fn stream(doc: &json::Document, path: &std::path::Path, redacting: bool) -> std::io::Result<usize> {
    behind::create_file(path, |f| {
        let mut w = json::Counted(0, redact::Lines::new(f, redacting));
        doc.write(&mut w)?;
        w.write_all(b"\n")?;
        let n = w.0;
        w.1.finish()?;
        Ok(n)
    })
}

fn append(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests;
