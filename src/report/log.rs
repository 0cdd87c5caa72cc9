//! The human log. In a runner (`Style::Github`) findings are annotations and details fold into
//! `::group::`s; Gitea and Forgejo show no annotations and may not render the summary, so this
//! text is what most people read: facts first, details, one line per finding, then the result.
//! On a terminal (`Style::Human`) the same text is plain aligned text, coloured unless
//! `NO_COLOR`: no workflow commands at all.

use std::collections::BTreeMap;

use unicode_width::UnicodeWidthStr;

use super::escape::{command_data, command_property, guard_line, log_text};
use super::{Mode, Report, Section};
use crate::outcome::{Finding, Severity, Verdict};

/// Notices of one kind beyond this many are folded into one line (the JSON keeps them all).
const NOTICES_PER_KIND: usize = 10;
/// Error and warning annotations beyond this many are folded into one line.
pub const MAX_ANNOTATIONS: usize = 200;
/// Bytes of log at most; what is left out is said in one line.
pub const MAX_LOG_BYTES: usize = 1024 * 1024;

/// How the log is written: workflow commands for a runner, or plain text for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Github,
    Human { colour: bool },
}

impl Style {
    /// A line for `level` (error, warning, notice) with a title, and where it points.
    fn line(
        self,
        level: &str,
        title: &str,
        place: Option<(&str, Option<usize>)>,
        msg: &str,
    ) -> String {
        match self {
            Style::Github => {
                let mut props = vec![format!("title={}", command_property(title))];
                if let Some((file, line)) = place {
                    props.push(format!("file={}", command_property(file)));
                    if let Some(line) = line {
                        props.push(format!("line={line}"));
                    }
                }
                format!("::{level} {}::{}", props.join(","), command_data(msg))
            }
            Style::Human { colour } => {
                let at = match place {
                    Some((file, Some(line))) => format!(" ({file}:{line})"),
                    Some((file, None)) => format!(" ({file})"),
                    None => String::new(),
                };
                let tag = self.paint(&format!("{level:<7}"), level, colour);
                format!("{tag} {}", guard_line(&format!("{title}{at}: {msg}")))
            }
        }
    }

    /// ANSI colour for a level's tag (the tag is ours, never untrusted text).
    fn paint(self, text: &str, level: &str, colour: bool) -> String {
        let code = match level {
            "error" => "31",
            "warning" => "33",
            "notice" => "36",
            _ => "1",
        };
        if colour {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    fn group_start(self, title: &str) -> String {
        match self {
            Style::Github => format!("::group::{}", command_data(title)),
            Style::Human { colour } => self.paint(&guard_line(title), "title", colour),
        }
    }

    fn group_end(self) -> Option<String> {
        match self {
            Style::Github => Some("::endgroup::".into()),
            Style::Human { .. } => None,
        }
    }
}

pub fn render(
    report: &Report,
    mode: Mode,
    verdict: Verdict,
    problems: &[String],
    style: Style,
) -> String {
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
        group(&mut out, section, style);
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
        out.push(annotation(f, mode, style));
    }
    if annotations > MAX_ANNOTATIONS {
        out.push(style.line(
            "warning",
            "driftgate",
            None,
            &format!(
                "{} more errors and warnings are in the JSON report (the log shows the first {MAX_ANNOTATIONS})",
                annotations - MAX_ANNOTATIONS
            ),
        ));
    }
    for (kind, n) in notices_per_kind {
        if n > NOTICES_PER_KIND {
            out.push(style.line(
                "notice",
                kind,
                None,
                &format!(
                    "{} more {kind} notices are in the JSON report",
                    n - NOTICES_PER_KIND
                ),
            ));
        }
    }
    for p in problems {
        out.push(style.line("error", "driftgate", None, p));
    }
    let count = |s: Severity| {
        report
            .findings
            .iter()
            .filter(|f| f.severity == s && f.waived.is_none())
            .count()
    };
    let waived = report
        .findings
        .iter()
        .filter(|f| f.waived.is_some())
        .count();
    out.push(guard_line(&format!(
        "result: {} (exit {}): {} error(s), {} warning(s), {} notice(s){}{}",
        verdict.as_str(),
        verdict.exit_code(),
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Notice),
        if waived > 0 {
            format!(", {waived} waived")
        } else {
            String::new()
        },
        if report.fail_on == super::FailOn::Warning {
            "; --fail-on warning: warnings fail the run"
        } else {
            ""
        }
    )));
    cap(out, style)
}

/// Joins the lines, keeping at most [`MAX_LOG_BYTES`]: the first lines and the result line.
fn cap(mut lines: Vec<String>, style: Style) -> String {
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
        kept.push(style.line(
            "warning",
            "driftgate",
            None,
            &format!(
                "the log is cut at {MAX_LOG_BYTES} bytes: {dropped} more lines are left out; the JSON report has everything"
            ),
        ));
        kept.push(last);
        lines = kept;
    }
    let mut text = lines.join("\n");
    text.push('\n');
    text
}

fn group(out: &mut Vec<String>, section: &Section, style: Style) {
    out.push(style.group_start(&format!("{} ({})", section.title, section.total())));
    let cols = section.headers.len();
    // Widths in terminal columns (CJK and emoji take two), of the text as it will be printed.
    let shown = |cell: &str| log_text(cell);
    let mut widths: Vec<usize> = section.headers.iter().map(|h| shown(h).width()).collect();
    for row in &section.rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(shown(cell).width());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::from("  ");
        for (i, cell) in cells.iter().enumerate().take(cols) {
            let cell = shown(cell);
            s.push_str(&cell);
            if i + 1 < cols {
                let pad = widths[i].saturating_sub(cell.width()) + 2;
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
    if let Some(end) = style.group_end() {
        out.push(end);
    }
}

fn annotation(f: &Finding, mode: Mode, style: Style) -> String {
    let level = match (f.severity, mode) {
        // Accepted on purpose: information, whatever it was.
        _ if f.waived.is_some() => "notice",
        (Severity::Error, Mode::Advisory) => "warning",
        (s, _) => s.as_str(),
    };
    let mut msg = f.message.to_string();
    if let Some(w) = &f.waived {
        msg = match &w.until {
            Some(u) => format!("waived until {u} ({}): {msg}", w.reason),
            None => format!("waived ({}): {msg}", w.reason),
        };
    }
    if !f.suggestions.is_empty() {
        msg.push_str(&format!(" Closest emitted: {}", f.suggestions.join("; ")));
    }
    let place = f.file.as_deref().map(|file| (file, f.line));
    style.line(level, &format!("{}: {}", f.kind, f.subject), place, &msg)
}
