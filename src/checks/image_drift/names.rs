//! Image names as the engine and users write them, normalised so they compare:
//! `redis` = `docker.io/library/redis:latest`, `127.0.0.1:5000/app@sha256:…`.

use crate::reference::Reference;

/// A declared or observed image reference, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// `registry/repository`, e.g. `docker.io/library/redis`.
    pub repo: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ImageRef {
    pub fn parse(s: &str) -> Option<ImageRef> {
        let r = Reference::parse(s.trim()).ok()?;
        let digest = r.digest().map(str::to_string);
        // A name alone means `latest`; a digest without a tag has no tag.
        let tag = match (r.tag(), &digest) {
            (Some(t), _) => Some(t.to_string()),
            (None, None) => Some("latest".to_string()),
            (None, Some(_)) => None,
        };
        Some(ImageRef {
            repo: r.name(),
            tag,
            digest,
        })
    }

    /// `repo:tag` (tag defaulting to latest), for comparing tag references.
    pub fn tagged(&self) -> String {
        format!("{}:{}", self.repo, self.tag.as_deref().unwrap_or("latest"))
    }
}

/// What the engine shows as a container's image when its tag no longer points at the image
/// the container runs: the image ID (`sha256:…`) or a short hex prefix of it.
pub fn looks_like_image_id(s: &str) -> bool {
    let hex = s.strip_prefix("sha256:").unwrap_or(s);
    hex.len() >= 12 && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_short_names_normalise() {
        let r = ImageRef::parse("redis").expect("ref");
        assert_eq!(r.repo, "docker.io/library/redis");
        assert_eq!(r.tagged(), "docker.io/library/redis:latest");
        assert_eq!(
            ImageRef::parse("docker.io/library/redis:latest").map(|r| r.tagged()),
            Some(r.tagged())
        );
        let d = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        let r = ImageRef::parse(&format!("127.0.0.1:5000/team/app@{d}")).expect("digest ref");
        assert_eq!(
            (r.repo.as_str(), r.tag.as_deref(), r.digest.as_deref()),
            ("127.0.0.1:5000/team/app", None, Some(d))
        );
        let r = ImageRef::parse(&format!("ghcr.io/o/app:1.2@{d}")).expect("tag+digest");
        assert_eq!(
            (r.tag.as_deref(), r.digest.as_deref()),
            (Some("1.2"), Some(d))
        );
        assert!(ImageRef::parse("not a ref").is_none());
    }

    #[test]
    fn image_ids_are_recognised() {
        assert!(looks_like_image_id(
            "sha256:0123456789abcdef0123456789abcdef"
        ));
        assert!(looks_like_image_id("0123456789ab"));
        assert!(!looks_like_image_id("redis"));
        assert!(!looks_like_image_id("deadbeef"));
    }
}
