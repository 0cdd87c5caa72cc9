//! `--comment` against a stateful fake Gitea (tests/support/stateful_forge.rs), with the real
//! binary: on a pull request ONE comment holds the summary, found again by its hidden marker,
//! edited only when the body changes, never duplicated (not even by two runs at once); a token
//! that may not comment (a fork pull request's) is a notice and never changes the result; off a
//! pull request nothing is asked. Every write is recorded: only the comment endpoints.
//! Endpoints and answers: Gitea and Forgejo `routers/api/v1/repo/issue_comment.go`
//! (`ListIssueComments` is not paged; `editIssueComment` answers a bare 403).

mod support;
use support::GITEA_CI;

use std::sync::{Arc, Barrier};

use support::fake_forge::{Run, TOKEN, TempDir, driftgate};
use support::stateful_forge::StatefulForge;

const WIDGET: &str = "acme/widget";
const MARKER: &str = "<!-- driftgate-comment check=required-checks -->";

struct Pr {
    forge: StatefulForge,
    number: u64,
    root: TempDir,
    event: TempDir,
}

fn pull_request() -> Pr {
    let forge = StatefulForge::gitea();
    forge.add_repo(WIDGET, "main", &[]);
    let number = forge.add_issue(WIDGET, "ci: build on push", "the pull request", &[]);
    let root = TempDir::new("pr-comment");
    root.write(".gitea/workflows/ci.yml", GITEA_CI);
    let event = TempDir::new("pr-event");
    event.write(
        "event.json",
        &format!(r#"{{"action":"synchronize","number":{number},"pull_request":{{"number":{number},"base":{{"ref":"main"}}}}}}"#),
    );
    Pr {
        forge,
        number,
        root,
        event,
    }
}

impl Pr {
    /// `required-checks --comment` offline with `required`, as a pull_request run.
    fn run(&self, required: &str, event_name: &str) -> Run {
        let path = self.event.join("event.json").display().to_string();
        driftgate(
            &[
                "required-checks",
                "--root",
                self.root.str(),
                "--required",
                required,
                "--comment",
                "--json",
                "--timeout",
                "10",
            ],
            &[
                ("DRIFTGATE_TOKEN", TOKEN),
                ("GITHUB_SERVER_URL", &self.forge.url),
                ("GITHUB_REPOSITORY", WIDGET),
                ("GITHUB_EVENT_NAME", event_name),
                ("GITHUB_EVENT_PATH", &path),
            ],
        )
    }

    /// The pull request's comments carrying the marker.
    fn ours(&self) -> Vec<String> {
        self.forge
            .repo(WIDGET)
            .comments_on(self.number)
            .iter()
            .filter(|c| c.body.contains(MARKER))
            .map(|c| c.body.clone())
            .collect()
    }

    fn writes(&self) -> Vec<String> {
        self.forge
            .writes()
            .iter()
            .map(|s| format!("{} {}", s.method, s.path()))
            .collect()
    }
}

fn comment_message(r: &Run) -> String {
    r.messages("pr-comment").join("\n")
}

#[test]
fn one_comment_posted_then_left_alone_then_edited() {
    let pr = pull_request();
    let n = pr.number;
    let posts = format!("POST /api/v1/repos/{WIDGET}/issues/{n}/comments");

    let r = pr.run("CI / build (pull_request)", "pull_request");
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(pr.ours().len(), 1);
    assert!(pr.ours()[0].contains("required-checks"), "{}", pr.ours()[0]);
    assert!(comment_message(&r).contains("posted"), "{}", r.stdout);
    assert_eq!(pr.writes(), [posts]);

    // The same result: the comment is up to date and nothing is written.
    pr.forge.clear_seen();
    let r = pr.run("CI / build (pull_request)", "pull_request");
    assert_eq!(r.code, 0);
    assert!(comment_message(&r).contains("up to date"), "{}", r.stdout);
    assert!(pr.writes().is_empty(), "{:?}", pr.writes());

    // Another result: the one comment is edited, and says so; the exit code is the check's.
    pr.forge.clear_seen();
    let r = pr.run("CI / missing (pull_request)", "pull_request");
    assert_eq!(r.code, 2);
    assert_eq!(pr.ours().len(), 1);
    assert!(
        pr.ours()[0].contains("CI / missing (pull\\_request)"),
        "{}",
        pr.ours()[0]
    );
    let writes = pr.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    assert!(
        writes[0].starts_with(&format!("PATCH /api/v1/repos/{WIDGET}/issues/comments/")),
        "{writes:?}"
    );
}

#[test]
fn racing_runs_leave_one_comment() {
    let pr = Arc::new(pull_request());
    for _ in 0..3 {
        let barrier = Arc::new(Barrier::new(2));
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (pr, barrier) = (pr.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    pr.run("CI / build (pull_request)", "pull_request").code
                })
            })
            .collect();
        for t in runs {
            assert_eq!(t.join().expect("run"), 0);
        }
        assert_eq!(pr.ours().len(), 1, "never a duplicate");
    }
}

