//! Which forge a server is, from the string `GET /api/v1/version` answers.
//! Gitea answers its plain version (`1.25.3`, dev builds `1.26.0+dev-123-gabc`); Forgejo its own
//! version with the Gitea compatibility level as build metadata (`15.0.3+gitea-1.22.0`, dev builds
//! `17.0.0-dev-38-d883bd8f12+gitea-1.22.0`). Anything else is not guessed at.

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
}

impl fmt::Display for Flavor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A release as `major.minor`; patch levels do not change any behaviour driftgate models.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32) -> Self {
        Version { major, minor }
    }

    /// `X.Y` or `X.Y.Z` (a leading `v` allowed), as given to `--forge-version`.
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim().trim_start_matches('v');
        let mut parts = s.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = match parts.next() {
            Some(m) => m.parse().ok()?,
            None => 0,
        };
        if let Some(patch) = parts.next() {
            patch.parse::<u32>().ok()?;
        }
        if parts.next().is_some() {
            return None;
        }
        Some(Version { major, minor })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
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
            format!("the server reports version {s:?}, which is not a release number")
        })?;
    match meta {
        Some(m) if m.starts_with("gitea-") => Ok((Flavor::Forgejo, version)),
        Some(m) if m.starts_with("dev") || m.starts_with("rc") => Ok((Flavor::Gitea, version)),
        None if version.major == 1 => Ok((Flavor::Gitea, version)),
        _ => Err(format!(
            "cannot tell Gitea from Forgejo by the server version {s:?}; pass --flavor"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_version_strings_identify_the_forge() {
        let cases = [
            ("1.24.3", Flavor::Gitea, (1, 24)),
            ("1.26.0+dev-123-gabcdef1", Flavor::Gitea, (1, 26)),
            ("1.25.0+rc0-12-gabc", Flavor::Gitea, (1, 25)),
            ("1.26.0-rc0", Flavor::Gitea, (1, 26)),
            ("15.0.3+gitea-1.22.0", Flavor::Forgejo, (15, 0)),
            ("11.0.3+gitea-1.22.0", Flavor::Forgejo, (11, 0)),
            (
                "17.0.0-dev-38-d883bd8f12+gitea-1.22.0",
                Flavor::Forgejo,
                (17, 0),
            ),
        ];
        for (s, flavor, (major, minor)) in cases {
            assert_eq!(identify(s), Ok((flavor, Version::new(major, minor))), "{s}");
        }
    }

    #[test]
    fn unknown_strings_fail_closed() {
        for s in ["dev", "", "12.0.1", "1.2", "v1.24.0+custom", "<html>"] {
            assert!(identify(s).is_err(), "{s} must not be guessed");
        }
    }

    #[test]
    fn forge_version_flag_accepts_short_and_long_forms() {
        assert_eq!(Version::parse("1.27"), Some(Version::new(1, 27)));
        assert_eq!(Version::parse("v15.0.3"), Some(Version::new(15, 0)));
        assert_eq!(Version::parse("15"), Some(Version::new(15, 0)));
        assert_eq!(Version::parse("1.x"), None);
        assert_eq!(Version::parse("1.2.3.4"), None);
    }
}
