//! The JSON report (`driftgate.report/v1`): common members first, then the check's own. Written
//! straight from the report's typed data; only a report past [`MAX_REPORT_BYTES`] is built as a
//! value tree, to cut its longest lists.

use std::io::{self, Write};

use serde_json::{Map, Value, json};

use super::details::{Chunked, Limits, nested};
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
    /// Lists cut to fit [`MAX_REPORT_BYTES`] (empty: everything is written).
    pub limits: Limits,
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
        let keep = self
            .limits
            .get("findings")
            .copied()
            .unwrap_or(r.findings.len());
        let findings = r.findings.get(..keep).unwrap_or(&r.findings);
        super::pretty::write_list(w, findings).map_err(io::Error::other)?;
        r.details.write_members(w, &self.limits)?;
        if !self.limits.is_empty() {
            let totals: Map<String, Value> = self
                .lists()
                .filter_map(|(k, total)| {
                    let kept = *self.limits.get(k)?;
                    Some((k.to_string(), json!({"kept": kept, "total": total})))
                })
                .collect();
            w.write_all(b",\n  \"truncated\": ")?;
            nested(w, &totals)?;
        }
        w.write_all(b"\n}")
    }

    /// Every list of the report (the findings and the check's lists) with its length.
    fn lists(&self) -> impl Iterator<Item = (&str, usize)> {
        std::iter::once(("findings", self.report.findings.len())).chain(self.report.details.lists())
    }

    /// Bytes the report takes as written.
    pub fn size(&self) -> io::Result<usize> {
        let mut c = Counted(0, io::sink());
        self.write(&mut c)?;
        Ok(c.0)
    }

    /// Cuts the lists until the report fits [`MAX_REPORT_BYTES`] (findings keep their errors
    /// and warnings first, as they are sorted); each pass only counts bytes. The first cut
    /// shortens every long list in proportion to the excess, so a 200 MB report takes two or
    /// three passes, not one per halving; then the longest list is halved until it fits.
    pub fn fit(&mut self) -> io::Result<()> {
        self.fit_to(MAX_REPORT_BYTES)
    }

    fn fit_to(&mut self, max: usize) -> io::Result<()> {
        let size = self.size()?;
        if size <= max {
            return Ok(());
        }
        // Keep this share of each list (a little under the ratio: the rest of the report and
        // the lists' uneven items take some room too).
        let share = (max as f64 / size as f64) * 0.9;
        let cuts: Vec<(String, usize)> = self
            .lists()
            .filter(|(_, total)| *total > 1)
            .map(|(k, total)| (k.to_string(), ((total as f64 * share) as usize).max(1)))
            .collect();
        self.limits.extend(cuts);
        while self.size()? > max {
            let longest = self
                .lists()
                .map(|(k, total)| (k.to_string(), self.limits.get(k).copied().unwrap_or(total)))
                .max_by_key(|(_, kept)| *kept);
            let Some((key, kept)) = longest.filter(|(_, kept)| *kept > 1) else {
                break;
            };
            self.limits.insert(key, kept / 2);
        }
        Ok(())
    }
}

/// Counts the bytes written through it.
pub(super) struct Counted<W: Write>(pub usize, pub W);

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.1.write(buf)?;
        self.0 += n;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.1.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Finding;

    /// Past the cap the longest lists are halved until the report fits, and `truncated` says
    /// how many entries of how many were kept; the text stays one valid JSON document.
    #[test]
    fn a_report_past_the_cap_cuts_its_longest_lists_and_says_so() {
        let mut r = Report::new("required-checks");
        for i in 0..300 {
            r.findings
                .push(Finding::notice("extra", format!("c{i:04}"), "m"));
        }
        r.details.insert_list(
            "emitted",
            (0..2000).map(|i| format!("ctx-{i:06}")).collect(),
        );
        r.details.insert("small", json!({"a": 1}));
        let mut doc = Document {
            report: &r,
            mode: Mode::Assert,
            verdict: Verdict::Clean,
            limits: Default::default(),
        };
        let full = doc.size().expect("size");
        doc.fit_to(full / 3).expect("fit");
        let mut out = Vec::new();
        doc.write(&mut out).expect("write");
        assert!(out.len() <= full / 3, "{} > {}", out.len(), full / 3);
        let v: Value = serde_json::from_slice(&out).expect("valid JSON");
        let kept = v["emitted"].as_array().map_or(0, Vec::len);
        assert!(kept < 2000 && kept > 0, "{kept}");
        assert_eq!(
            v["truncated"]["emitted"],
            json!({"kept": kept, "total": 2000})
        );
        assert_eq!(v["small"]["a"], 1);
        assert_eq!(v["emitted"][0], "ctx-000000");
    }
}