#[test]
fn a_token_that_may_not_comment_is_a_notice_and_changes_nothing() {
    let pr = pull_request();
    pr.forge.with_repo(WIDGET, |r| r.read_only = true);
    let r = pr.run("CI / build (pull_request)", "pull_request");
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["result"], "clean");
    let m = comment_message(&r);
    assert!(m.contains("fork"), "{m}");
    assert!(pr.ours().is_empty());
    let doc = r.json();
    let f = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "pr-comment")
        .cloned()
        .unwrap_or_default();
    assert_eq!(f["severity"], "notice", "{doc:#}");

    // An orphan stays an orphan (2), whatever the comment did.
    let r = pr.run("CI / missing (pull_request)", "pull_request");
    assert_eq!(r.code, 2);
}

#[test]
fn off_a_pull_request_nothing_is_asked() {
    let pr = pull_request();
    let r = pr.run("CI / build (pull_request)", "push");
    assert_eq!(r.code, 0);
    assert!(
        comment_message(&r).contains("not a pull_request"),
        "{}",
        r.stdout
    );
    assert!(pr.forge.seen().is_empty(), "{:?}", pr.forge.requests());
}

#[test]
fn other_comments_are_never_touched() {
    let pr = pull_request();
    pr.forge.with_repo(WIDGET, |r| {
        r.comments.push(support::stateful_forge::Comment {
            id: 1,
            issue: pr.number,
            body: "LGTM, but see driftgate-comment below".into(),
        })
    });
    let r = pr.run("CI / build (pull_request)", "pull_request");
    assert_eq!(r.code, 0);
    let all = pr.forge.repo(WIDGET).comments_on(pr.number).len();
    assert_eq!(all, 2);
    assert_eq!(
        pr.forge.repo(WIDGET).comments_on(pr.number)[0].body,
        "LGTM, but see driftgate-comment below"
    );
}

/// The comment is an output like any other: a secret in the report (here a required context
/// that happens to hold the token) reaches the forge as `***`.
#[test]
fn no_secret_reaches_the_comment() {
    let pr = pull_request();
    let r = pr.run(&format!("CI / {TOKEN} (push)"), "pull_request");
    assert_eq!(r.code, 2, "{}", r.stdout);
    let ours = pr.ours();
    assert_eq!(ours.len(), 1);
    assert!(!ours[0].contains(TOKEN), "the token reached the comment");
    assert!(ours[0].contains("***"), "{}", ours[0]);
    // Unchanged on the next run: the redacted body is what is compared.
    pr.forge.clear_seen();
    let r = pr.run(&format!("CI / {TOKEN} (push)"), "pull_request");
    assert_eq!(r.code, 2);
    assert!(pr.writes().is_empty(), "{:?}", pr.writes());
    for s in pr.forge.seen() {
        let body = s.body.map(|b| b.to_string()).unwrap_or_default();
        assert!(!body.contains(TOKEN));
    }
}
