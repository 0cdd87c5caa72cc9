//! Which forge and release a server is, from the string `GET /api/v1/version` answers, and the
//! releases driftgate models.
//!
//! Gitea answers its plain version (`1.27.3`; branch builds `1.28.0+dev-123-gabc`, a release
//! branch `1.27.3+12-gabc`; `routers/api/v1/misc/version.go`, Makefile `GITEA_VERSION`). Forgejo
//! its own version with the Gitea compatibility level as build metadata (`15.0.3+gitea-1.22.0`;
//! dev builds `17.0.0-dev-577-c4d05ee1a9+gitea-1.22.0`; from a source tarball plain `15.0.3`;
//! Makefile `FORGEJO_VERSION`). Gitea's majors are 1; Forgejo's start at 7. Anything else is not
//! guessed at.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Flavor {
    Gitea,
    Forgejo,
}

impl Flavor {
    pub fn as_str(self) -> &'static str {
        match self {
            Flavor::Gitea => "gitea",
            Flavor::Forgejo => "forgejo",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Flavor::Gitea => "Gitea",
            Flavor::Forgejo => "Forgejo",
        }
    }

    /// The flavor a release number belongs to: Gitea is 1.x, Forgejo 7 and later.
    pub fn of(v: Version) -> Option<Flavor> {
        match v.major {
            1 => Some(Flavor::Gitea),
            m if m >= 7 => Some(Flavor::Forgejo),
            _ => None,
        }
    }
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release. The patch level matters for a few backports (Forgejo's job-name de-duplication
/// reached 11.0.4 and 12.0.2); when it is not known, the newest patch of that line is assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    /// `None`: the newest patch release of the line.
    pub patch: Option<u32>,
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.major, self.minor, self.patch.unwrap_or(u32::MAX)).cmp(&(
            other.major,
            other.minor,
            other.patch.unwrap_or(u32::MAX),
        ))
    }
}

impl Version {
    pub const fn new(major: u32, minor: u32) -> Self {
        Version {
            major,
            minor,
            patch: None,
        }
    }

    pub const fn patch(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch: Some(patch),
        }
    }

    /// At least `major.minor.patch` (a version without patch is the newest of its line).
    pub fn at_least(&self, major: u32, minor: u32, patch: u32) -> bool {
        *self >= Version::patch(major, minor, patch)
    }

    /// The line (`major.minor`) without patch.
    pub fn line(&self) -> Version {
        Version::new(self.major, self.minor)
    }

    /// `X`, `X.Y` or `X.Y.Z` (a leading `v` allowed), as given to `--forge-version`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        let patch = match parts.next() {
            Some(p) => Some(p.parse::<u32>().ok()?),
            None => None,
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

/// The release lines driftgate models, oldest first. Gitea 1.28 is not released (only the
/// `v1.28.0-dev` tag exists); Forgejo 16 is modelled from its `v16.0/forgejo` release branch.
pub const GITEA_LINES: [Version; 6] = [
    Version::new(1, 22),
    Version::new(1, 23),
    Version::new(1, 24),
    Version::new(1, 25),
    Version::new(1, 26),
    Version::new(1, 27),
];
pub const FORGEJO_LINES: [Version; 6] = [
    Version::new(11, 0),
    Version::new(12, 0),
    Version::new(13, 0),
    Version::new(14, 0),
    Version::new(15, 0),
    Version::new(16, 0),
];

pub fn lines(flavor: Flavor) -> &'static [Version] {
    match flavor {
        Flavor::Gitea => &GITEA_LINES,
        Flavor::Forgejo => &FORGEJO_LINES,
    }
}

/// The newest release line driftgate models for a flavor.
pub fn newest(flavor: Flavor) -> Version {
    lines(flavor)[lines(flavor).len() - 1]
}

/// "Gitea 1.22–1.27 and Forgejo 11–16", for messages.
pub fn modelled() -> String {
    format!(
        "Gitea {}–{} and Forgejo {}–{}",
        GITEA_LINES[0],
        GITEA_LINES[GITEA_LINES.len() - 1],
        FORGEJO_LINES[0].major,
        FORGEJO_LINES[FORGEJO_LINES.len() - 1].major
    )
}

/// Whether driftgate has rules for this release's line.
pub fn is_modelled(flavor: Flavor, v: Version) -> bool {
    lines(flavor).contains(&v.line())
}

/// `--forge-version`: a modelled release, with the flavor its number implies.
pub fn parse_flag(s: &str) -> Result<(Flavor, Version), String> {
    let v = Version::parse(s)
        .ok_or_else(|| format!("{s:?} is not a release number like 1.27, 1.27.3 or 15.0"))?;
    let flavor = Flavor::of(v).ok_or_else(|| {
        format!(
            "{s:?} is no Gitea (1.x) or Forgejo (7 and later) release; driftgate models {}",
            modelled()
        )
    })?;
    if !is_modelled(flavor, v) {
        return Err(format!(
            "{} {v} is not a release driftgate models; it models {}",
            flavor.title(),
            modelled()
        ));
    }
    Ok((flavor, v))
}

