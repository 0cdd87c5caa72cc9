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
                "no row of {:?} matches {subject}, so nothing pins {expected}{}",
                sel.rows,
                why_nothing_matches(rows, &sel.matches)
            ),
        ));
    }
    for row in &selected {
        let value = row.get(&sel.field).and_then(Value::as_str);
        let which = row_label(row, sel);
        match value {
            Some(d) if is_digest(d) => {
                pinned.push(d.to_string());
                if d != expected {
                    findings.push(Finding::problem(
                        "mismatch",
                        subject.clone(),
                        format!("expected {expected}, pinned {d} (row {which})"),
                    ));
                }
            }
            other => findings.push(Finding::problem(
                "malformed-pin",
                subject.clone(),
                format!(
                    "row {which} has {} in {:?}, not a sha256 digest; expected {expected}",
                    other.map_or_else(|| "nothing".to_string(), |s| format!("{:?}", short(s))),
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
    matches
        .iter()
        .all(|(k, v)| scalar(row.get(k)).is_some_and(|s| s == *v))
}

/// A row field as `--match` compares it: strings, numbers and booleans as text.
fn scalar(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Text from the control plane, cut for a message.
fn short(s: &str) -> String {
    let cut = crate::secrets::safe_cut(s, 80);
    if cut < s.len() {
        format!("{}…", &s[..cut])
    } else {
        s.to_string()
    }
}

/// How many keys or values a message lists at most.
const LISTED: usize = 20;

fn listed(items: std::collections::BTreeSet<String>) -> String {
    let n = items.len();
    let mut out: Vec<String> = items.into_iter().take(LISTED).map(|i| short(&i)).collect();
    if n > LISTED {
        out.push(format!("… {} more", n - LISTED));
    }
    out.join(", ")
}

/// Why no row is selected: a `--match` key no row has (a typo such as `enviroment`), or the
/// values its key does have.
fn why_nothing_matches(rows: &[Value], matches: &[(String, String)]) -> String {
    if rows.is_empty() {
        return "; the list of rows is empty".into();
    }
    for (k, v) in matches {
        let values: std::collections::BTreeSet<String> =
            rows.iter().filter_map(|r| scalar(r.get(k))).collect();
        if values.is_empty() {
            let keys = rows
                .iter()
                .filter_map(Value::as_object)
                .flat_map(|o| o.keys().cloned())
                .collect();
            return format!("; no row has key {}; keys: {}", short(k), listed(keys));
        }
        if !values.contains(v) {
            return format!(
                "; no row has {}={}; {} values: {}",
                short(k),
                short(v),
                short(k),
                listed(values)
            );
        }
    }
    "; no row has all the pairs at once".into()
}

/// A row named by what selected it (`environment=prod,service=api`), or without `--match`
/// by its position and a few of its fields.
fn row_label(row: &Value, sel: &Selector) -> String {
    if !sel.matches.is_empty() {
        return sel
            .matches
            .iter()
            .map(|(k, v)| format!("{}={}", short(k), short(v)))
            .collect::<Vec<_>>()
            .join(",");
    }
    let fields: Vec<String> = row
        .as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| **k != sel.field)
                .filter_map(|(k, v)| Some(format!("{}={}", short(k), short(&scalar(Some(v))?))))
                .take(3)
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        "without fields to name it".into()
    } else {
        fields.join(",")
    }
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
    fn messages_name_the_key_no_row_has_and_rows_by_their_values() {
        let r = read(&doc(), &sel(&[("enviroment", "prod")]), A, "u").expect("read");
        let m = &r.findings[0].message;
        assert!(
            m.contains("no row has key enviroment; keys: environment, image_digest, service"),
            "{m}"
        );
        let r = read(&doc(), &sel(&[("environment", "qa")]), A, "u").expect("read");
        let m = &r.findings[0].message;
        assert!(
            m.contains("no row has environment=qa; environment values: dev, prod, staging"),
            "{m}"
        );
        let r = read(
            &doc(),
            &sel(&[("environment", "staging"), ("service", "api")]),
            A,
            "u",
        )
        .expect("read");
        let m = &r.findings[0].message;
        assert!(m.contains("(row environment=staging,service=api)"), "{m}");
        let r = read(&doc(), &sel(&[]), A, "u").expect("read");
        let m = &r.findings[0].message;
        assert!(m.contains("(row environment=staging,service=api)"), "{m}");
        // Hostile rows: long keys and values are cut, lists are capped.
        let many: Vec<Value> = (0..100)
            .map(|i| json!({ format!("k{i}{}", "x".repeat(500)): i }))
            .collect();
        let r = read(
            &json!({"runtime_image_pins": many}),
            &sel(&[("env", "p")]),
            A,
            "u",
        )
        .expect("read");
        let m = &r.findings[0].message;
        assert!(m.len() < 3000 && m.contains("80 more"), "{}", m.len());
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
