//! The JSON report (`driftgate.report/v1`): common members first, then the check's own. Written
//! straight from the report's typed data; only a report past [`MAX_REPORT_BYTES`] is built as a
//! value tree, to cut its longest lists.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::details::{Chunked, nested};
use super::{Mode, Report};
use crate::outcome::Verdict;

pub const SCHEMA: &str = "driftgate.report/v1";

/// The largest JSON report driftgate writes. Input caps keep real reports far below it; past it
/// the longest lists are cut (findings keep their errors and warnings first, as they are sorted)
/// and `truncated` says, per list, how many entries were kept of how many.
pub const MAX_REPORT_BYTES: usize = 64 * 1024 * 1024;

pub struct Document<'a> {
    pub report: &'a Report,
    pub mode: Mode,
    pub verdict: Verdict,
}

impl Document<'_> {
    /// Writes the pretty-printed report (no final line break).
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut w = Chunked::new(out);
        self.write_into(&mut w)?;
        w.finish()
    }

    fn write_into(&self, w: &mut Chunked<'_>) -> io::Result<()> {
        let r = self.report;
        w.write_all(b"{\n  \"schema\": ")?;
        serde_json::to_writer(&mut *w, SCHEMA).map_err(io::Error::other)?;
        w.write_all(b",\n  \"check\": ")?;
        serde_json::to_writer(&mut *w, r.check).map_err(io::Error::other)?;
        w.write_all(b",\n  \"mode\": ")?;
        serde_json::to_writer(&mut *w, self.mode.as_str()).map_err(io::Error::other)?;
        w.write_all(b",\n  \"result\": ")?;
        serde_json::to_writer(&mut *w, self.verdict.as_str()).map_err(io::Error::other)?;
        write!(
            w,
            ",\n  \"exit_code\": {},\n  \"findings\": ",
            self.verdict.exit_code()
        )?;
        nested(w, &r.findings)?;
        r.details.write_members(w)?;
        w.write_all(b"\n}")
    }

    pub fn value(&self) -> Value {
        let r = self.report;
        let mut doc = Map::new();
        doc.insert("schema".into(), json!(SCHEMA));
        doc.insert("check".into(), json!(r.check));
        doc.insert("mode".into(), json!(self.mode.as_str()));
        doc.insert("result".into(), json!(self.verdict.as_str()));
        doc.insert("exit_code".into(), json!(self.verdict.exit_code()));
        doc.insert(
            "findings".into(),
            serde_json::to_value(&r.findings).unwrap_or(Value::Null),
        );
        for (k, v) in r.details.values() {
            doc.insert(k.to_string(), v);
        }
        Value::Object(doc)
    }

    /// The report as text of at most [`MAX_REPORT_BYTES`].
    pub fn render_capped(&self) -> String {
        render_capped(self.value())
    }
}

pub fn to_pretty(doc: &Value) -> String {
    // Serialising a Value built from strings and numbers cannot fail.
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into())
}

/// The report as text of at most [`MAX_REPORT_BYTES`], cutting the longest lists by half until
/// it fits.
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
