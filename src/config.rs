//! `.driftgate.yml` (or `--config FILE`): the forge release and workflow folders a repository
//! pins, waivers for findings a team accepted, and what sweeps skip. Flags override the file.
//! Unknown keys and malformed values are usage errors (1) naming the line.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::Error;

/// The file driftgate looks for at the repository root.
pub const FILE_NAME: &str = ".driftgate.yml";
/// A config file is a few hundred bytes; this bounds a hostile one.
const MAX_BYTES: u64 = 256 * 1024;
/// Waivers at most.
const MAX_WAIVERS: usize = 1000;

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub forge: Forge,
    #[serde(default)]
    pub workflows: Vec<String>,
    #[serde(default)]
    pub ignore: Vec<Waiver>,
    #[serde(default)]
    pub sweep: Sweep,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Forge {
    /// `gitea` or `forgejo`, as `--flavor`.
    pub flavor: Option<String>,
    /// As `--forge-version`.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    /// Globs on `OWNER/NAME`, as `--exclude`.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// One accepted finding (or family of findings).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// `required-checks`, `runtime-pin` or `image-drift`.
    pub check: String,
    /// A finding kind (`conditional`, `duplicate`, `orphan` …).
    pub kind: String,
    /// A glob on the finding's subject (`*` also matches `/`).
    #[serde(default = "any_subject")]
    pub subject: String,
    /// Why it is accepted: required, shown wherever the finding is.
    pub reason: String,
    /// `YYYY-MM-DD`: from the day after, the waiver stops working.
    #[serde(default)]
    pub until: Option<String>,
}

fn any_subject() -> String {
    "*".into()
}

const CHECKS: [&str; 3] = ["required-checks", "runtime-pin", "image-drift"];

impl Config {
    /// `--config FILE` (must exist), else `.driftgate.yml` in `root` when there is one.
    pub fn load(explicit: Option<&Path>, root: &Path) -> Result<Option<(PathBuf, Config)>, Error> {
        let (path, must) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (root.join(FILE_NAME), false),
        };
        if !must && std::fs::symlink_metadata(&path).is_err() {
            return Ok(None);
        }
        let text = crate::fsread::read_text(&path, MAX_BYTES, true)
            .map_err(|e| Error::Usage(format!("the config file {} {e}", path.display())))?;
        let c = Config::parse(&text)
            .map_err(|e| Error::Usage(format!("the config file {}: {e}", path.display())))?;
        Ok(Some((path, c)))
    }

    pub fn parse(text: &str) -> Result<Config, String> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let c: Config = crate::yaml::parse(text).map_err(|e| match e.line {
            Some(l) => format!("line {l}: {}", e.message),
            None => e.message,
        })?;
        if c.ignore.len() > MAX_WAIVERS {
            return Err(format!("more than {MAX_WAIVERS} waivers"));
        }
        if let Some(f) = &c.forge.flavor
            && !["gitea", "forgejo"].contains(&f.as_str())
        {
            return Err(format!("forge.flavor {f:?} is not gitea or forgejo"));
        }
        if let Some(v) = &c.forge.version {
            let (flavor, _) = crate::forge::version::parse_flag(v)
                .map_err(|e| format!("forge.version {v:?}: {e}"))?;
            if let Some(f) = &c.forge.flavor
                && flavor.to_string() != *f
            {
                return Err(format!(
                    "forge.version {v:?} is a {flavor} release, but forge.flavor is {f}"
                ));
            }
        }
        for (i, w) in c.ignore.iter().enumerate() {
            let at = format!("ignore[{i}]");
            if !CHECKS.contains(&w.check.as_str()) {
                return Err(format!(
                    "{at}.check {:?} is not one of {}",
                    w.check,
                    CHECKS.join(", ")
                ));
            }
            if w.kind.trim().is_empty() {
                return Err(format!("{at}.kind is empty"));
            }
            if w.reason.trim().is_empty() {
                return Err(format!(
                    "{at}.reason is empty: say why the finding is accepted"
                ));
            }
            glob::Pattern::new(&w.subject)
                .map_err(|e| format!("{at}.subject {:?} is not a glob: {e}", w.subject))?;
            if let Some(u) = &w.until {
                parse_date(u)
                    .ok_or_else(|| format!("{at}.until {u:?} is not a YYYY-MM-DD date"))?;
            }
        }
        for p in &c.sweep.exclude {
            glob::Pattern::new(p).map_err(|e| format!("sweep.exclude {p:?} is not a glob: {e}"))?;
        }
        Ok(c)
    }
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub fn parse_date(s: &str) -> Option<i64> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: i64 = parts.next()?.parse().ok()?;
    let d: i64 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) {
        return None;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d < 1 || d > days_in[(m - 1) as usize] {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Today (UTC) as days since 1970-01-01.
pub fn today() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    (secs / 86_400) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specs_example_parses() {
        let c = Config::parse(
            r#"forge: {flavor: forgejo, version: "15.0"}
workflows: [.gitea/workflows]
ignore:
  - check: required-checks
    kind: conditional
    subject: "Docs / build (*)"
    reason: docs-only workflow; the paths filter is intended
    until: 2027-03-01
sweep:
  exclude: ["acme/archive-*", acme/sandbox]
"#,
        )
        .expect("parses");
        assert_eq!(c.forge.flavor.as_deref(), Some("forgejo"));
        assert_eq!(c.workflows, [".gitea/workflows"]);
        assert_eq!(c.ignore[0].until.as_deref(), Some("2027-03-01"));
        assert_eq!(c.sweep.exclude.len(), 2);
    }

    #[test]
    fn mistakes_name_the_line_or_the_field() {
        let e = Config::parse("forge: {flavor: forgejo}\nignroe: []\n").expect_err("unknown");
        assert!(e.contains("line 2") && e.contains("ignroe"), "{e}");
        let e = Config::parse("ignore:\n  - check: required-checks\n    kind: orphan\n")
            .expect_err("no reason");
        assert!(e.contains("reason"), "{e}");
        let e = Config::parse(
            "ignore:\n  - {check: required-checks, kind: orphan, reason: x, until: 2027-02-30}\n",
        )
        .expect_err("bad date");
        assert!(e.contains("until"), "{e}");
        assert!(Config::parse("ignore:\n  - {check: nope, kind: x, reason: y}\n").is_err());
        assert!(Config::parse("forge: {flavor: github}\n").is_err());
    }

    #[test]
    fn dates_count_days() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("2000-03-01"), Some(11_017));
        assert_eq!(
            parse_date("2024-02-29").map(|d| d - parse_date("2024-02-28").unwrap_or(0)),
            Some(1)
        );
        assert_eq!(parse_date("2023-02-29"), None);
        assert!(today() > parse_date("2026-01-01").unwrap_or(i64::MAX));
    }
}
