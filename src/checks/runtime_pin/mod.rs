//! `runtime-pin`: after a publish, read the promoted pin back and fail unless it equals the
//! digest just pushed. This release reads the pin from a control-plane JSON API (`--url`).

pub mod control_plane;
pub mod digest;

use std::time::{Duration, Instant};

use serde_json::json;

use control_plane::{Reading, Selector};

use crate::error::Error;
use crate::forge::http::{Http, HttpOptions};
use crate::outcome::Finding;
use crate::report::{Report, Section};

/// Polling under `--wait`: the first pause, doubled up to the cap.
const FIRST_POLL: Duration = Duration::from_secs(1);
const MAX_POLL: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct Options {
    /// The digest just pushed (already validated).
    pub expected: String,
    pub url: String,
    pub selector: Selector,
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
            let f = reading.findings.clone();
            progress.last = Some(reading);
            f
        }
        Err(e) => vec![e.into_finding(o.url.clone())],
    };
    build(o, &progress, findings)
}

async fn poll(o: &Options, p: &mut Progress) -> Result<Reading, Error> {
    if o.http.token.is_none() {
        return Err(Error::Usage(format!(
            "no token: the control plane is read with a bearer token from one of {} (or the variable named by --token-env)",
            crate::forge::http::TOKEN_CHAIN.join(", ")
        )));
    }
    if !(o.url.starts_with("http://") || o.url.starts_with("https://")) {
        return Err(Error::Usage(format!(
            "--url {:?} must start with http:// or https://",
            o.url
        )));
    }
    let mut opts = o.http.clone();
    opts.auth_scheme = "Bearer";
    let http = Http::new(opts)?;
    let start = Instant::now();
    let mut pause = FIRST_POLL;
    loop {
        p.reads += 1;
        let outcome = read_once(&http, o).await;
        p.waited = start.elapsed();
        let retry = match &outcome {
            Ok(r) if r.in_sync() => return outcome,
            // Credentials do not get better by waiting.
            Err(Error::Auth(_) | Error::Usage(_)) => return outcome,
            _ => true,
        };
        let left = o.wait.saturating_sub(start.elapsed());
        if !retry || left.is_zero() {
            return outcome;
        }
        tokio::time::sleep(pause.min(left)).await;
        pause = (pause * 2).min(MAX_POLL);
    }
}

async fn read_once(http: &Http, o: &Options) -> Result<Reading, Error> {
    let answer = http
        .get_json(
            &o.url,
            &format!("GET {}", o.url),
            "Check the control-plane token and its scope.",
        )
        .await?;
    control_plane::read(&answer.json, &o.selector, &o.expected, &o.url)
}

fn build(o: &Options, p: &Progress, findings: Vec<Finding>) -> Report {
    let mut r = Report::new("runtime-pin");
    r.findings = findings;
    let waited = format!("{:.1}s", p.waited.as_secs_f64());
    r.facts
        .push(("source".into(), format!("control plane {}", o.url)));
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
        r.sections.push(Section {
            title: "Selected rows".into(),
            headers: vec!["row".into(), "pinned".into(), "equals expected".into()],
            rows: l
                .pinned
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    vec![
                        (i + 1).to_string(),
                        d.clone(),
                        if *d == o.expected { "yes" } else { "no" }.into(),
                    ]
                })
                .collect(),
        });
        r.sections.retain(|s| !s.rows.is_empty());
    }
    let d = &mut r.details;
    d.insert(
        "source".into(),
        json!({"kind": "control-plane", "url": o.url}),
    );
    d.insert(
        "selector".into(),
        json!({
            "rows": o.selector.rows,
            "match": o.selector.matches.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>(),
            "field": o.selector.field,
        }),
    );
    d.insert("expected".into(), json!(o.expected));
    d.insert("pinned".into(), json!(pinned));
    d.insert(
        "rows_selected".into(),
        json!(p.last.as_ref().map(|l| l.rows_selected)),
    );
    d.insert("reads".into(), json!(p.reads));
    d.insert(
        "waited_seconds".into(),
        json!((p.waited.as_secs_f64() * 10.0).round() / 10.0),
    );
    d.insert("wait_limit_seconds".into(), json!(o.wait.as_secs()));
    r
}
