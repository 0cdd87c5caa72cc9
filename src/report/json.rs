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

/// The largest JSON report driftgate writes. Input caps keep real reports far below it; past it
/// the longest lists are cut (findings keep their errors and warnings first, as they are sorted)
/// and `truncated` says, per list, how many entries were kept of how many.
pub const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

/// The report as text of at most [`MAX_REPORT_BYTES`].
pub fn render_capped(mut doc: Value) -> String {
    let mut text = to_pretty(&doc);
    let mut totals: Map<String, Value> = Map::new();
    while text.len() > MAX_REPORT_BYTES {
        let Value::Object(members) = &mut doc else {
            break;
        };
        let longest = members
            .iter()
            .filter_map(|(k, v)| v.as_array().map(|a| (k.clone(), a.len())))
            .max_by_key(|(_, n)| *n);
        let Some((key, n)) = longest.filter(|(_, n)| *n > 1) else {
            break;
        };
        if let Some(Value::Array(a)) = members.get_mut(&key) {
            a.truncate(n / 2);
        }
        let total = totals
            .get(&key)
            .and_then(|t| t.get("total"))
            .and_then(Value::as_u64)
            .unwrap_or(n as u64);
        totals.insert(key, json!({"kept": n / 2, "total": total}));
        members.insert("truncated".into(), Value::Object(totals.clone()));
        text = to_pretty(&doc);
    }
    text
}
