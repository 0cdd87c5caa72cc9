//! The comparison, as pure logic over what was declared and what the engine lists:
//! a declared digest is in sync only if it is among ALL RepoDigests of the running image for
//! that repository; the image ID alone is never proof; a tag is compared with the container's
//! configured image and with where the tag points now.

use super::desired::{Declared, Selector};
use super::engine::{Container, Image, Observed};
use super::names::{ImageRef, looks_like_image_id};

const PROJECT_LABEL: &str = "com.docker.compose.project";
const SERVICE_LABEL: &str = "com.docker.compose.service";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Unverifiable,
    Missing,
    Stopped,
    Drift,
    Stale,
    InSync,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Unverifiable => "unverifiable",
            Status::Missing => "missing-container",
            Status::Stopped => "stopped-container",
            Status::Drift => "drift",
            Status::Stale => "stale-container",
            Status::InSync => "in-sync",
        }
    }
}

/// The verdict on one container (or on the absence of any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub container: Option<String>,
    pub status: Status,
    pub message: String,
}

pub fn containers_for<'a>(d: &Declared, o: &'a Observed) -> Vec<&'a Container> {
    o.containers
        .iter()
        .filter(|c| match &d.selector {
            Selector::Compose { project, service } => {
                c.labels.get(PROJECT_LABEL) == Some(project)
                    && c.labels.get(SERVICE_LABEL) == Some(service)
            }
            Selector::Name(n) => c.names.iter().any(|x| x == n),
        })
        .collect()
}

pub fn compare(d: &Declared, o: &Observed) -> Vec<Verdict> {
    let Some(declared) = ImageRef::parse(&d.image) else {
        return vec![Verdict {
            container: None,
            status: Status::Unverifiable,
            message: format!("the declared image {:?} is not an image reference", d.image),
        }];
    };
    let containers = containers_for(d, o);
    if containers.is_empty() {
        let how = match &d.selector {
            Selector::Compose { project, service } => {
                format!(
                    "no container has the labels {PROJECT_LABEL}={project} and {SERVICE_LABEL}={service}"
                )
            }
            Selector::Name(n) => format!("no container is named {n}"),
        };
        return vec![Verdict {
            container: None,
            status: Status::Missing,
            message: format!("{} is declared but {how}", d.image),
        }];
    }
    containers
        .into_iter()
        .map(|c| {
            let (status, message) = if c.state != "running" {
                (
                    Status::Stopped,
                    format!(
                        "the container is {} (declared {})",
                        if c.state.is_empty() {
                            "not running"
                        } else {
                            &c.state
                        },
                        d.image
                    ),
                )
            } else {
                match &declared.digest {
                    Some(digest) => by_digest(&declared, digest, c, o),
                    None => by_tag(&declared, c, o),
                }
            };
            Verdict {
                container: c.names.first().cloned().or_else(|| Some(c.id.clone())),
                status,
                message,
            }
        })
        .collect()
}

fn image<'a>(o: &'a Observed, id: &str) -> Option<&'a Image> {
    o.images.iter().find(|i| i.id == id)
}

