//! The human log with annotations. Gitea and Forgejo show no annotations and may not render the
//! summary, so this text is what most people read: facts first, details folded in `::group::`s,
//! then one annotation line per finding, then the result.

use std::collections::BTreeMap;

use super::escape::{command_data, command_property, guard_line};
use super::{Mode, Report, Section};
use crate::outcome::{Finding, Severity, Verdict};

/// Notices of one kind beyond this many are folded into one line (the JSON keeps them all).
const NOTICES_PER_KIND: usize = 10;
/// Error and warning annotations beyond this many are folded into one line.
pub const MAX_ANNOTATIONS: usize = 200;
/// Bytes of log at most; what is left out is said in one line.
pub const MAX_LOG_BYTES: usize = 1024 * 1024;

pub fn render(report: &Report, mode: Mode, verdict: Verdict, problems: &[String]) -> String {
    let mut out = Vec::new();
    out.push(guard_line(&format!(
        "driftgate {}: {} (exit {}){}",
        report.check,
        verdict.as_str(),
        verdict.exit_code(),
        if mode == Mode::Advisory {
            "; advisory mode, the step exits 0"
        } else {
            ""
        }
    )));
    for (k, v) in &report.facts {
        out.push(guard_line(&format!("  {k}: {v}")));
    }
    for section in &report.sections {
        group(&mut out, section);
    }
    let mut notices_per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    let mut annotations = 0usize;
    for f in &report.findings {
        if f.severity == Severity::Notice {
            let n = notices_per_kind.entry(f.kind).or_default();
            *n += 1;
            if *n > NOTICES_PER_KIND {
                continue;
            }
        } else {
            annotations += 1;
            if annotations > MAX_ANNOTATIONS {
                continue;
            }
        }
        out.push(annotation(f, mode));
    }
    if annotations > MAX_ANNOTATIONS {
        out.push(format!(
            "::warning title=driftgate::{}",
            command_data(&format!(
                "{} more errors and warnings are in the JSON report (the log shows the first {MAX_ANNOTATIONS})",
                annotations - MAX_ANNOTATIONS
            ))
        ));
    }
    for (kind, n) in notices_per_kind {
        if n > NOTICES_PER_KIND {
            out.push(format!(
                "::notice title={}::{}",
                command_property(kind),
                command_data(&format!(
                    "{} more {kind} notices are in the JSON report",
                    n - NOTICES_PER_KIND
                ))
            ));
        }
    }
    for p in problems {
        out.push(format!("::error title=driftgate::{}", command_data(p)));
    }
    let count = |s: Severity| report.findings.iter().filter(|f| f.severity == s).count();
    out.push(guard_line(&format!(
        "result: {} (exit {}): {} error(s), {} warning(s), {} notice(s){}",
        verdict.as_str(),
        verdict.exit_code(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Notice),
        if report.fail_on == super::FailOn::Warning {
            "; --fail-on warning: warnings fail the run"
        } else {
            ""
        }
    )));
    cap(out)
}

/// Joins the lines, keeping at most [`MAX_LOG_BYTES`]: the first lines and the result line.
fn cap(mut lines: Vec<String>) -> String {
    let total: usize = lines.iter().map(|l| l.len() + 1).sum();
    if total > MAX_LOG_BYTES && lines.len() > 1 {
        let last = lines.pop().unwrap_or_default();
        let mut kept = Vec::new();
        let mut used = last.len() + 200;
        let mut open_group = false;
        for l in lines.iter() {
            if used + l.len() + 1 > MAX_LOG_BYTES {
                break;
            }
            used += l.len() + 1;
            if l.starts_with("::group::") {
                open_group = true;
            } else if l == "::endgroup::" {
                open_group = false;
            }
            kept.push(l.clone());
        }
        let dropped = lines.len() - kept.len();
        if open_group {
            kept.push("::endgroup::".into());
        }
        kept.push(format!(
            "::warning title=driftgate::{}",
            command_data(&format!(
                "the log is cut at {MAX_LOG_BYTES} bytes: {dropped} more lines are left out; the JSON report has everything"
            ))
        ));
        kept.push(last);
        lines = kept;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn group(out: &mut Vec<String>, section: &Section) {
    out.push(format!(
        "::group::{}",
        command_data(&format!("{} ({})", section.title, section.total()))
    ));
    let cols = section.headers.len();
    let mut widths: Vec<usize> = section.headers.iter().map(|h| h.chars().count()).collect();
    for row in &section.rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from("  ");
        for (i, cell) in cells.iter().enumerate().take(cols) {
            s.push_str(cell);
            if i + 1 < cols {
                let pad = widths[i].saturating_sub(cell.chars().count()) + 2;
                s.push_str(&" ".repeat(pad));
            }
        }
        guard_line(s.trim_end())
    };
    if !section.headers.is_empty() {
        out.push(line(&section.headers));
    }
    for row in &section.rows {
        out.push(line(row));
    }
    if section.more > 0 {
        out.push(format!("  … {} more rows in the JSON report", section.more));
    }
    out.push("::endgroup::".into());
}

fn annotation(f: &Finding, mode: Mode) -> String {
    let level = match (f.severity, mode) {
        (Severity::Error, Mode::Advisory) => "warning",
        (s, _) => s.as_str(),
    };
    let mut props = vec![format!(
        "title={}",
        command_property(&format!("{}: {}", f.kind, f.subject))
    )];
    if let Some(file) = &f.file {
        props.push(format!("file={}", command_property(file)));
        if let Some(line) = f.line {
            props.push(format!("line={line}"));
        }
    }
    let mut msg = f.message.clone();
    if !f.suggestions.is_empty() {
        msg.push_str(&format!(" Closest emitted: {}", f.suggestions.join("; ")));
    }
    format!("::{level} {}::{}", props.join(","), command_data(&msg))
}
