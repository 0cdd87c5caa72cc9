//! `--resolve-tags`: for declarations by tag alone, where the tag points now in its registry
//! (runtime-pin's OCI client: anonymous, bearer, basic, docker-config credentials), so that a
//! container still running what the tag named before shows as `stale-container` even when the
//! engine's own copy of the tag never moved. One HEAD per distinct reference.

use std::collections::BTreeMap;
use std::time::Duration;

use super::compare::{Status, Verdict};
use super::desired::Declared;
use super::engine::Observed;
use super::names::ImageRef;
use crate::checks::runtime_pin::registry::{self, Lookup, Registry};
use crate::error::Error;
use crate::forge::http::{Http, HttpOptions};

/// The digest each tag-only declared image names in its registry now, or why it is not known.
pub type Resolved = BTreeMap<String, Result<String, Error>>;

/// Resolves every distinct tag-only image of `declared` (in turn: one request, or two with an
/// auth challenge, each).
pub async fn resolve(declared: &[Declared], timeout: Duration) -> Resolved {
    let mut out = Resolved::new();
    for d in declared {
        let tag_only = ImageRef::parse(&d.image).is_some_and(|r| r.digest.is_none());
        if !tag_only || out.contains_key(&d.image) {
            continue;
        }
        out.insert(d.image.clone(), one(&d.image, timeout).await);
    }
    out
}

async fn one(image: &str, timeout: Duration) -> Result<String, Error> {
    let reference = registry::parse_image(image)?;
    let creds = registry::credentials_for(reference.registry())?;
    // No forge token: a registry never gets it.
    let http = Http::new(HttpOptions::new(timeout, None, None))?;
    match Registry::new(&http, &reference, creds).resolve().await? {
        Lookup::Found(r) => Ok(r.digest),
        // A declared tag that is not in its registry cannot be pulled: it must exist.
        Lookup::Missing(why) => Err(Error::Unreachable(format!(
            "--resolve-tags: {image}: {why}"
        ))),
    }
}

/// Verdicts that the engine alone found in sync, checked against where the tag points now:
/// the running image must hold that digest among its RepoDigests.
pub fn recheck(d: &Declared, verdicts: &mut [Verdict], o: &Observed, resolved: &Resolved) {
    let Some(Ok(digest)) = resolved.get(&d.image) else {
        return;
    };
    let Some(declared) = ImageRef::parse(&d.image) else {
        return;
    };
    for v in verdicts.iter_mut().filter(|v| v.status == Status::InSync) {
        let Some(c) = o.containers.iter().find(|c| {
            v.container.as_deref() == c.names.first().map(String::as_str)
                || v.container.as_deref() == Some(c.id.as_str())
        }) else {
            continue;
        };
        let digests: Vec<&String> = o
            .images
            .iter()
            .find(|i| i.id == c.image_id)
            .map(super::compare::real_digests)
            .unwrap_or_default();
        if digests.is_empty() {
            v.status = Status::Unverifiable;
            v.message = format!(
                "{} names {digest} in its registry, but the running image {} has no RepoDigests to compare (built locally?)",
                declared.tagged(),
                c.image_id
            );
            continue;
        }
        let holds = digests.iter().any(|rd| {
            ImageRef::parse(rd)
                .is_some_and(|r| r.repo == declared.repo && r.digest.as_deref() == Some(digest))
        });
        if !holds {
            v.status = Status::Stale;
            v.message = format!(
                "{} now names {digest} in its registry, but the container runs {} (RepoDigests {}): the tag moved, the container was not recreated",
                declared.tagged(),
                c.image_id,
                digests
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
}
