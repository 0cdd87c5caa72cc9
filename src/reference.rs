//! Image references as Docker reads them (`github.com/distribution/reference`,
//! `ParseNormalizedNamed`): `redis` is `docker.io/library/redis`, `L/z` names the registry `L`.
//! The grammar is ASCII, so it is checked by hand in microseconds; a regex engine built for
//! Unicode classes cost 55 ms per run.
//!
//! ```text
//! reference        := name [ ":" tag ] [ "@" digest ]
//! name             := [ domain "/" ] remote-name
//! domain           := host [ ":" port ]        host := domain-name | "[" ipv6 "]"
//! domain-name      := component ( "." component )*   component := [A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?
//! remote-name      := path-component ( "/" path-component )*
//! path-component   := [a-z0-9]+ ( separator [a-z0-9]+ )*   separator := "." | "_" | "__" | "-"+
//! tag              := [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}
//! digest           := algorithm ":" hex, sha256/384/512 with the exact lower-case length
//! ```

use std::fmt;

/// Longest repository path (`RepositoryNameTotalLengthMax`).
const PATH_MAX: usize = 255;
/// Longest tag (`[\w][\w.-]{0,127}`).
const TAG_MAX: usize = 128;

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";

/// A reference normalised as Docker does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    /// `docker.io`, `127.0.0.1:5000`, `ghcr.io`.
    domain: String,
    /// `library/redis`, `team/app`.
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl Reference {
    /// Reads a reference the way `docker pull` and compose do; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Reference, String> {
        if s.is_empty() {
            return Err("repository name must have at least one component".into());
        }
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9')) {
            return Err("cannot specify 64-byte hexadecimal strings".into());
        }
        let (domain, remainder) = split_docker_domain(s);
        let remainder: &str = &remainder;
        let remote = remainder.split(':').next().unwrap_or(remainder);
        if remote.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(format!("repository name ({remote}) must be lowercase"));
        }
        let (rest, digest) = match remainder.split_once('@') {
            Some((rest, d)) => (rest, Some(digest(d)?)),
            None => (remainder, None),
        };
        // A `:` after the last `/` separates the tag: the name has none there.
        let (path, tag) = match rest.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t)),
            _ => (rest, None),
        };
        if tag.is_some_and(|t| !is_tag(t)) {
            return Err("invalid reference format".into());
        }
        if !is_domain_and_port(domain) || !is_remote_name(path) {
            return Err("invalid reference format".into());
        }
        if path.len() > PATH_MAX {
            return Err(format!(
                "repository name must not be more than {PATH_MAX} characters"
            ));
        }
        Ok(Reference {
            domain: domain.to_string(),
            path: path.to_string(),
            tag: tag.map(str::to_string),
            digest,
        })
    }

    /// The registry as written in the name (`docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        &self.domain
    }

    /// The repository within the registry (`library/redis`).
    pub fn repository(&self) -> &str {
        &self.path
    }

    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The same reference with `latest` where it names no tag and no digest, as `docker pull`
    /// reads a bare name.
    pub fn or_latest(mut self) -> Reference {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some("latest".to_string());
        }
        self
    }

    /// `registry/repository`.
    pub fn name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The host serving the registry API: Docker Hub's names say `docker.io`, its API is
    /// `registry-1.docker.io` (moby `registry.DefaultV2Registry`).
    pub fn api_host(&self) -> &str {
        if self.domain == DEFAULT_DOMAIN {
            "registry-1.docker.io"
        } else {
            &self.domain
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.domain, self.path)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// `splitDockerDomain`: the first component is the registry when it is `localhost`, contains
/// `.` or `:`, or has upper case (repository names cannot); otherwise the name is on Docker
/// Hub, where a one-component name is an official image under `library/`.
fn split_docker_domain(name: &str) -> (&str, std::borrow::Cow<'_, str>) {
    use std::borrow::Cow;
    let (domain, remote) = match name.split_once('/') {
        None => (DEFAULT_DOMAIN, name),
        Some((d, r)) if d == "localhost" => (d, r),
        Some((d, r)) if d == LEGACY_DOMAIN => (DEFAULT_DOMAIN, r),
        Some((d, r)) if d.contains(['.', ':']) => (d, r),
        Some((d, r)) if d.bytes().any(|b| b.is_ascii_uppercase()) => (d, r),
        Some(_) => (DEFAULT_DOMAIN, name),
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        (domain, Cow::Owned(format!("{OFFICIAL_PREFIX}{remote}")))
    } else {
        (domain, Cow::Borrowed(remote))
    }
}

/// A digest Docker accepts: the reference grammar's `algorithm:hex{32,}`, then go-digest's
/// validation, which knows sha256, sha384 and sha512 and wants their exact lower-case length.
fn digest(d: &str) -> Result<String, String> {
    let (alg, hex) = d.split_once(':').ok_or("invalid digest format")?;
    let len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err(format!("unsupported digest algorithm {alg:?}")),
    };
    if hex.len() != len || !hex.bytes().all(|b| matches!(b, b'a'..=b'f' | b'0'..=b'9')) {
        return Err("invalid digest format".into());
    }
    Ok(d.to_string())
}

