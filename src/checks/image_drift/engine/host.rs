//! `DOCKER_HOST` / `--docker-host` as the docker CLI reads it: `unix://PATH`, `tcp://HOST[:PORT]`
//! (TLS when `DOCKER_TLS_VERIFY` is non-empty, certificates from `DOCKER_CERT_PATH`, default
//! `~/.docker`), `https://HOST[:PORT]` and `ssh://[USER@]HOST[:PORT]`. A value without `://` is
//! `tcp://`, as the docker CLI treats it. Pure: the environment comes in as a function, and no
//! file is opened here.

use std::path::PathBuf;

use crate::error::Error;

/// Where `unix://` with no path points, as for the docker CLI.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The engine's conventional ports when `tcp://` gives none: plain HTTP, and TLS.
const PLAIN_PORT: u16 = 2375;
const TLS_PORT: u16 = 2376;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// A Unix socket (`unix://`).
    Unix(PathBuf),
    /// HTTP or HTTPS over TCP: `base` is `http(s)://host:port[/path]`, without a trailing `/`.
    Tcp { base: String, tls: Option<Tls> },
    /// `ssh://`: the engine of the far host, through `ssh … docker system dial-stdio`.
    Ssh(SshTarget),
}

/// TLS for a TCP engine: always verified. The files in `cert_dir` are used when present, as
/// the docker CLI does: `ca.pem` (then the only trusted roots), `cert.pem` + `key.pem` (the
/// client certificate).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tls {
    pub cert_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub user: Option<String>,
    /// The host as ssh takes it (no brackets around an IPv6 address).
    pub host: String,
    pub port: Option<u16>,
}

/// Parses `host` (the `--docker-host` or `DOCKER_HOST` value); `env` reads `DOCKER_TLS_VERIFY`,
/// `DOCKER_CERT_PATH` and `HOME`. Anything that cannot name an engine is a usage error.
pub fn parse(host: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Transport, Error> {
    let shown = redact(host);
    let usage = |why: &str| Error::Usage(format!("--docker-host {shown:?}: {why}"));
    if host.trim() != host || host.is_empty() || host.chars().any(char::is_control) {
        return Err(usage("not a Docker host URL"));
    }
    let (scheme, rest) = match host.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None if host.starts_with('/') => {
            return Err(usage(&format!(
                "a socket path needs the unix:// scheme (unix://{host})"
            )));
        }
        None => ("tcp".to_string(), host),
    };
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    let cert_dir = || {
        set("DOCKER_CERT_PATH")
            .map(PathBuf::from)
            .or_else(|| set("HOME").map(|h| PathBuf::from(h).join(".docker")))
    };
    match scheme.as_str() {
        "unix" => {
            if rest.contains(['?', '#']) {
                return Err(usage("a unix:// URL takes only a socket path"));
            }
            let path = if rest.is_empty() {
                DEFAULT_SOCKET
            } else {
                rest
            };
            Ok(Transport::Unix(PathBuf::from(path)))
        }
        // http:// as tcp://, as bollard took it.
        "tcp" | "http" | "https" => {
            let tls = scheme == "https" || set("DOCKER_TLS_VERIFY").is_some();
            let (authority, path) = match rest.find('/') {
                Some(i) => rest.split_at(i),
                None => (rest, ""),
            };
            if authority.contains('@') {
                return Err(usage("credentials in the URL are not supported"));
            }
            if path.contains(['?', '#']) {
                return Err(usage("a query or fragment is not supported"));
            }
            let (name, port) = host_port(authority).map_err(|e| usage(&e))?;
            let port = port.unwrap_or(if tls { TLS_PORT } else { PLAIN_PORT });
            let name = if name.contains(':') {
                format!("[{name}]")
            } else {
                name
            };
            let base = format!(
                "{}://{name}:{port}{}",
                if tls { "https" } else { "http" },
                path.trim_end_matches('/')
            );
            reqwest::Url::parse(&base).map_err(|e| usage(&format!("not a valid URL ({e})")))?;
            Ok(Transport::Tcp {
                base,
                tls: tls.then(|| Tls {
                    cert_dir: cert_dir(),
                }),
            })
        }
        "ssh" => {
            let rest = rest.strip_suffix('/').unwrap_or(rest);
            if rest.contains(['/', '?', '#']) {
                return Err(usage("an ssh:// URL takes no path, query or fragment"));
            }
            let (user, authority) = match rest.rsplit_once('@') {
                Some((u, a)) => (Some(u), a),
                None => (None, rest),
            };
            if let Some(u) = user {
                if u.contains(':') {
                    return Err(usage(
                        "a password in the URL is not supported; use a key or an ssh agent",
                    ));
                }
                if u.is_empty() || u.contains(char::is_whitespace) || u.starts_with('-') {
                    return Err(usage("not a valid user name"));
                }
            }
            let (host, port) = host_port(authority).map_err(|e| usage(&e))?;
            Ok(Transport::Ssh(SshTarget {
                user: user.map(str::to_string),
                host,
                port,
            }))
        }
        other => Err(usage(&format!(
            "the scheme {other}:// is not supported; use unix://, tcp://, https:// or ssh://"
        ))),
    }
}