/// Tells the flavor and version from a `/api/v1/version` answer, or says why it cannot.
pub fn identify(server_version: &str) -> Result<(Flavor, Version), String> {
    let s = server_version.trim();
    let (core, meta) = match s.split_once('+') {
        Some((c, m)) => (c, Some(m)),
        None => (s, None),
    };
    // The release number is the part before any pre-release tail (`-dev-38-...`, `-rc0`).
    let release = core.split('-').next().unwrap_or(core);
    let version = Version::parse(release)
        .filter(|_| release.split('.').count() == 3)
        .ok_or_else(|| {
            format!("the server reports version {s:?}, which is not a release number; pass --flavor and --forge-version")
        })?;
    // A pre-release or branch build is not the release itself: its patch level is not known.
    let version = if core.contains('-') || meta.is_some_and(|m| !m.starts_with("gitea-")) {
        version.line()
    } else {
        version
    };
    match (Flavor::of(version), meta) {
        (Some(Flavor::Forgejo), _) => Ok((Flavor::Forgejo, version)),
        (Some(Flavor::Gitea), None) => Ok((Flavor::Gitea, version)),
        (Some(Flavor::Gitea), Some(m))
            if m.starts_with("dev")
                || m.starts_with("rc")
                || m.chars().next().is_some_and(|c| c.is_ascii_digit()) =>
        {
            Ok((Flavor::Gitea, version))
        }
        _ => Err(format!(
            "cannot tell Gitea from Forgejo by the server version {s:?}; pass --flavor and --forge-version"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_version_strings_identify_the_forge() {
        let cases = [
            ("1.24.3", Flavor::Gitea, Version::patch(1, 24, 3)),
            ("1.27.3", Flavor::Gitea, Version::patch(1, 27, 3)),
            (
                "1.28.0+dev-123-gabcdef1",
                Flavor::Gitea,
                Version::new(1, 28),
            ),
            ("1.27.3+12-gabcdef0", Flavor::Gitea, Version::new(1, 27)),
            ("1.25.0+rc0-12-gabc", Flavor::Gitea, Version::new(1, 25)),
            ("1.26.0-rc0", Flavor::Gitea, Version::new(1, 26)),
            (
                "15.0.3+gitea-1.22.0",
                Flavor::Forgejo,
                Version::patch(15, 0, 3),
            ),
            (
                "11.0.3+gitea-1.22.0",
                Flavor::Forgejo,
                Version::patch(11, 0, 3),
            ),
            ("15.0.3", Flavor::Forgejo, Version::patch(15, 0, 3)),
            (
                "17.0.0-dev-577-c4d05ee1a9+gitea-1.22.0",
                Flavor::Forgejo,
                Version::new(17, 0),
            ),
        ];
        for (s, flavor, v) in cases {
            assert_eq!(identify(s), Ok((flavor, v)), "{s}");
        }
    }

    #[test]
    fn unknown_strings_fail_closed() {
        for s in [
            "dev",
            "development",
            "",
            "1.2",
            "v1.24.0+custom",
            "<html>",
            "3.0.1",
        ] {
            assert!(identify(s).is_err(), "{s} must not be guessed");
        }
    }

    #[test]
    fn the_flag_takes_modelled_releases_only() {
        assert_eq!(parse_flag("1.27"), Ok((Flavor::Gitea, Version::new(1, 27))));
        assert_eq!(
            parse_flag("v15.0.3"),
            Ok((Flavor::Forgejo, Version::patch(15, 0, 3)))
        );
        assert_eq!(parse_flag("15"), Ok((Flavor::Forgejo, Version::new(15, 0))));
        assert_eq!(
            parse_flag("11.0.3"),
            Ok((Flavor::Forgejo, Version::patch(11, 0, 3)))
        );
        for bad in [
            "99.0", "1.21", "1.28", "10.0", "17", "2.0", "1.x", "1.2.3.4",
        ] {
            let e = parse_flag(bad).expect_err(bad);
            assert!(
                e.contains("1.22") || e.contains("release number"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn a_line_without_patch_is_its_newest_patch() {
        assert!(Version::new(11, 0).at_least(11, 0, 4));
        assert!(!Version::patch(11, 0, 3).at_least(11, 0, 4));
        assert!(Version::patch(12, 0, 2).at_least(12, 0, 2));
        assert!(Version::new(13, 0) > Version::patch(12, 0, 4));
    }
}
