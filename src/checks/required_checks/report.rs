//! The required-checks report: facts, the required and emitted tables, and the JSON details.

use serde_json::{Value, json};

use super::Facts;
use std::collections::{BTreeSet, HashMap};

use crate::outcome::Finding;
use crate::report::{Report, Section};

pub(super) fn build(f: &Facts, findings: Vec<Finding>) -> Report {
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

    // Who posts each required pattern: one set match per emitted context, then lookups.
    let mut posted_by: HashMap<&str, BTreeSet<String>> = HashMap::new();
    if let Some(set) = &f.set {
        for e in &a.emitters {
            for k in set.matching(&e.context) {
                if let Some(p) = set.patterns.get(k) {
                    posted_by
                        .entry(p.as_str())
                        .or_default()
                        .insert(format!("{} job {}", e.file, e.job));
                }
            }
        }
    }
    let mut status: HashMap<&str, &str> = HashMap::new();
    for x in r.findings.iter().filter(|x| x.kind != "extra") {
        status.entry(x.subject.as_str()).or_insert(x.kind);
    }
    let nobody = BTreeSet::new();
    let rows = f
        .required
        .iter()
        .map(|text| (text, posted_by.get(text.as_str()).unwrap_or(&nobody)))
        .map(|(text, by)| {
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
        })
        .collect();
    r.sections.push(Section {
        title: "Required contexts".into(),
        headers: vec!["required".into(), "status".into(), "posted by".into()],
        rows,
    });
    r.sections.push(Section {
        title: "Emitted contexts".into(),
        headers: vec![
            "context".into(),
            "file".into(),
            "job".into(),
            "conditional".into(),
        ],
        rows: a
            .emitters
            .iter()
            .map(|e| {
                vec![
                    e.context.clone(),
                    format!("{}:{}", e.file, e.line),
                    e.job.clone(),
                    if e.conditions.is_empty() { "no" } else { "yes" }.into(),
                ]
            })
            .collect(),
    });
    if !a.silent.is_empty() {
        r.sections.push(Section {
            title: "Named but not posted for this branch".into(),
            headers: vec!["context".into(), "file".into(), "why".into()],
            rows: a
                .silent
                .iter()
                .map(|s| vec![s.context.clone(), s.file.clone(), s.reason.clone()])
                .collect(),
        });
    }

    let d = &mut r.details;
    d.insert("repository".into(), json!(f.repo));
    d.insert("branch".into(), json!(f.branch));
    d.insert(
        "flavor".into(),
        match &f.flavor {
            Some((fl, src)) => json!({"name": fl.as_str(), "source": src}),
            None => Value::Null,
        },
    );
    d.insert(
        "forge_version".into(),
        match &f.version {
            Some(v) => json!({"version": v.version.to_string(), "source": v.source, "rules": v.rules.to_string()}),
            None => Value::Null,
        },
    );
    d.insert(
        "rule".into(),
        json!({"name": f.rule, "source": f.required_source}),
    );
    d.insert("required".into(), json!(f.required));
    d.insert(
        "emitted".into(),
        Value::Array(
            a.emitters
                .iter()
                .map(|e| {
                    json!({
                        "context": e.context, "file": e.file, "line": e.line, "job": e.job,
                        "event": e.event, "conditions": e.condition_texts(),
                    })
                })
                .collect(),
        ),
    );
    d.insert(
        "not_emitted".into(),
        Value::Array(
            a.silent
                .iter()
                .map(|s| json!({"context": s.context, "file": s.file, "job": s.job, "reason": s.reason}))
                .collect(),
        ),
    );
    d.insert(
        "unresolved".into(),
        Value::Array(
            a.unresolved
                .iter()
                .map(|u| {
                    json!({"template": u.template, "file": u.file, "line": u.line, "job": u.job, "reason": u.reason})
                })
                .collect(),
        ),
    );
    d.insert(
        "workflows".into(),
        json!({"folders": f.dirs, "files": f.files, "read": f.workflows_read, "none": f.no_workflows}),
    );
    d.insert("requests".into(), json!(f.requests));
    // An empty table says nothing the facts above do not.
    r.sections.retain(|s| !s.rows.is_empty());
    r
}
