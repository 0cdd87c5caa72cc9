//! `--comment`: on a pull request, ONE comment holding the run's summary, found again by a
//! hidden marker, edited only when its body changes, never duplicated. With issue mode this is
//! the only write driftgate makes, and only to these endpoints (Gitea and Forgejo
//! `routers/api/v1/repo/issue_comment.go`: `GET/POST /repos/{o}/{r}/issues/{index}/comments`,
//! which does not page; `PATCH`/`DELETE /repos/{o}/{r}/issues/comments/{id}`).

use serde_json::Value;

use crate::error::Error;
use crate::forge::client::Forge;
use crate::outcome::Finding;

/// A comment longer than this is cut (the summary already shows only the first rows of long
/// tables; this bounds what a hostile report could post).
pub const MAX_BODY: usize = 60_000;

/// The events whose runs belong to a pull request.
const PR_EVENTS: [&str; 2] = ["pull_request", "pull_request_target"];

/// What the comment step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Created(u64),
    Updated(u64),
    Unchanged(u64),
}

/// The hidden line that finds the comment again: one per check and pull request.
pub fn marker(check: &str) -> String {
    format!("<!-- driftgate-comment check={check} -->")
}

/// The pull request's number from the runner's event file, `None` when the run is not for a
/// pull request. The file is the runner's, but its text is the event's: read with a size cap.
pub fn pull_request(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<u64>, Error> {
    let event = env("GITHUB_EVENT_NAME").unwrap_or_default();
    if !PR_EVENTS.contains(&event.as_str()) {
        return Ok(None);
    }
    let path = env("GITHUB_EVENT_PATH").ok_or_else(|| {
        Error::Usage(format!(
            "a {event} run without GITHUB_EVENT_PATH: the pull request's number is unknown"
        ))
    })?;
    let text = crate::fsread::read_text(std::path::Path::new(&path), 16 * 1024 * 1024, true)
        .map_err(|e| Error::Usage(format!("the event file {path} {e}")))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| Error::Usage(format!("the event file {path} is not JSON: {e}")))?;
    v.pointer("/pull_request/number")
        .or_else(|| v.get("number"))
        .and_then(Value::as_u64)
        .map(Some)
        .ok_or_else(|| {
            Error::Usage(format!(
                "the event file {path} names no pull request number"
            ))
        })
}

/// The comment's text: the marker, then the summary, cut at `MAX_BODY`.
pub fn body(check: &str, summary: &str) -> String {
    let mut b = format!("{}\n{summary}", marker(check));
    if b.len() > MAX_BODY {
        let cut = crate::secrets::safe_cut(&b, MAX_BODY - 200);
        b.truncate(cut);
        b.push_str("\n\n… (cut: the job summary and the JSON report have all of it)\n");
    }
    b
}

/// Brings the pull request's comment in line with `body`.
pub async fn sync(
    forge: &Forge,
    repo: &str,
    number: u64,
    check: &str,
    body: &str,
) -> Result<Action, Error> {
    let marker = marker(check);
    let mine = |all: Vec<(u64, String)>| -> Vec<(u64, String)> {
        all.into_iter().filter(|c| c.1.contains(&marker)).collect()
    };
    let found = mine(forge.issue_comments(repo, number).await?);
    if let Some((id, old)) = found.first() {
        if crate::tracking::comparable(old) == crate::tracking::comparable(body) {
            return Ok(Action::Unchanged(*id));
        }
        forge.edit_comment(repo, *id, body).await?;
        return Ok(Action::Updated(*id));
    }
    let id = forge.create_comment(repo, number, body).await?;
    // A run racing this one may have posted too: the oldest stays, this one's twin goes.
    let now = mine(forge.issue_comments(repo, number).await?);
    match now.first() {
        Some((oldest, _)) if *oldest < id => {
            forge.delete_comment(repo, id).await?;
            Ok(Action::Unchanged(*oldest))
        }
        _ => Ok(Action::Created(id)),
    }
}

