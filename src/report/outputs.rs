//! Step outputs appended to `GITHUB_OUTPUT`: `result`, `exit-code`, `findings`, `report`.

use std::path::Path;

use super::Report;
use crate::outcome::Verdict;

pub fn render(report: &Report, verdict: Verdict, report_file: Option<&Path>) -> String {
    let path = report_file
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let mut out = String::new();
    out.push_str(&format!("result={}\n", verdict.as_str()));
    out.push_str(&format!("exit-code={}\n", verdict.exit_code()));
    out.push_str(&format!("findings={}\n", report.finding_count()));
    out.push_str(&output_line("report", &path));
    out
}

/// `name=value`, or the heredoc form when the value holds a line break (a path can), with a
/// delimiter that does not occur in the value.
fn output_line(name: &str, value: &str) -> String {
    if !value.contains('\n') && !value.contains('\r') {
        return format!("{name}={value}\n");
    }
    let mut delim = String::from("DRIFTGATE_EOF");
    while value.contains(&delim) {
        delim.push('_');
    }
    format!("{name}<<{delim}\n{value}\n{delim}\n")
}
