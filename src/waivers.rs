//! Waivers from the config file (`ignore:`) applied to a report: a waived finding stays in the
//! report with `waived: {reason, until}`, is shown as waived, and no longer counts for the exit
//! code or tracking issues. A waiver past its `until` no longer works and says so
//! (`expired-waiver`, warning); one that matches nothing is a `stale-waiver` notice.

use crate::config::{Waiver, parse_date};
use crate::outcome::{Finding, Verdict, Waived};
use crate::report::Report;

/// Applies the waivers for this report's check; `today` is days since 1970-01-01.
pub fn apply(report: &mut Report, waivers: &[Waiver], today: i64) {
    let mut extra = Vec::new();
    for w in waivers.iter().filter(|w| w.check == report.check) {
        let expired = w
            .until
            .as_deref()
            .and_then(parse_date)
            .is_some_and(|u| u < today);
        let Ok(pattern) = glob::Pattern::new(&w.subject) else {
            continue;
        };
        let matches = |f: &Finding| f.kind == w.kind && pattern.matches(&f.subject);
        let mut hits = 0usize;
        for f in report
            .findings
            .iter_mut()
            .filter(|f| f.waived.is_none() && matches(f))
        {
            hits += 1;
            if !expired {
                f.waived = Some(Box::new(Waived {
                    reason: w.reason.clone(),
                    until: w.until.clone(),
                }));
                f.verdict = Verdict::Clean;
            }
        }
        let what = format!("{} {} {:?}", w.check, w.kind, w.subject);
        if expired {
            extra.push(Finding::warning(
                "expired-waiver",
                what,
                format!(
                    "the waiver ({}) ended on {}: {hits} finding(s) it covered count again",
                    w.reason,
                    w.until.as_deref().unwrap_or_default()
                ),
            ));
        } else if hits == 0 {
            extra.push(Finding::notice(
                "stale-waiver",
                what,
                format!("the waiver ({}) matches no finding: remove it?", w.reason),
            ));
        }
    }
    report.findings.extend(extra);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::outcome::Verdict;

    fn report() -> Report {
        let mut r = Report::new("required-checks");
        r.findings.push(Finding::warning(
            "conditional",
            "Docs / build (pull_request)",
            "paths",
        ));
        r.findings.push(Finding::problem(
            "orphan",
            "CI / gone (push)",
            "nobody posts it",
        ));
        r
    }

    #[test]
    fn waived_findings_stay_but_no_longer_count() {
        let c = Config::parse(
            "ignore:\n  - {check: required-checks, kind: orphan, subject: 'CI / *', reason: retired, until: 2999-01-01}\n  - {check: required-checks, kind: duplicate, reason: nothing}\n  - {check: image-drift, kind: drift, reason: other check}\n",
        )
        .expect("config");
        let mut r = report();
        assert_eq!(r.verdict(), Verdict::Finding);
        apply(&mut r, &c.ignore, crate::config::today());
        assert_eq!(r.verdict(), Verdict::Clean, "{:?}", r.findings);
        let orphan = r
            .findings
            .iter()
            .find(|f| f.kind == "orphan")
            .expect("kept");
        assert_eq!(
            orphan.waived.as_ref().map(|w| w.reason.as_str()),
            Some("retired")
        );
        let kinds: Vec<&str> = r.findings.iter().map(|f| f.kind).collect();
        assert!(kinds.contains(&"stale-waiver"), "{kinds:?}");
        assert_eq!(
            kinds.iter().filter(|k| **k == "stale-waiver").count(),
            1,
            "only this check's"
        );
    }

    #[test]
    fn an_expired_waiver_stops_working_and_says_so() {
        let c = Config::parse(
            "ignore:\n  - {check: required-checks, kind: orphan, reason: retired, until: 2020-01-01}\n",
        )
        .expect("config");
        let mut r = report();
        apply(&mut r, &c.ignore, crate::config::today());
        assert_eq!(r.verdict(), Verdict::Finding);
        assert!(
            r.findings
                .iter()
                .any(|f| f.kind == "expired-waiver"
                    && f.severity == crate::outcome::Severity::Warning)
        );
        // The last day still counts.
        let c = Config::parse(
            "ignore:\n  - {check: required-checks, kind: orphan, reason: r, until: 2030-06-01}\n",
        )
        .expect("config");
        let mut r = report();
        apply(&mut r, &c.ignore, parse_date("2030-06-01").unwrap_or(0));
        assert_eq!(r.verdict(), Verdict::Clean);
    }
}