/// The report's line for what happened, always a notice: where the token may not write (a
/// pull request from a fork), or another failure, it says so. None changes the result: the
/// comment delivers it, it does not verify anything.
pub fn finding(number: u64, r: Result<Action, Error>) -> Finding {
    let subject = format!("pull request #{number}");
    match r {
        Ok(Action::Created(id)) => Finding::notice(
            "pr-comment",
            subject,
            format!("posted the summary as comment {id}"),
        ),
        Ok(Action::Updated(id)) => {
            Finding::notice("pr-comment", subject, format!("updated comment {id}"))
        }
        Ok(Action::Unchanged(id)) => {
            Finding::notice("pr-comment", subject, format!("comment {id} is up to date"))
        }
        // Gitea gives a fork pull request's job token no access to pull requests (its comments
        // answer 404 on a private repository); other refusals are 401/403.
        Err(Error::Auth(m)) => may_not(subject, &m),
        Err(Error::Unreachable(m)) if m.contains("HTTP 404") => may_not(subject, &m),
        // A notice too: the comment delivers the result, it never changes it (not even with
        // `--fail-on warning`).
        Err(e) => Finding::notice(
            "pr-comment",
            subject,
            format!("the pull-request comment could not be written: {e}"),
        ),
    }
}

fn may_not(subject: String, why: &str) -> Finding {
    Finding::notice(
        "pr-comment",
        subject,
        format!(
            "the token may not comment on this pull request (a pull request from a fork gets a job token that may not); the summary is in the job summary and the report: {why}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn the_number_comes_from_the_event_file_of_a_pull_request_run() {
        let dir = std::env::temp_dir().join(format!("dg-event-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("event.json");
        std::fs::write(
            &file,
            r#"{"action":"synchronize","number":7,"pull_request":{"number":7}}"#,
        )
        .expect("write");
        let path = file.display().to_string();
        let get = |pairs: Vec<(&'static str, String)>| {
            let m: HashMap<&str, String> = pairs.into_iter().collect();
            move |k: &str| m.get(k).cloned()
        };
        let pr = get(vec![
            ("GITHUB_EVENT_NAME", "pull_request".into()),
            ("GITHUB_EVENT_PATH", path.clone()),
        ]);
        assert_eq!(pull_request(&pr).expect("pr"), Some(7));
        let push = get(vec![
            ("GITHUB_EVENT_NAME", "push".into()),
            ("GITHUB_EVENT_PATH", path.clone()),
        ]);
        assert_eq!(pull_request(&push).expect("push"), None);
        std::fs::write(&file, r#"{"action":"opened"}"#).expect("write");
        assert!(pull_request(&pr).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn every_outcome_is_a_notice_that_changes_no_result() {
        use crate::outcome::Severity;
        let f = finding(7, Err(Error::Auth("HTTP 403".into())));
        assert_eq!((f.severity, f.kind), (Severity::Notice, "pr-comment"));
        let f = finding(
            7,
            Err(Error::Unreachable(
                "GET …/comments: HTTP 404: not found".into(),
            )),
        );
        assert_eq!(f.severity, Severity::Notice, "{}", f.message);
        let f = finding(
            7,
            Err(Error::Unreachable(
                "HTTP 500 (gave up after 4 attempts)".into(),
            )),
        );
        assert_eq!(f.severity, Severity::Notice);
        assert!(f.message.contains("could not be written"), "{}", f.message);
        assert_eq!(
            f.verdict,
            crate::outcome::Verdict::Clean,
            "a comment never changes the result"
        );
    }

    #[test]
    fn long_bodies_are_cut_on_a_character_boundary_and_keep_the_marker() {
        let b = body("required-checks", &"é".repeat(MAX_BODY));
        assert!(b.len() <= MAX_BODY);
        assert!(b.starts_with(&marker("required-checks")));
        assert!(b.ends_with("all of it)\n"));
    }
}
