//! Registry credentials from a docker `config.json` (`$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`), as `docker login` leaves them: `auths.<registry>.auth` is
//! base64 of `user:password` (docker/cli `configfile.decodeAuth`), or `username`/`password`
//! beside it. Credential helpers (`credsStore`, `credHelpers`) are programs driftgate does
//! not run: with one configured and no `auths` entry, the registry is asked anonymously.

use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::Value;

use super::registry::Credentials;

/// A config file is a few KiB; a bigger one is not read.
const MAX_CONFIG: u64 = 1024 * 1024;

/// The config file docker would read.
pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    match env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        Some(dir) => Some(Path::new(&dir).join("config.json")),
        None => env("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| Path::new(&h).join(".docker/config.json")),
    }
}

/// The credentials `config.json` holds for `registry` (the host as the image names it), if
/// any. An unreadable or malformed file is an error: it was meant to be used.
pub fn credentials(
    env: &dyn Fn(&str) -> Option<String>,
    registry: &str,
) -> Result<Option<Credentials>, String> {
    let Some(file) = path(env) else {
        return Ok(None);
    };
    let text = match crate::fsread::read_text(&file, MAX_CONFIG, true) {
        Ok(t) => t,
        Err(crate::fsread::ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(format!("the docker config {} {e}", file.display())),
    };
    let doc: Value = serde_json::from_str(&text)
        .map_err(|e| format!("the docker config {} is not JSON: {e}", file.display()))?;
    let Some(auths) = doc.get("auths").and_then(Value::as_object) else {
        return Ok(None);
    };
    let wanted = host_key(registry);
    let Some(entry) = auths
        .iter()
        .find(|(k, _)| host_key(k) == wanted)
        .map(|(_, v)| v)
    else {
        return Ok(None);
    };
    let named = |k: &str| {
        entry
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let creds = if let Some(auth) = named("auth") {
        crate::secrets::register(&auth);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| format!("the docker config's auth for {registry} is not base64"))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| format!("the docker config's auth for {registry} is not text"))?;
        let (user, password) = text.split_once(':').ok_or_else(|| {
            format!("the docker config's auth for {registry} is not user:password")
        })?;
        Credentials {
            username: user.to_string(),
            password: password.trim_end_matches('\n').to_string(),
        }
    } else {
        match (named("username"), named("password")) {
            (Some(username), Some(password)) => Credentials { username, password },
            _ => return Ok(None),
        }
    };
    crate::secrets::register(&creds.password);
    Ok(Some(creds))
}

/// The key docker files credentials under, reduced to a host: `https://host/v1/` → `host`;
/// every Docker Hub spelling to `docker.io` (docker/cli `registry.ConvertToHostname` and
/// `IndexServer`).
fn host_key(k: &str) -> String {
    let k = k.trim();
    let k = k
        .strip_prefix("https://")
        .or_else(|| k.strip_prefix("http://"))
        .unwrap_or(k);
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" | "registry.hub.docker.com" => {
            "docker.io".into()
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with_config(text: &str) -> (PathBuf, impl Fn(&str) -> Option<String>) {
        let dir = std::env::temp_dir().join(format!(
            "dg-docker-config-{}-{}",
            std::process::id(),
            text.len()
        ));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join("config.json"), text).expect("write");
        let m: HashMap<String, String> =
            [("DOCKER_CONFIG".to_string(), dir.display().to_string())].into();
        (dir, move |k: &str| m.get(k).cloned())
    }

    #[test]
    fn auth_entries_by_host_in_every_spelling() {
        // base64("ci:s3cret:with:colons")
        let auth = base64::engine::general_purpose::STANDARD.encode("ci:s3cret:with:colons");
        let text = format!(
            r#"{{"auths": {{"https://index.docker.io/v1/": {{"auth": "{auth}"}},
                "127.0.0.1:5000": {{"username": "u", "password": "p"}},
                "https://ghcr.io": {{}}}}, "credsStore": "desktop"}}"#
        );
        let (dir, env) = with_config(&text);
        let hub = credentials(&env, "docker.io").expect("read").expect("hub");
        assert_eq!(
            (hub.username.as_str(), hub.password.as_str()),
            ("ci", "s3cret:with:colons")
        );
        let local = credentials(&env, "127.0.0.1:5000")
            .expect("read")
            .expect("local");
        assert_eq!(local.username, "u");
        assert_eq!(credentials(&env, "ghcr.io").expect("read"), None);
        assert_eq!(credentials(&env, "quay.io").expect("read"), None);
        // The password is a secret from now on.
        assert_eq!(crate::secrets::redact("x s3cret:with:colons y"), "x *** y");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_broken_config_is_an_error_and_a_missing_one_is_nothing() {
        let (dir, env) = with_config(r#"{"auths": {"r.example": {"auth": "%%%"}}}"#);
        assert!(credentials(&env, "r.example").is_err());
        let _ = std::fs::remove_dir_all(dir);
        let (dir, env) = with_config("not json");
        assert!(credentials(&env, "r.example").is_err());
        let _ = std::fs::remove_dir_all(dir);
        let none = |k: &str| (k == "DOCKER_CONFIG").then(|| "/nonexistent-dg".to_string());
        assert_eq!(credentials(&none, "r.example").expect("missing"), None);
    }
}
