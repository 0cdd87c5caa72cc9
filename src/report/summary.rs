//! The markdown job summary (also the body of tracking issues): result, facts, findings table,
//! then each section folded in `<details>`.

use super::escape::markdown as md;
use super::{Mode, Report, SECTION_ROWS, Section};
use crate::outcome::{Severity, Verdict};

/// Rows of the findings table at most; the JSON report has every finding.
pub const FINDING_ROWS: usize = 100;
/// Bytes of a job summary at most (GitHub's limit for one step's summary is 1 MiB).
pub const MAX_SUMMARY_BYTES: usize = 1024 * 1024;
/// Bytes of a tracking issue's body at most.
pub const MAX_ISSUE_BYTES: usize = 60 * 1024;

pub fn markdown(report: &Report, mode: Mode, verdict: Verdict) -> String {
    let budget = if mode == Mode::Issue {
        MAX_ISSUE_BYTES
    } else {
        MAX_SUMMARY_BYTES
    };
    cut(render(report, mode, verdict), budget)
}

/// Keeps at most `budget` bytes, at a line boundary, and says what was left out.
fn cut(s: String, budget: usize) -> String {
    if s.len() <= budget {
        return s;
    }
    let note = "\n\n_The summary is cut here; the JSON report has everything._\n";
    let mut end = budget.saturating_sub(note.len());
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    let end = s[..end].rfind('\n').unwrap_or(end);
    format!("{}{note}", &s[..end])
}

fn render(report: &Report, mode: Mode, verdict: Verdict) -> String {
    let icon = match verdict {
        Verdict::Clean => "✅",
        Verdict::Finding => "❌",
        _ => "⚠️",
    };
    let mut s = format!(
        "### {icon} driftgate {}: {} (exit {})\n\n",
        report.check,
        verdict.as_str(),
        verdict.exit_code()
    );
    if mode == Mode::Advisory {
        s.push_str("Advisory mode: this result does not fail the step.\n\n");
    }
    for (k, v) in &report.facts {
        s.push_str(&format!("- **{}**: {}\n", md(k), md(v)));
    }
    s.push('\n');
    let shown: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.severity != Severity::Notice)
        .collect();
    if shown.is_empty() {
        s.push_str("No errors or warnings.\n\n");
    } else {
        s.push_str("| severity | kind | subject | message |\n|---|---|---|---|\n");
        let more = shown.len().saturating_sub(FINDING_ROWS);
        for f in shown.into_iter().take(FINDING_ROWS) {
            let mut msg = md(&f.message);
            if !f.suggestions.is_empty() {
                let sugg: Vec<String> = f.suggestions.iter().map(|x| md(x)).collect();
                msg.push_str(&format!("<br>closest emitted: {}", sugg.join("; ")));
            }
            if let Some(file) = &f.file {
                let at = match f.line {
                    Some(l) => format!("{file}:{l}"),
                    None => file.to_string(),
                };
                msg.push_str(&format!(" ({})", md(&at)));
            }
            let severity = match &f.waived {
                Some(w) => {
                    msg = format!("{} — {msg}", md(&format!("waived: {}", w.reason)));
                    if let Some(u) = &w.until {
                        msg.push_str(&format!(" (until {})", md(u)));
                    }
                    format!("waived {}", f.severity.as_str())
                }
                None => f.severity.as_str().to_string(),
            };
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                severity,
                f.kind,
                md(&f.subject),
                msg
            ));
        }
        if more > 0 {
            s.push_str(&format!(
                "\n{more} more errors and warnings are in the JSON report.\n"
            ));
        }
        s.push('\n');
    }
    let is_notice = |f: &&crate::outcome::Finding| f.severity == Severity::Notice;
    let n_notices = report.findings.iter().filter(is_notice).count();
    if n_notices > 0 {
        let rows: Vec<Vec<String>> = report
            .findings
            .iter()
            .filter(is_notice)
            .take(SECTION_ROWS)
            .map(|f| {
                vec![
                    f.kind.to_string(),
                    f.subject.to_string(),
                    f.message.to_string(),
                ]
            })
            .collect();
        let more = n_notices - rows.len();
        let notices = Section {
            title: "Notices".into(),
            headers: ["kind", "subject", "message"].map(String::from).to_vec(),
            rows,
            more,
        };
        details(&mut s, &notices);
    }
    for section in &report.sections {
        details(&mut s, section);
    }
    s
}

fn details(s: &mut String, section: &Section) {
    s.push_str(&format!(
        "<details><summary>{} ({})</summary>\n\n",
        md(&section.title),
        section.total()
    ));
    if !section.headers.is_empty() {
        let head: Vec<String> = section.headers.iter().map(|h| md(h)).collect();
        s.push_str(&format!("| {} |\n", head.join(" | ")));
        s.push_str(&format!("|{}\n", "---|".repeat(head.len())));
        for row in &section.rows {
            let cells: Vec<String> = row.iter().map(|c| md(c)).collect();
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        if section.more > 0 {
            s.push_str(&format!(
                "\n{} more rows are in the JSON report.\n",
                section.more
            ));
        }
    }
    s.push_str("\n</details>\n\n");
}
