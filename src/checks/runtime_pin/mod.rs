//! `runtime-pin`: after a publish, read the promoted pin back and fail unless it equals the
//! digest just pushed. The pin is a row of a control-plane JSON API (`--url`, `control_plane`)
//! or a registry tag (`--image`, `registry`).

pub mod control_plane;
pub mod digest;
pub mod docker_config;
pub mod registry;

use std::time::{Duration, Instant};

use serde_json::json;

use crate::reference::Reference;
use control_plane::{Reading, Selector};
use registry::{Credentials, Lookup, Registry};

use crate::error::Error;
use crate::forge::http::{Http, HttpOptions};
use crate::outcome::Finding;
use crate::report::{Report, Section};

/// Polling under `--wait`: the first pause, doubled up to the cap.
const FIRST_POLL: Duration = Duration::from_secs(1);
const MAX_POLL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub enum Source {
    ControlPlane {
        url: String,
        selector: Selector,
    },
    Registry {
        image: Reference,
        credentials: Option<Credentials>,
    },
}

impl Source {
    pub fn describe(&self) -> String {
        match self {
            Source::ControlPlane { url, .. } => format!("control plane {url}"),
            Source::Registry { image, .. } => format!("registry tag {image}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// The digest just pushed (already validated).
    pub expected: String,
    pub source: Source,
    pub wait: Duration,
    pub http: HttpOptions,
}

/// What the run did, for the report.
struct Progress {
    reads: usize,
    waited: Duration,
    last: Option<Reading>,
}

pub async fn run(o: &Options) -> Report {
    let mut progress = Progress {
        reads: 0,
        waited: Duration::ZERO,
        last: None,
    };
    let findings = match poll(o, &mut progress).await {
        Ok(reading) => {
            let mut f = reading.findings.clone();
            f.extend(reading.notes.iter().cloned());
            progress.last = Some(reading);
            f
        }
        Err(e) => vec![e.into_finding(o.source.describe())],
    };
    build(o, &progress, findings)
}

async fn poll(o: &Options, p: &mut Progress) -> Result<Reading, Error> {
    let mut opts = o.http.clone();
    match &o.source {
        Source::ControlPlane { url, .. } => {
            if o.http.token.is_none() {
                return Err(Error::Usage(format!(
                    "no token: the control plane is read with a bearer token from one of {} (or the variable named by --token-env)",
                    crate::forge::http::TOKEN_CHAIN.join(", ")
                )));
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Error::Usage(format!(
                    "--url {url:?} must start with http:// or https://"
                )));
            }
            opts.auth_scheme = "Bearer";
        }
        // The forge token is not a registry credential: never send it to a registry.
        Source::Registry { .. } => opts.token = None,
    }
    let http = Http::new(opts)?;
    let start = Instant::now();
    let mut pause = FIRST_POLL;
    loop {
        p.reads += 1;
        let outcome = read_once(&http, o).await;
        p.waited = start.elapsed();
        let left = o.wait.saturating_sub(start.elapsed());
        let done = match &outcome {
            Ok(r) => r.in_sync() || left.is_zero(),
            // Credentials do not get better by waiting.
            Err(Error::Auth(_) | Error::Usage(_)) => true,
            Err(_) => left.is_zero(),
        };
        if !o.wait.is_zero() {
            let next = (!done).then(|| pause.min(left));
            eprintln!("{}", progress_line(p, &outcome, &o.expected, left, next));
        }
        if done {
            return outcome;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}

/// One line per read under `--wait`, on stderr (stdout may be the JSON report): what was read,
/// what was wanted, the time left. The text read from the remote is guarded and redacted like
/// every other output.
fn progress_line(
    p: &Progress,
    outcome: &Result<Reading, Error>,
    expected: &str,
    left: Duration,
    next: Option<Duration>,
) -> String {
    let read = match outcome {
        Ok(r) if r.in_sync() => format!("pinned {}", r.pinned.join(", ")),
        Ok(r) => {
            let kinds: Vec<&str> = r.findings.iter().map(|f| f.kind).collect();
            if r.pinned.is_empty() {
                kinds.join(", ")
            } else {
                format!("{} (pinned {})", kinds.join(", "), r.pinned.join(", "))
            }
        }
        Err(e) => {
            let m = e.to_string();
            let cut = crate::secrets::safe_cut(&m, 200);
            format!("{}: {}", e.kind(), &m[..cut])
        }
    };
    let state = match (outcome, next) {
        (Ok(r), _) if r.in_sync() => "in sync".to_string(),
        (_, Some(n)) => format!(
            "{:.0}s left, next read in {:.0}s",
            left.as_secs_f64(),
            n.as_secs_f64()
        ),
        (_, None) if left.is_zero() => "no time left".to_string(),
        (_, None) => "not retried".to_string(),
    };
    let line = format!(
        "runtime-pin: read {} after {:.1}s: {read}; wanted {expected}; {state}",
        p.reads,
        p.waited.as_secs_f64()
    );
    crate::report::escape::guard_text(&crate::secrets::redact(&line))
}

async fn read_once(http: &Http, o: &Options) -> Result<Reading, Error> {
    match &o.source {
        Source::ControlPlane { url, selector } => {
            let answer = http
                .get_json(
                    url,
                    &format!("GET {url}"),
                    "Check the control-plane token and its scope.",
                )
                .await?;
            control_plane::read(&answer.json, selector, &o.expected, url)
        }
        Source::Registry { image, credentials } => {
            read_registry(http, image, credentials.clone(), &o.expected).await
        }
    }
}

/// The tag's digest against the expected one; an index also matches through its platforms.
async fn read_registry(
    http: &Http,
    image: &Reference,
    creds: Option<Credentials>,
    expected: &str,
) -> Result<Reading, Error> {
    let subject = image.to_string();
    let mut reg = Registry::new(http, image, creds);
    let resolved = match reg.resolve().await? {
        Lookup::Missing(why) => {
            return Ok(Reading {
                findings: vec![Finding::problem(
                    "missing-pin",
                    subject,
                    format!("{why}, so nothing pins {expected}"),
                )],
                ..Reading::default()
            });
        }
        Lookup::Found(r) => r,
    };
    let kind = if resolved.is_index {
        "index"
    } else {
        "manifest"
    };
    let mut reading = Reading {
        pinned: vec![resolved.digest.clone()],
        rows_selected: 1,
        registry: Some(control_plane::RegistryView {
            media_type: resolved.media_type.clone(),
            kind,
            expected_is: "none".into(),
            platforms: Vec::new(),
        }),
        ..Reading::default()
    };
    if resolved.digest == expected {
        if let Some(v) = reading.registry.as_mut() {
            v.expected_is = kind.into();
        }
        return Ok(reading);
    }
    if resolved.is_index {
        let platforms = reg.platforms(&resolved.digest).await?;
        let hit = platforms.iter().find(|p| p.digest == expected).cloned();
        if let Some(v) = reading.registry.as_mut() {
            v.platforms = platforms
                .iter()
                .map(|p| format!("{} {}", p.platform, p.digest))
                .collect();
        }
        if let Some(hit) = hit {
            if let Some(v) = reading.registry.as_mut() {
                v.expected_is = format!("platform manifest ({})", hit.platform);
            }
            reading.notes.push(Finding::notice(
                "platform-manifest",
                subject,
                format!(
                    "{expected} is the {} manifest of the index {} the tag points to",
                    hit.platform, resolved.digest
                ),
            ));
            return Ok(reading);
        }
    }
    let mut msg = format!(
        "expected {expected}, the tag points to {} ({kind}, {})",
        resolved.digest, resolved.media_type
    );
    if let Some(v) = &reading.registry
        && !v.platforms.is_empty()
    {
        msg.push_str(&format!("; its platforms: {}", v.platforms.join(", ")));
    }
    reading
        .findings
        .push(Finding::problem("mismatch", subject, msg));
    Ok(reading)
}

fn build(o: &Options, p: &Progress, findings: Vec<Finding>) -> Report {
    let mut r = Report::new("runtime-pin");
    r.findings = findings;
    let waited = format!("{:.1}s", p.waited.as_secs_f64());
    r.facts.push(("source".into(), o.source.describe()));
    r.facts.push(("expected".into(), o.expected.clone()));
    let pinned = p
        .last
        .as_ref()
        .map(|l| l.pinned.clone())
        .unwrap_or_default();
    r.facts.push((
        "pinned".into(),
        if pinned.is_empty() {
            "-".into()
        } else {
            pinned.join(", ")
        },
    ));
    r.facts
        .push(("reads".into(), format!("{} in {waited}", p.reads)));
    if let Some(l) = &p.last {
        r.sections.push(Section::new(
            "Selected rows",
            &["row", "pinned", "equals expected"],
            l.pinned.iter().enumerate().map(|(i, d)| {
                vec![
                    (i + 1).to_string(),
                    d.clone(),
                    if *d == o.expected { "yes" } else { "no" }.into(),
                ]
            }),
        ));
        r.sections.retain(|s| s.total() > 0);
    }
    let d = &mut r.details;
    match &o.source {
        Source::ControlPlane { url, selector } => {
            d.insert("source", json!({"kind": "control-plane", "url": url}));
            d.insert(
                "selector",
                json!({
                    "rows": selector.rows,
                    "match": selector.matches.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
                    "field": selector.field,
                }),
            );
        }
        Source::Registry { image, .. } => {
            let view = p.last.as_ref().and_then(|l| l.registry.as_ref());
            d.insert(
                "source",
                json!({
                    "kind": "registry",
                    "image": image.to_string(),
                    "media_type": view.map(|v| v.media_type.clone()),
                    "digest_kind": view.map(|v| v.kind),
                    "expected_is": view.map(|v| v.expected_is.clone()),
                    "platforms": view.map(|v| v.platforms.clone()).unwrap_or_default(),
                }),
            );
        }
    }
    d.insert("expected", json!(o.expected));
    d.insert("pinned", json!(pinned));
    d.insert(
        "rows_selected",
        json!(p.last.as_ref().map(|l| l.rows_selected)),
    );
    d.insert("reads", json!(p.reads));
    d.insert(
        "waited_seconds",
        json!((p.waited.as_secs_f64() * 10.0).round() / 10.0),
    );
    d.insert("wait_limit_seconds", json!(o.wait.as_secs()));
    r
}
