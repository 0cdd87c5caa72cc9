//! The control-plane source: a JSON document with an array of pin rows; the rows selected by
//! `--match` must all carry the pushed digest in `--field`.

use serde_json::Value;

use super::digest::is_digest;
use crate::error::Error;
use crate::outcome::Finding;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Dotted path to the array of rows (`runtime_image_pins`, `data.pins`).
    pub rows: String,
    /// `KEY=VALUE` pairs that must all hold for a row to be selected.
    pub matches: Vec<(String, String)>,
    /// The row field that holds the digest.
    pub field: String,
}

/// `--match KEY=VALUE`.
pub fn parse_match(s: &str) -> Result<(String, String), Error> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(Error::Usage(format!("--match {s:?} is not KEY=VALUE"))),
    }
}

/// One read of the pin: the selected rows' (or the tag's) digests against the expected one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Reading {
    pub findings: Vec<Finding>,
    /// Information that does not change the result (e.g. matched through a platform manifest).
    pub notes: Vec<Finding>,
    /// Digests found in the selected rows, in row order, or the tag's digest.
    pub pinned: Vec<String>,
    pub rows_selected: usize,
    /// For the registry source: what the tag names.
    pub registry: Option<RegistryView>,
}

/// What a registry tag resolved to, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryView {
    pub media_type: String,
    /// `index` or `manifest`.
    pub kind: &'static str,
    /// What the expected digest is: `index`, `manifest`, `platform manifest (os/arch)`, `none`.
    pub expected_is: String,
    /// For an index: `os/arch digest` per platform.
    pub platforms: Vec<String>,
}

impl Reading {
    pub fn in_sync(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Reads the pin rows out of `doc`. A document without the rows array is not the JSON expected
/// (unreachable, 5), not a finding.
pub fn read(doc: &Value, sel: &Selector, expected: &str, url: &str) -> Result<Reading, Error> {
    let mut cur = doc;
    for part in sel.rows.split('.').filter(|p| !p.is_empty()) {
        cur = cur.get(part).ok_or_else(|| {
            Error::Unreachable(format!(
                "{url}: the answer has no {:?} (path {:?})",
                part, sel.rows
            ))
        })?;
    }
    let rows = cur.as_array().ok_or_else(|| {
        Error::Unreachable(format!("{url}: {:?} is not an array of rows", sel.rows))
    })?;
    let subject = describe(sel);
    let selected: Vec<&Value> = rows.iter().filter(|r| selects(r, &sel.matches)).collect();
    let mut findings = Vec::new();
    let mut pinned = Vec::new();
    if selected.is_empty() {
        findings.push(Finding::problem(
            "missing-pin",
            subject.clone(),
            format!(
                "no row of {:?} matches {subject}, so nothing pins {expected}",
                sel.rows
            ),
        ));
    }
    for (i, row) in selected.iter().enumerate() {
        let value = row.get(&sel.field).and_then(Value::as_str);
        match value {
            Some(d) if is_digest(d) => {
                pinned.push(d.to_string());
                if d != expected {
                    findings.push(Finding::problem(
                        "mismatch",
                        subject.clone(),
                        format!("expected {expected}, pinned {d} (selected row {})", i + 1),
                    ));
                }
            }
            other => findings.push(Finding::problem(
                "malformed-pin",
                subject.clone(),
                format!(
                    "selected row {} has {} in {:?}, not a sha256 digest; expected {expected}",
                    i + 1,
                    other.map_or_else(|| "nothing".to_string(), |s| format!("{s:?}")),
                    sel.field
                ),
            )),
        }
    }
    Ok(Reading {
        findings,
        pinned,
        rows_selected: selected.len(),
        ..Reading::default()
    })
}

fn selects(row: &Value, matches: &[(String, String)]) -> bool {
    matches.iter().all(|(k, v)| match row.get(k) {
        Some(Value::String(s)) => s == v,
        Some(Value::Number(n)) => n.to_string() == *v,
        Some(Value::Bool(b)) => b.to_string() == *v,
        _ => false,
    })
}

fn describe(sel: &Selector) -> String {
    if sel.matches.is_empty() {
        format!("{}[*].{}", sel.rows, sel.field)
    } else {
        let m: Vec<String> = sel
            .matches
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        format!("{}[{}].{}", sel.rows, m.join(","), sel.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn sel(m: &[(&str, &str)]) -> Selector {
        Selector {
            rows: "runtime_image_pins".into(),
            matches: m
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            field: "image_digest".into(),
        }
    }

    fn doc() -> Value {
        json!({"runtime_image_pins": [
            {"environment": "prod", "service": "api", "image_digest": A},
            {"environment": "staging", "service": "api", "image_digest": B},
            {"environment": "dev", "service": "api", "image_digest": "latest"},
        ]})
    }

    #[test]
    fn outcomes() {
        let r = read(&doc(), &sel(&[("environment", "prod")]), A, "u").expect("read");
        assert!(r.in_sync());
        let r = read(&doc(), &sel(&[("environment", "staging")]), A, "u").expect("read");
        assert_eq!(r.findings[0].kind, "mismatch");
        assert!(r.findings[0].message.contains(A) && r.findings[0].message.contains(B));
        let r = read(&doc(), &sel(&[("environment", "qa")]), A, "u").expect("read");
        assert_eq!(r.findings[0].kind, "missing-pin");
        let r = read(&doc(), &sel(&[("environment", "dev")]), A, "u").expect("read");
        assert_eq!(r.findings[0].kind, "malformed-pin");
        // All pairs must hold.
        let r = read(
            &doc(),
            &sel(&[("environment", "prod"), ("service", "web")]),
            A,
            "u",
        )
        .expect("read");
        assert_eq!(r.findings[0].kind, "missing-pin");
        // No --match: every row must carry it.
        let r = read(&doc(), &sel(&[]), A, "u").expect("read");
        assert_eq!(r.findings.len(), 2);
    }

    #[test]
    fn documents_without_the_rows_are_unreachable() {
        let e = read(&json!({"other": []}), &sel(&[]), A, "u").expect_err("no rows");
        assert_eq!(e.verdict().exit_code(), 5);
        let e = read(&json!({"runtime_image_pins": {"a": 1}}), &sel(&[]), A, "u")
            .expect_err("not array");
        assert_eq!(e.verdict().exit_code(), 5);
        let nested = json!({"data": {"pins": [{"image_digest": A}]}});
        let s = Selector {
            rows: "data.pins".into(),
            ..sel(&[])
        };
        assert!(read(&nested, &s, A, "u").expect("nested").in_sync());
    }

    #[test]
    fn match_flags_are_key_value() {
        assert_eq!(parse_match("env=prod"), Ok(("env".into(), "prod".into())));
        assert_eq!(parse_match("k=a=b"), Ok(("k".into(), "a=b".into())));
        assert!(parse_match("env").is_err());
        assert!(parse_match("=x").is_err());
    }
}
