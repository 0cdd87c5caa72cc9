//! The required-checks report: facts, the first rows of the required and emitted tables, and
//! the JSON details (the long lists moved in as typed data, not copied into JSON values).

use serde_json::{Value, json};

use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;

use super::Facts;
use super::patterns::RequiredSet;
use crate::outcome::Finding;
use crate::report::{Report, SECTION_ROWS, Section, Target};

pub(super) fn build(f: Facts, findings: Vec<Finding>) -> Report {
    let mut r = Report::new("required-checks");
    r.findings = findings;
    let a = &f.analysis;
    let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "-".into());
    r.facts.push(("repository".into(), opt(&f.repo)));
    r.facts.push(("branch".into(), opt(&f.branch)));
    if let Some((fl, src)) = &f.flavor {
        r.facts.push(("flavor".into(), format!("{fl} ({src})")));
    }
    if let Some(v) = &f.version {
        r.facts.push((
            "forge version".into(),
            format!(
                "{} ({}); the rules of {} apply",
                v.version, v.source, v.rules
            ),
        ));
    }
    r.facts.push(("rule".into(), opt(&f.rule)));
    r.facts.push((
        "required".into(),
        format!(
            "{} context(s) from {}",
            f.required.len(),
            f.required_source.clone().unwrap_or_else(|| "-".into())
        ),
    ));
    r.facts.push((
        "workflows".into(),
        if !f.workflows_read {
            "not read (the check stopped before)".into()
        } else if f.no_workflows || f.dirs.is_empty() {
            "none: the repository has no workflow folder, so nothing posts a status".into()
        } else {
            format!("{} file(s) in {}", f.files, f.dirs.join(", "))
        },
    ));
    r.facts
        .push(("emitted".into(), format!("{} context(s)", a.emitters.len())));

    r.target = Target {
        repository: f.repo.clone(),
        branch: f.branch.clone(),
        rule: f.rule.clone(),
    };

    // Who posts each required pattern shown in the table (the first rows; the JSON report has
    // the patterns and every emitted context): one match per emitted context against them.
    let shown: Vec<String> = f.required.iter().take(SECTION_ROWS).cloned().collect();
    let mut posted_by: HashMap<String, BTreeSet<String>> = HashMap::new();
    if f.set.is_some()
        && let Ok(small) = RequiredSet::new(&shown)
    {
        for e in &a.emitters {
            for k in small.matching(&e.context) {
                if let Some(p) = small.patterns.get(k) {
                    posted_by
                        .entry(p.clone())
                        .or_default()
                        .insert(format!("{} job {}", e.file, e.job));
                }
            }
        }
    }
    let nobody = BTreeSet::new();
    let mut status: HashMap<&str, &str> = HashMap::new();
    for x in r.findings.iter().filter(|x| x.kind != "extra") {
        status.entry(&*x.subject).or_insert(x.kind);
    }
    let mut required = Section::new(
        "Required contexts",
        &["required", "status", "posted by"],
        shown.iter().map(|text| {
            let by = posted_by.get(text).unwrap_or(&nobody);
            vec![
                text.clone(),
                status
                    .get(text.as_str())
                    .copied()
                    // Nothing said about it: proven, if the check got as far as matching.
                    .unwrap_or(if f.set.is_some() { "ok" } else { "not checked" })
                    .to_string(),
                by.iter().cloned().collect::<Vec<_>>().join(", "),
            ]
        }),
    );
    required.more = f.required.len() - shown.len();
    r.sections.push(required);
    r.sections.push(Section::new(
        "Emitted contexts",
        &["context", "file", "job", "conditional"],
        a.emitters.iter().map(|e| {
            vec![
                e.context.to_string(),
                format!("{}:{}", e.file, e.line),
                e.job.clone(),
                if e.conditions.is_empty() { "no" } else { "yes" }.into(),
            ]
        }),
    ));
    r.sections.push(Section::new(
        "Named but not posted for this branch",
        &["context", "file", "why"],
        a.silent
            .iter()
            .map(|s| vec![s.context.clone(), s.file.clone(), s.reason.clone()]),
    ));
    // An empty table says nothing the facts above do not.
    r.sections.retain(|s| s.total() > 0);

    let d = &mut r.details;
    d.insert("repository", json!(f.repo));
    d.insert("branch", json!(f.branch));
    d.insert(
        "flavor",
        match &f.flavor {
            Some((fl, src)) => json!({"name": fl.as_str(), "source": src}),
            None => Value::Null,
        },
    );
    d.insert(
        "forge_version",
        match &f.version {
            Some(v) => json!({"version": v.version.to_string(), "source": v.source, "rules": v.rules.to_string()}),
            None => Value::Null,
        },
    );
    d.insert("rule", json!({"name": f.rule, "source": f.required_source}));
    let workflows = json!({"folders": f.dirs, "files": f.files, "read": f.workflows_read, "none": f.no_workflows});
    let requests = f.requests;
    // The long lists move into the report as they are and are serialised when it is written.
    let a = f.analysis;
    d.insert_list("required", f.required);
    d.insert_list("emitted", a.emitters);
    d.insert_list("not_emitted", a.silent);
    d.insert_list("unresolved", a.unresolved);
    d.insert("workflows", workflows);
    d.insert("requests", json!(requests));
    r
}