fn is_tag(t: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut bytes = t.bytes();
    t.len() <= TAG_MAX
        && bytes.next().is_some_and(word)
        && bytes.all(|b| word(b) || b == b'.' || b == b'-')
}

fn is_domain_and_port(d: &str) -> bool {
    let (host, port) = if let Some(rest) = d.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else {
            return false;
        };
        if inside.is_empty() || !inside.bytes().all(|b| b.is_ascii_hexdigit() || b == b':') {
            return false;
        }
        match after {
            "" => return true,
            a => ("", a.strip_prefix(':').map(Some).unwrap_or(Some(""))),
        }
    } else {
        match d.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (d, None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = if d.starts_with('[') {
        true
    } else {
        !host.is_empty() && host.split('.').all(is_domain_component)
    };
    port_ok && host_ok
}

fn is_domain_component(c: &str) -> bool {
    let b = c.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) => {
            f.is_ascii_alphanumeric()
                && l.is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        }
        _ => false,
    }
}

fn is_remote_name(p: &str) -> bool {
    p.split('/').all(is_path_component)
}

/// `[a-z0-9]+ (separator [a-z0-9]+)*` with separators `.`, `_`, `__` or any run of `-`.
fn is_path_component(c: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let b = c.as_bytes();
    let mut i = 0;
    loop {
        let start = i;
        while b.get(i).copied().is_some_and(alnum) {
            i += 1;
        }
        if i == start {
            return false;
        }
        let sep = i;
        while b.get(i).is_some_and(|x| !alnum(*x)) {
            i += 1;
        }
        if i == b.len() && sep == i {
            return true;
        }
        match &c[sep..i] {
            "." | "_" | "__" => {}
            s if !s.is_empty() && s.bytes().all(|x| x == b'-') => {}
            _ => return false,
        }
        if i == b.len() {
            return false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from distribution/reference's normalize_test.go and reference_test.go
    /// (`TestParseNormalizedNamed`, `TestReferenceParse`), read at v0.6.0.
    #[test]
    fn reads_names_as_docker_does() {
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        for (input, want) in [
            ("redis", "docker.io/library/redis"),
            ("redis:7", "docker.io/library/redis:7"),
            ("docker.io/redis", "docker.io/library/redis"),
            ("index.docker.io/redis", "docker.io/library/redis"),
            ("team/app", "docker.io/team/app"),
            ("localhost/app", "localhost/app"),
            ("localhost:5000/app:v1", "localhost:5000/app:v1"),
            ("127.0.0.1:5000/team/app", "127.0.0.1:5000/team/app"),
            ("[::1]:5000/app", "[::1]:5000/app"),
            ("[fe80::1]/app", "[fe80::1]/app"),
            ("L/z", "L/z"),
            ("Example.com/a__b/c--d/e.f", "Example.com/a__b/c--d/e.f"),
            ("ghcr.io/o/app:1.2_X-y", "ghcr.io/o/app:1.2_X-y"),
        ] {
            assert_eq!(
                Reference::parse(input).map(|r| r.to_string()).as_deref(),
                Ok(want),
                "{input}"
            );
        }
        let r = Reference::parse(&format!("ghcr.io/o/app:1.2@{d}")).expect("ref");
        assert_eq!(
            (r.registry(), r.repository(), r.tag(), r.digest()),
            ("ghcr.io", "o/app", Some("1.2"), Some(d))
        );
        for bad in [
            "",
            "Redis",
            "team/App",
            "a/b:",
            "a/b@sha256:abc",
            "a/b@md5:0123456789abcdef0123456789abcdef",
            "a/b@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
            "a/b:-tag",
            "a/.b",
            "a/b.",
            "a/b___c",
            "a/b._c",
            "a//b",
            "has space:x",
            "a/b:t/c",
            "-a.com/b",
            "a.com:/b",
            "a.com:x1/b",
            "[::1/b",
            "[zz]/b",
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "héllo",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Reference::parse(&format!("a/{}", "b".repeat(300))).is_err());
        assert!(Reference::parse(&format!("a:{}", "t".repeat(129))).is_err());
        assert!(Reference::parse(&format!("a:{}", "t".repeat(128))).is_ok());
    }

    #[test]
    fn normalising_is_idempotent() {
        for s in [
            "L/z",
            "redis",
            "a.b/c:1",
            "[::1]:1/x@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            let once = Reference::parse(s).expect("ref");
            assert_eq!(Reference::parse(&once.to_string()), Ok(once), "{s}");
        }
    }

    #[test]
    fn docker_hub_is_served_by_registry_1() {
        let r = Reference::parse("redis").expect("ref");
        assert_eq!(r.api_host(), "registry-1.docker.io");
        let r = Reference::parse("127.0.0.1:5000/a").expect("ref");
        assert_eq!(r.api_host(), "127.0.0.1:5000");
    }
}
