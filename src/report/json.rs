//! The JSON report (`driftgate.report/v1`): common members first, then the check's own.

use serde_json::{Map, Value, json};

use super::{Mode, Report};
use crate::outcome::Verdict;

pub const SCHEMA: &str = "driftgate.report/v1";

pub fn document(report: &Report, mode: Mode, verdict: Verdict) -> Value {
    let mut doc = Map::new();
    doc.insert("schema".into(), json!(SCHEMA));
    doc.insert("check".into(), json!(report.check));
    doc.insert("mode".into(), json!(mode.as_str()));
    doc.insert("result".into(), json!(verdict.as_str()));
    doc.insert("exit_code".into(), json!(verdict.exit_code()));
    doc.insert(
        "findings".into(),
        serde_json::to_value(&report.findings).unwrap_or(Value::Null),
    );
    for (k, v) in &report.details {
        doc.insert(k.clone(), v.clone());
    }
    Value::Object(doc)
}

pub fn to_pretty(doc: &Value) -> String {
    // Serialising a Value built from strings and numbers cannot fail.
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into())
}