/// The host for messages and reports: a password in the URL (refused anyway) never shows.
pub fn redact(host: &str) -> String {
    let Some((scheme, rest)) = host.split_once("://") else {
        return host.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rsplit_once('@') {
        Some((userinfo, at)) if userinfo.contains(':') => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{at}{}", &rest[end..])
        }
        _ => host.to_string(),
    }
}

/// `host`, `host:port`, `[v6]` or `[v6]:port` → (host without brackets, port).
fn host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(inner) = authority.strip_prefix('[') {
        let (h, after) = inner
            .split_once(']')
            .ok_or("an IPv6 address needs its closing ]")?;
        match after {
            "" => (h, None),
            p => (
                h,
                Some(p.strip_prefix(':').ok_or("junk after the IPv6 address")?),
            ),
        }
    } else {
        match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if host.starts_with('-') || host.contains(|c: char| c.is_whitespace() || c == '%') {
        return Err(format!("{host:?} is not a host name"));
    }
    let port = match port {
        None => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{p:?} is not a port"))?,
        ),
    };
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    fn parse_with(host: &str, vars: &'static [(&'static str, &'static str)]) -> Transport {
        parse(host, &env_of(vars)).unwrap_or_else(|e| panic!("{host}: {e}"))
    }

    fn usage(host: &str) -> String {
        match parse(host, &env_of(&[])) {
            Err(Error::Usage(m)) => m,
            other => panic!("{host}: expected a usage error, got {other:?}"),
        }
    }

    fn tcp(base: &str, tls: Option<&str>) -> Transport {
        Transport::Tcp {
            base: base.into(),
            tls: tls.map(|d| Tls {
                cert_dir: Some(PathBuf::from(d)),
            }),
        }
    }

    #[test]
    fn unix_sockets() {
        assert_eq!(
            parse_with("unix:///run/user/1000/docker.sock", &[]),
            Transport::Unix("/run/user/1000/docker.sock".into())
        );
        assert_eq!(
            parse_with("unix://", &[]),
            Transport::Unix(DEFAULT_SOCKET.into())
        );
        // TLS settings do not apply to a socket.
        assert_eq!(
            parse_with("UNIX:///var/run/docker.sock", &[("DOCKER_TLS_VERIFY", "1")]),
            Transport::Unix(DEFAULT_SOCKET.into())
        );
    }

    #[test]
    fn tcp_is_plain_http_unless_tls_verify_is_set() {
        assert_eq!(
            parse_with("tcp://10.0.0.5:2375", &[]),
            tcp("http://10.0.0.5:2375", None)
        );
        assert_eq!(
            parse_with("tcp://engine.example", &[]),
            tcp("http://engine.example:2375", None)
        );
        // The docker CLI reads a bare host:port as tcp://.
        assert_eq!(
            parse_with("engine.example:2375", &[]),
            tcp("http://engine.example:2375", None)
        );
        // Set but empty is unset, as for the docker CLI.
        assert_eq!(
            parse_with("tcp://10.0.0.5:2375", &[("DOCKER_TLS_VERIFY", "")]),
            tcp("http://10.0.0.5:2375", None)
        );
        assert_eq!(
            parse_with("http://10.0.0.5:80/", &[]),
            tcp("http://10.0.0.5:80", None)
        );
    }

    #[test]
    fn tls_takes_its_certificates_from_the_cert_path_or_home() {
        assert_eq!(
            parse_with(
                "tcp://engine.example:2376",
                &[("DOCKER_TLS_VERIFY", "1"), ("DOCKER_CERT_PATH", "/certs")]
            ),
            tcp("https://engine.example:2376", Some("/certs"))
        );
        assert_eq!(
            parse_with(
                "tcp://engine.example",
                &[("DOCKER_TLS_VERIFY", "yes"), ("HOME", "/home/ops")]
            ),
            tcp("https://engine.example:2376", Some("/home/ops/.docker"))
        );
        assert_eq!(
            parse_with("https://[::1]:8443/engine/", &[("HOME", "/root")]),
            tcp("https://[::1]:8443/engine", Some("/root/.docker"))
        );
        assert_eq!(
            parse_with("https://engine.example", &[]),
            Transport::Tcp {
                base: "https://engine.example:2376".into(),
                tls: Some(Tls { cert_dir: None })
            }
        );
    }

    #[test]
    fn ssh_with_user_and_port() {
        let ssh = |user: Option<&str>, host: &str, port: Option<u16>| {
            Transport::Ssh(SshTarget {
                user: user.map(str::to_string),
                host: host.into(),
                port,
            })
        };
        assert_eq!(
            parse_with("ssh://root@10.0.0.5", &[]),
            ssh(Some("root"), "10.0.0.5", None)
        );
        assert_eq!(
            parse_with("ssh://ops@prod-1:2222", &[]),
            ssh(Some("ops"), "prod-1", Some(2222))
        );
        assert_eq!(parse_with("ssh://prod-1/", &[]), ssh(None, "prod-1", None));
        assert_eq!(
            parse_with("ssh://me@[fe80::1]:22", &[]),
            ssh(Some("me"), "fe80::1", Some(22))
        );
    }

    #[test]
    fn what_cannot_name_an_engine_is_a_usage_error() {
        for (host, says) in [
            (
                "npipe:////./pipe/docker_engine",
                "npipe:// is not supported",
            ),
            ("fd://", "fd:// is not supported"),
            ("/var/run/docker.sock", "unix:///var/run/docker.sock"),
            ("", "not a Docker host URL"),
            (" tcp://a:1", "not a Docker host URL"),
            ("tcp://", "no host"),
            ("tcp://host:notaport", "is not a port"),
            ("tcp://host:0", "is not a port"),
            ("tcp://host:65536", "is not a port"),
            ("tcp://user:pw@host:2375", "credentials"),
            ("tcp://host:2375/x?y=1", "query"),
            ("ssh://user:secret@host", "password"),
            ("ssh://host/some/path", "no path"),
            ("ssh://-oProxyCommand=x", "not a host name"),
            ("ssh://@host", "not a valid user name"),
            ("ssh://[::1", "closing ]"),
            ("unix:///x?y", "only a socket path"),
        ] {
            let m = usage(host);
            assert!(m.contains(says), "{host:?}: {m}");
        }
    }

    #[test]
    fn a_password_in_the_url_never_shows() {
        for host in [
            "ssh://ops:hunter22@prod-1",
            "tcp://ops:hunter22@prod-1:2375/x",
        ] {
            let m = usage(host);
            assert!(
                !m.contains("hunter22") && m.contains("ops:***@prod-1"),
                "{m}"
            );
        }
        assert_eq!(redact("ssh://ops@prod-1:22"), "ssh://ops@prod-1:22");
        assert_eq!(
            redact("unix:///var/run/docker.sock"),
            "unix:///var/run/docker.sock"
        );
    }
}