fn by_digest(declared: &ImageRef, digest: &str, c: &Container, o: &Observed) -> (Status, String) {
    let Some(img) = image(o, &c.image_id) else {
        return (
            Status::Unverifiable,
            format!(
                "the container runs image {}, which the engine does not list",
                c.image_id
            ),
        );
    };
    let digests = real_digests(img);
    if digests.is_empty() {
        let why = if img.repo_digests.is_empty() {
            "has no RepoDigests (built locally, never pushed or pulled, or its tag moved under the containerd image store)"
        } else {
            "is dangling (RepoDigests <none>@<none>: its tag moved on, or it was never pushed)"
        };
        return (
            Status::Unverifiable,
            format!(
                "the running image {} {why}, so {digest} cannot be proven; an image ID is never proof",
                img.id
            ),
        );
    }
    let found = digests.iter().any(|rd| {
        ImageRef::parse(rd)
            .is_some_and(|r| r.repo == declared.repo && r.digest.as_deref() == Some(digest))
    });
    if found {
        (Status::InSync, format!("runs {}@{digest}", declared.repo))
    } else {
        (
            Status::Drift,
            format!(
                "declared {}@{digest}, but the running image {} has RepoDigests {}",
                declared.repo,
                img.id,
                digests
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    }
}

/// An image's RepoDigests without the engine's placeholder `<none>@<none>`, which a dangling
/// image (its tag moved on, or never pushed) shows instead of a digest; the containerd image
/// store answers `[]` instead.
pub fn real_digests(img: &Image) -> Vec<&String> {
    img.repo_digests
        .iter()
        .filter(|rd| !rd.starts_with("<none>"))
        .collect()
}

fn by_tag(declared: &ImageRef, c: &Container, o: &Observed) -> (Status, String) {
    let want = declared.tagged();
    let has_tag = |i: &&Image| {
        i.repo_tags
            .iter()
            .any(|t| ImageRef::parse(t).is_some_and(|r| r.tagged() == want))
    };
    let tagged = o.images.iter().find(has_tag);
    let configured = ImageRef::parse(&c.image).map(|r| r.tagged());
    let stale = |t: &Image| {
        (
            Status::Stale,
            format!(
                "{want} now points to {}, but the container still runs {} (recreate it)",
                t.id, c.image_id
            ),
        )
    };
    if configured.as_deref() == Some(want.as_str()) && !looks_like_image_id(&c.image) {
        return match tagged {
            Some(t) if t.id != c.image_id => stale(t),
            _ => (Status::InSync, format!("runs {want}")),
        };
    }
    if looks_like_image_id(&c.image) {
        // The engine shows the ID when the name no longer points at the running image.
        match tagged {
            Some(t) if t.id == c.image_id => return (Status::InSync, format!("runs {want}")),
            Some(t) => return stale(t),
            None => {}
        }
    }
    (
        Status::Drift,
        format!(
            "declared {want}, but the container runs {} ({})",
            c.image, c.image_id
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn decl(image: &str) -> Declared {
        Declared {
            name: "web".into(),
            source: "compose.yml".into(),
            image: image.into(),
            selector: Selector::Compose {
                project: "p".into(),
                service: "web".into(),
            },
        }
    }

    fn container(image: &str, image_id: &str, state: &str) -> Container {
        Container {
            id: "c1".into(),
            names: vec!["p-web-1".into()],
            image: image.into(),
            image_id: image_id.into(),
            labels: HashMap::from([
                (PROJECT_LABEL.to_string(), "p".to_string()),
                (SERVICE_LABEL.to_string(), "web".to_string()),
            ]),
            state: state.into(),
        }
    }

    fn img(id: &str, tags: &[&str], digests: &[&str]) -> Image {
        Image {
            id: id.into(),
            repo_tags: tags.iter().map(|s| s.to_string()).collect(),
            repo_digests: digests.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn status(d: &Declared, o: &Observed) -> Status {
        compare(d, o)[0].status
    }

    #[test]
    fn digests_are_checked_against_all_repo_digests_never_the_image_id() {
        let o = Observed {
            containers: vec![container("r.io/app:v1", "sha256:1111", "running")],
            images: vec![img(
                "sha256:1111",
                &["r.io/app:v1"],
                &[&format!("r.io/other@{B}"), &format!("r.io/app@{A}")],
            )],
            calls: 2,
        };
        assert_eq!(status(&decl(&format!("r.io/app@{A}")), &o), Status::InSync);
        assert_eq!(
            status(&decl(&format!("r.io/app:v1@{A}")), &o),
            Status::InSync
        );
        assert_eq!(
            status(&decl(&format!("r.io/app@{B}")), &o),
            Status::Drift,
            "B is another repo's digest"
        );
        // The image ID is A's hex, but no RepoDigest: never proof.
        let o2 = Observed {
            containers: vec![container("r.io/app:v1", A, "running")],
            images: vec![img(A, &["r.io/app:v1"], &[])],
            calls: 2,
        };
        assert_eq!(
            status(&decl(&format!("r.io/app@{A}")), &o2),
            Status::Unverifiable
        );
        // A dangling image: the engine's placeholders are no digest (never drift, exit 2).
        let o3 = Observed {
            containers: vec![container(A, A, "running")],
            images: vec![img(A, &["<none>:<none>"], &["<none>@<none>"])],
            calls: 2,
        };
        let v = &compare(&decl(&format!("r.io/app@{A}")), &o3)[0];
        assert_eq!(v.status, Status::Unverifiable);
        assert!(v.message.contains("dangling"), "{}", v.message);
    }

    #[test]
    fn tags_missing_stopped_and_stale() {
        let running = container("redis", "sha256:1111", "running");
        let o = Observed {
            containers: vec![running.clone()],
            images: vec![img("sha256:1111", &["redis:latest"], &[])],
            calls: 2,
        };
        assert_eq!(
            status(&decl("docker.io/library/redis:latest"), &o),
            Status::InSync
        );
        assert_eq!(status(&decl("redis:7"), &o), Status::Drift);
        // The tag moved to another local image; the engine shows the old image's ID.
        let o = Observed {
            containers: vec![container(
                "sha256:1111aaaabbbbcccc",
                "sha256:1111aaaabbbbcccc",
                "running",
            )],
            images: vec![
                img("sha256:1111aaaabbbbcccc", &[], &[]),
                img("sha256:2222", &["redis:latest"], &[]),
            ],
            calls: 2,
        };
        assert_eq!(status(&decl("redis"), &o), Status::Stale);
        let o = Observed {
            containers: vec![container("redis", "sha256:1111", "exited")],
            images: vec![],
            calls: 2,
        };
        assert_eq!(status(&decl("redis"), &o), Status::Stopped);
        let o = Observed {
            containers: vec![],
            images: vec![],
            calls: 2,
        };
        assert_eq!(status(&decl("redis"), &o), Status::Missing);
    }
}
