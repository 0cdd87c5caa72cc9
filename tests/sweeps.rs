//! Sweeps and `--mode issue` against a stateful fake Gitea/Forgejo (tests/support/
//! stateful_forge.rs): the real binary, real HTTP, every request recorded, and the fake's
//! repositories, labels, issues and comments changed by what driftgate writes.
//!
//! Covers the tracking-issue lifecycle (open → unchanged run writes nothing → update → close
//! → clean run writes nothing), two sweeps racing, what a half-finished earlier run left,
//! that only the issue endpoints are ever written (and nothing at all outside issue mode), an
//! organisation of 200 repositories read through paged lists and the contents API, and one
//! repository refusing the token while the others are still checked.

mod support;
use support::GITEA_CI;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use serde_json::json;
use support::fake_forge::{Run, TOKEN, TempDir, driftgate};
use support::stateful_forge::{Protections, Seen, StatefulForge, not_admin};

const WIDGET: &str = "acme/widget";
const MARKER: &str =
    "<!-- driftgate-tracking check=required-checks repo=acme/widget target=main -->";

/// A checkout with `.gitea/workflows/ci.yml` (posts CI / build and CI / lint).
fn checkout() -> TempDir {
    let t = TempDir::new("sweeps");
    t.write(".gitea/workflows/ci.yml", GITEA_CI);
    t
}

/// The runner's variables for a run link, plus the token.
fn runner_env(forge: &StatefulForge, run_id: &str) -> Vec<(String, String)> {
    vec![
        ("DRIFTGATE_TOKEN".into(), TOKEN.into()),
        ("GITHUB_ACTIONS".into(), "true".into()),
        ("GITHUB_SERVER_URL".into(), forge.url.clone()),
        ("GITHUB_REPOSITORY".into(), "acme/ops".into()),
        ("GITHUB_RUN_ID".into(), run_id.into()),
    ]
}

fn run_link(forge: &StatefulForge, run_id: &str) -> String {
    format!("{}/acme/ops/actions/runs/{run_id}", forge.url)
}

fn exec(args: &[&str], env: &[(String, String)]) -> Run {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    driftgate(args, &env)
}

/// `required-checks --repo acme/widget` with the checkout at `root`, JSON on stdout.
fn single(forge: &StatefulForge, root: &TempDir, mode: &str, run_id: &str) -> Run {
    exec(
        &[
            "required-checks",
            "--server",
            &forge.url,
            "--repo",
            WIDGET,
            "--root",
            root.str(),
            "--mode",
            mode,
            "--json",
            "--timeout",
            "10",
        ],
        &runner_env(forge, run_id),
    )
}

/// `required-checks --repos …` or `--owner …` (in `target`), JSON on stdout.
fn sweep(forge: &StatefulForge, target: &[&str], extra: &[&str], run_id: &str) -> Run {
    let mut args = vec!["required-checks", "--server", &forge.url];
    args.extend_from_slice(target);
    args.extend_from_slice(&["--json", "--timeout", "10"]);
    args.extend_from_slice(extra);
    exec(&args, &runner_env(forge, run_id))
}

#[track_caller]
fn assert_code(r: &Run, code: i32) {
    assert_eq!(
        r.code, code,
        "exit code\nstdout:\n{}\nstderr:\n{}",
        r.stdout, r.stderr
    );
    assert_eq!(r.json()["exit_code"], json!(code), "{:#}", r.json());
}

/// `METHOD path` of each write.
fn writes(forge: &StatefulForge) -> Vec<String> {
    forge
        .writes()
        .iter()
        .map(|s| format!("{} {}", s.method, s.path()))
        .collect()
}

/// The write to `path` with `method` (exactly one expected).
#[track_caller]
fn the_write(forge: &StatefulForge, method: &str, path: &str) -> Seen {
    let w: Vec<Seen> = forge
        .writes()
        .into_iter()
        .filter(|s| s.method == method && s.path() == path)
        .collect();
    assert_eq!(w.len(), 1, "one {method} {path}: {:?}", writes(forge));
    w.into_iter().next().unwrap()
}

/// Every write goes to `/api/v1/repos/{o}/{r}/` + `issues`, `issues/{n}`,
/// `issues/{n}/comments`, `issues/{n}/labels` or `labels`, and is a POST or PATCH.
#[track_caller]
fn assert_only_issue_writes(forge: &StatefulForge) {
    for s in forge.writes() {
        let segs: Vec<&str> = s.path().split('/').collect();
        let ok = match segs.as_slice() {
            ["", "api", "v1", "repos", o, r, rest @ ..] if !o.is_empty() && !r.is_empty() => {
                let number = |n: &str| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit());
                match (s.method.as_str(), rest) {
                    ("POST", ["issues"]) | ("POST", ["labels"]) => true,
                    ("PATCH", ["issues", n]) => number(n),
                    ("POST", ["issues", n, "comments" | "labels"]) => number(n),
                    _ => false,
                }
            }
            _ => false,
        };
        assert!(
            ok,
            "a write outside the issue endpoints: {} {}",
            s.method, s.target
        );
        assert!(
            !s.target.contains('?'),
            "writes carry no query: {}",
            s.target
        );
    }
}

/// Messages of the `tracking-issue` notices.
fn tracking(r: &Run) -> Vec<String> {
    r.messages("tracking-issue")
}

// ------------------------------------------------------------------------------------------
// 1. The lifecycle of one tracking issue.

#[test]
fn tracking_issue_lifecycle_open_unchanged_update_close() {
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    let root = checkout();

    // Findings, no label, no issue: the label is created, then one issue carrying it.
    let r = single(&forge, &root, "issue", "101");
    assert_code(&r, 2);
    assert_eq!(r.json()["mode"], "issue");
    assert_eq!(tracking(&r), ["opened tracking issue #1"]);
    assert_eq!(
        writes(&forge),
        [
            "POST /api/v1/repos/acme/widget/labels",
            "POST /api/v1/repos/acme/widget/issues"
        ]
    );
    let label_req = the_write(&forge, "POST", "/api/v1/repos/acme/widget/labels");
    assert_eq!(label_req.body.as_ref().unwrap()["name"], "driftgate");
    let repo = forge.repo(WIDGET);
    let label = repo
        .label_named("driftgate")
        .expect("label created")
        .clone();
    assert_eq!(
        label.color, "d73a4a",
        "the fake stores colors as Gitea answers them"
    );
    assert_eq!(repo.issues.len(), 1);
    let issue = repo.issues[0].clone();
    assert_eq!(issue.state, "open");
    assert_eq!(issue.label_ids, [label.id], "created with the label's id");
    assert_eq!(issue.title, "driftgate: required-checks findings for main");
    assert!(issue.body.starts_with(MARKER), "{}", issue.body);
    assert!(
        issue.body.contains(r"CI / test (pull\_request)"),
        "{}",
        issue.body
    );
    assert!(
        issue.body.contains(&run_link(&forge, "101")),
        "the body links the run: {}",
        issue.body
    );
    assert_only_issue_writes(&forge);

    // The same findings in a later run (another run id): only reads.
    forge.clear_seen();
    let r = single(&forge, &root, "issue", "102");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["tracking issue #1 is up to date"]);
    assert_eq!(
        writes(&forge),
        Vec::<String>::new(),
        "{:#?}",
        forge.requests()
    );
    assert!(forge.seen().iter().all(|s| s.method == "GET"));
    assert_eq!(forge.repo(WIDGET).issues[0].body, issue.body);

    // Different findings: one PATCH with the new body, nothing else written.
    forge.clear_seen();
    forge.require(WIDGET, &["CI / build (pull_request)", "CI / deploy (push)"]);
    let r = single(&forge, &root, "issue", "103");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["updated tracking issue #1"]);
    assert_eq!(writes(&forge), ["PATCH /api/v1/repos/acme/widget/issues/1"]);
    let patch = the_write(&forge, "PATCH", "/api/v1/repos/acme/widget/issues/1");
    let new_body = patch.body.as_ref().unwrap()["body"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(new_body.starts_with(MARKER));
    assert!(new_body.contains("CI / deploy (push)"), "{new_body}");
    assert!(
        !new_body.contains(r"CI / test (pull\_request)"),
        "{new_body}"
    );
    assert!(new_body.contains(&run_link(&forge, "103")));
    let repo = forge.repo(WIDGET);
    assert_eq!(repo.issues.len(), 1);
    assert_eq!(repo.issues[0].body, new_body);
    assert_eq!(repo.issues[0].state, "open");

    // Clean: a comment, then closed.
    forge.clear_seen();
    forge.require(WIDGET, &["CI / build (pull_request)"]);
    let r = single(&forge, &root, "issue", "104");
    assert_code(&r, 0);
    assert_eq!(tracking(&r), ["closed tracking issue(s) #1"]);
    assert_eq!(
        writes(&forge),
        [
            "POST /api/v1/repos/acme/widget/issues/1/comments",
            "PATCH /api/v1/repos/acme/widget/issues/1"
        ]
    );
    let close = the_write(&forge, "PATCH", "/api/v1/repos/acme/widget/issues/1");
    assert_eq!(close.body, Some(json!({"state": "closed"})));
    let repo = forge.repo(WIDGET);
    assert_eq!(repo.issues[0].state, "closed");
    let comments = repo.comments_on(1);
    assert_eq!(comments.len(), 1);
    assert!(
        comments[0].body.contains("clean again"),
        "{}",
        comments[0].body
    );
    assert!(comments[0].body.contains(&run_link(&forge, "104")));

    // Clean again: nothing open, nothing written.
    forge.clear_seen();
    let r = single(&forge, &root, "issue", "105");
    assert_code(&r, 0);
    assert_eq!(tracking(&r), ["clean, no tracking issue open"]);
    assert_eq!(writes(&forge), Vec::<String>::new());
    assert_eq!(forge.repo(WIDGET).issues.len(), 1);
    assert_only_issue_writes(&forge);
}

// ------------------------------------------------------------------------------------------
// 2. Two sweeps at the same moment.

#[test]
fn racing_sweeps_leave_exactly_one_open_issue() {
    let forge = Arc::new(StatefulForge::gitea());
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    // Both processes read "none open" before either creates: the list answer is taken when
    // the request arrives and sent 300 ms later.
    forge.set_issue_list_delay(Duration::from_millis(300));
    let root = Arc::new(checkout());
    let start = Arc::new(Barrier::new(2));
    let runs: Vec<Run> = ["201", "202"]
        .map(|id| {
            let (forge, root, start) = (forge.clone(), root.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                single(&forge, &root, "issue", id)
            })
        })
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    for r in &runs {
        assert_code(r, 2);
    }
    let creates = writes(&forge)
        .iter()
        .filter(|w| *w == "POST /api/v1/repos/acme/widget/issues")
        .count();
    assert_eq!(
        creates,
        2,
        "the race did not happen (both runs must have created one): {:#?}",
        forge.requests()
    );

    let repo = forge.repo(WIDGET);
    let mine: Vec<_> = repo
        .issues
        .iter()
        .filter(|i| i.body.contains(MARKER))
        .collect();
    assert_eq!(mine.len(), 2);
    let open: Vec<_> = mine.iter().filter(|i| i.state == "open").collect();
    assert_eq!(open.len(), 1, "exactly one open tracking issue: {mine:#?}");
    let kept = open[0].number;
    assert_eq!(kept, 1, "the oldest is kept");
    for dup in mine.iter().filter(|i| i.number != kept) {
        assert_eq!(dup.state, "closed");
        let comments = repo.comments_on(dup.number);
        assert!(!comments.is_empty());
        assert!(
            comments
                .iter()
                .all(|c| c.body.contains(&format!("duplicate of #{kept}"))),
            "{comments:#?}"
        );
    }
    assert!(
        repo.comments_on(kept).is_empty(),
        "the kept issue gets no comment"
    );
    let mut messages: Vec<String> = runs.iter().flat_map(tracking).collect();
    messages.sort();
    assert_eq!(
        messages,
        ["closed tracking issue(s) #2", "opened tracking issue #1"]
    );
    assert_only_issue_writes(&forge);

    // The next run (no race) finds the kept one and opens nothing.
    forge.set_issue_list_delay(Duration::ZERO);
    forge.clear_seen();
    let r = single(&forge, &root, "issue", "203");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["tracking issue #1 is up to date"]);
    assert!(
        !writes(&forge).iter().any(|w| w.ends_with("/issues")),
        "{:?}",
        writes(&forge)
    );
    assert_eq!(forge.repo(WIDGET).open_issues().len(), 1);
    assert_only_issue_writes(&forge);
}

// ------------------------------------------------------------------------------------------
// 3. What a half-finished earlier run left.

#[test]
fn an_unlabelled_tracking_issue_gets_the_label_and_no_twin() {
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    let root = checkout();
    let r = single(&forge, &root, "issue", "301");
    assert_code(&r, 2);
    let label = forge.repo(WIDGET).label_named("driftgate").unwrap().id;

    // The run died after creating the issue and before labelling it.
    forge.with_repo(WIDGET, |r| r.issues[0].label_ids.clear());
    forge.clear_seen();
    let r = single(&forge, &root, "issue", "302");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["tracking issue #1 is up to date"]);
    assert_eq!(
        writes(&forge),
        ["POST /api/v1/repos/acme/widget/issues/1/labels"]
    );
    let add = the_write(&forge, "POST", "/api/v1/repos/acme/widget/issues/1/labels");
    assert_eq!(add.body, Some(json!({ "labels": [label] })));
    let repo = forge.repo(WIDGET);
    assert_eq!(repo.issues.len(), 1);
    assert_eq!(repo.issues[0].label_ids, [label]);
    assert_only_issue_writes(&forge);
}

#[test]
fn a_marker_issue_without_label_or_label_in_the_repo_is_adopted() {
    // An issue holding the marker, a stale body and no label; the repository has no label yet.
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    let user = forge.add_issue(WIDGET, "Flaky build", "Someone's own issue.", &[]);
    let stale = forge.add_issue(
        WIDGET,
        "driftgate: required-checks findings for main",
        &format!("{MARKER}\n### old body\n"),
        &[],
    );
    assert_eq!((user, stale), (1, 2));
    let root = checkout();
    let r = single(&forge, &root, "issue", "311");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["updated tracking issue #2"]);
    assert_eq!(
        writes(&forge),
        [
            "POST /api/v1/repos/acme/widget/labels",
            "PATCH /api/v1/repos/acme/widget/issues/2",
            "POST /api/v1/repos/acme/widget/issues/2/labels",
        ]
    );
    let repo = forge.repo(WIDGET);
    let label = repo.label_named("driftgate").unwrap().id;
    assert_eq!(repo.issues.len(), 2, "no second tracking issue");
    assert_eq!(repo.issues[1].label_ids, [label]);
    assert!(repo.issues[1].body.contains(r"CI / test (pull\_request)"));
    assert_eq!(repo.issues[0].body, "Someone's own issue.", "untouched");
    assert!(repo.issues[0].label_ids.is_empty());
    assert_only_issue_writes(&forge);
}

#[test]
fn of_two_open_marker_issues_the_newer_is_closed_as_a_duplicate() {
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    let label = forge.add_label(WIDGET, "driftgate");
    let title = "driftgate: required-checks findings for main";
    let other_target = forge.add_issue(
        WIDGET,
        "driftgate: required-checks findings for release",
        "<!-- driftgate-tracking check=required-checks repo=acme/widget target=release -->\nx",
        &[label],
    );
    let older = forge.add_issue(WIDGET, title, &format!("{MARKER}\nold"), &[label]);
    let newer = forge.add_issue(WIDGET, title, &format!("{MARKER}\nold"), &[label]);
    assert_eq!((other_target, older, newer), (1, 2, 3));
    let root = checkout();
    let r = single(&forge, &root, "issue", "321");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["updated tracking issue #2"]);
    assert_eq!(
        writes(&forge),
        [
            "PATCH /api/v1/repos/acme/widget/issues/2",
            "POST /api/v1/repos/acme/widget/issues/3/comments",
            "PATCH /api/v1/repos/acme/widget/issues/3",
        ]
    );
    let repo = forge.repo(WIDGET);
    assert_eq!(repo.issues.len(), 3, "nothing opened");
    let state: Vec<(u64, &str)> = repo
        .issues
        .iter()
        .map(|i| (i.number, i.state.as_str()))
        .collect();
    assert_eq!(state, [(1, "open"), (2, "open"), (3, "closed")]);
    assert_eq!(repo.comments_on(3).len(), 1);
    assert!(repo.comments_on(3)[0].body.contains("duplicate of #2"));
    assert!(
        repo.issues[0].body.ends_with("\nx"),
        "another target's issue is untouched"
    );
    assert_only_issue_writes(&forge);
}

#[test]
fn the_label_and_the_issue_are_found_beyond_the_first_page() {
    // 60 labels (driftgate the 57th) and 120 open issues newer than the tracking issue: the
    // label list pages by X-Total-Count alone, the issue list (newest first) by both.
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    let mut label = 0;
    for k in 0..60 {
        let id = forge.add_label(WIDGET, if k == 56 { "driftgate" } else { "area" });
        if k == 56 {
            label = id;
        }
    }
    let root = checkout();
    let r = single(&forge, &root, "issue", "331");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["opened tracking issue #1"]);
    assert_eq!(writes(&forge), ["POST /api/v1/repos/acme/widget/issues"]);
    assert_eq!(forge.repo(WIDGET).issues[0].label_ids, [label]);
    for k in 0..120 {
        forge.add_issue(WIDGET, &format!("user issue {k}"), "text", &[]);
    }
    forge.clear_seen();
    let r = single(&forge, &root, "issue", "332");
    assert_code(&r, 2);
    assert_eq!(tracking(&r), ["tracking issue #1 is up to date"]);
    assert_eq!(writes(&forge), Vec::<String>::new());
    let lists: Vec<String> = forge
        .requests()
        .into_iter()
        .filter(|q| q.contains("/issues?") || q.contains("/labels?"))
        .collect();
    let issues = |p: usize| {
        format!("GET /api/v1/repos/acme/widget/issues?state=open&type=issues&page={p}&limit=50")
    };
    let labels = |p: usize| format!("GET /api/v1/repos/acme/widget/labels?page={p}&limit=50");
    assert_eq!(
        lists,
        [
            issues(1),
            issues(2),
            issues(3),
            labels(1),
            labels(2),
            issues(1),
            issues(2),
            issues(3)
        ]
    );
    assert_eq!(forge.repo(WIDGET).open_issues().len(), 121);
    assert_only_issue_writes(&forge);
}

// ------------------------------------------------------------------------------------------
// 4. Nothing is written outside issue mode.

#[test]
fn assert_and_advisory_never_write_and_never_touch_issues() {
    let forge = StatefulForge::gitea();
    forge.add_repo(
        WIDGET,
        "main",
        &["CI / build (pull_request)", "CI / test (pull_request)"],
    );
    forge.add_repo("acme/gadget", "main", &["CI / build (pull_request)"]);
    forge.write_file("acme/gadget", ".gitea/workflows/ci.yml", GITEA_CI);
    forge.write_file(WIDGET, ".gitea/workflows/ci.yml", GITEA_CI);
    // A tracking issue issue mode would close for the clean gadget.
    forge.add_issue(
        "acme/gadget",
        "driftgate: required-checks findings for main",
        "<!-- driftgate-tracking check=required-checks repo=acme/gadget target=main -->\nold",
        &[],
    );
    let root = checkout();
    for (mode, code) in [("assert", 2), ("advisory", 0)] {
        let r = single(&forge, &root, mode, "401");
        assert_eq!(r.code, code, "{mode}\n{}", r.stderr);
        assert_eq!(r.json()["result"], "finding");
        let r = sweep(
            &forge,
            &["--repos", "acme/widget,acme/gadget"],
            &["--mode", mode],
            "402",
        );
        assert_eq!(r.code, code, "{mode}\n{}", r.stderr);
        assert_eq!(r.json()["exit_code"], 2);
        let r = sweep(&forge, &["--owner", "acme"], &["--mode", mode], "403");
        assert_eq!(r.code, code, "{mode}\n{}", r.stderr);
    }
    assert_eq!(writes(&forge), Vec::<String>::new());
    let touched: Vec<String> = forge
        .requests()
        .into_iter()
        .filter(|r| r.contains("/issues") || r.contains("/labels"))
        .collect();
    assert_eq!(
        touched,
        Vec::<String>::new(),
        "no issue endpoint is even read"
    );
    assert_eq!(forge.repo("acme/gadget").issues[0].state, "open");

    // The same state in issue mode writes — only to the issue endpoints.
    let r = sweep(&forge, &["--owner", "acme"], &["--mode", "issue"], "404");
    assert_code(&r, 2);
    assert!(!writes(&forge).is_empty());
    assert_eq!(forge.repo("acme/gadget").issues[0].state, "closed");
    assert_eq!(forge.repo(WIDGET).open_issues().len(), 1);
    assert_only_issue_writes(&forge);
}

// ------------------------------------------------------------------------------------------
// 5. An organisation of 200 repositories.

const ORG_SIZE: i64 = 200;
const ARCHIVED: i64 = 100;
const BROKEN: i64 = 42;
const NO_RULE: i64 = 77;
const NO_WORKFLOWS: i64 = 150;
const NESTED: i64 = 4;
const WIDE: i64 = 8;

/// Names not in id order, so the report's order shows it follows the repository list.
fn org_repo(id: i64) -> String {
    format!("acme/svc-{:03}", (id * 73) % 1000)
}

fn workflow(name: &str, job: &str, on: &str) -> String {
    format!(
        "name: {name}\non: {on}\njobs:\n  {job}:\n    runs-on: docker\n    steps:\n      - run: make\n"
    )
}

/// The result each repository must have.
fn expected(id: i64) -> &'static str {
    match id {
        BROKEN => "partial",
        NO_WORKFLOWS => "finding",
        _ if id % 10 == 3 => "finding",
        _ => "clean",
    }
}

/// 200 repositories: workflows in `.forgejo/`, `.gitea/` or `.github/workflows` by id, one
/// with a subfolder, one with a 60-entry folder, one broken workflow, one without a rule, one
/// without workflows, every tenth an orphan, every seventh on branch `trunk`, one archived.
fn organisation(forge: &StatefulForge) {
    let ci = workflow("CI", "build", "[push, pull_request]");
    for id in 1..=ORG_SIZE {
        let name = org_repo(id);
        let branch = if id % 7 == 0 { "trunk" } else { "main" };
        let mut required = vec!["CI / build (pull_request)".to_string()];
        if id % 10 == 3 {
            required.push("CI / deploy (push)".into());
        }
        let dir = match id % 3 {
            0 => ".forgejo/workflows",
            1 => ".gitea/workflows",
            _ => ".github/workflows",
        };
        if id == NESTED {
            required.push("Ship / publish (push)".into());
        }
        if id == WIDE {
            required.push("Gen 54 / run (push)".into());
        }
        let required: Vec<&str> = required.iter().map(String::as_str).collect();
        forge.add_repo(&name, branch, &required);
        if id != NO_WORKFLOWS {
            forge.write_file(&name, &format!("{dir}/ci.yml"), &ci);
        }
        if dir == ".forgejo/workflows" {
            // Forgejo reads the first folder that exists: this one must not count.
            forge.write_file(
                &name,
                ".github/workflows/legacy.yml",
                &workflow("Legacy", "old", "[pull_request]"),
            );
        }
        match id {
            NESTED => forge.write_file(
                &name,
                ".gitea/workflows/release/ship.yml",
                &workflow("Ship", "publish", "[push]"),
            ),
            WIDE => {
                for k in 0..55 {
                    forge.write_file(
                        &name,
                        &format!("{dir}/gen-{k:02}.yml"),
                        &workflow(&format!("Gen {k}"), "run", "[push]"),
                    );
                }
                for k in 0..5 {
                    forge.write_file(&name, &format!("{dir}/README-{k}.md"), "# notes\n");
                }
            }
            BROKEN => forge.write_file(&name, &format!("{dir}/broken.yml"), "jobs: [unclosed\n"),
            NO_RULE => forge.with_repo(&name, |r| r.protections = Protections::Rules(json!([]))),
            ARCHIVED => forge.with_repo(&name, |r| r.archived = true),
            _ => {}
        }
    }
}

#[test]
fn an_organisation_of_200_repositories_is_swept_through_paged_lists_and_contents() {
    let forge = StatefulForge::forgejo();
    organisation(&forge);
    let r = sweep(&forge, &["--owner", "acme"], &[], "501");
    // partial (svc with the broken workflow) takes precedence over the findings.
    assert_code(&r, 8);
    let doc = r.json();
    assert_eq!(doc["result"], "partial");
    assert_eq!(doc["owner"], "acme");

    // The repository list: 4 pages of 50, in the order Gitea pages them (limit capped at 50).
    let list: Vec<String> = forge
        .requests()
        .into_iter()
        .filter(|q| q.contains("/orgs/") || q.contains("/users/"))
        .collect();
    assert_eq!(
        list,
        (1..=4)
            .map(|p| format!("GET /api/v1/orgs/acme/repos?page={p}&limit=50"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        forge
            .requests()
            .iter()
            .filter(|q| q.ends_with("/version"))
            .count(),
        1,
        "the server's flavor is asked once for the whole sweep"
    );

    // One row per repository that is not archived, in the list's (id) order.
    let rows = doc["repositories"].as_array().expect("repositories");
    let ids: Vec<i64> = (1..=ORG_SIZE).filter(|id| *id != ARCHIVED).collect();
    assert_eq!(rows.len(), 199);
    let names: Vec<&str> = rows
        .iter()
        .map(|r| r["repository"].as_str().unwrap())
        .collect();
    let want: Vec<String> = ids.iter().map(|id| org_repo(*id)).collect();
    assert_eq!(names, want);
    let archived = org_repo(ARCHIVED);
    assert!(
        !forge
            .requests()
            .iter()
            .any(|q| q.contains(&format!("/{archived}"))),
        "the archived repository is never queried"
    );
    for (id, row) in ids.iter().zip(rows) {
        assert_eq!(row["result"], expected(*id), "{id}: {row:#}");
        let code = match expected(*id) {
            "partial" => 8,
            "finding" => 2,
            _ => 0,
        };
        assert_eq!(row["exit_code"], code, "{row:#}");
        let branch = if id % 7 == 0 { "trunk" } else { "main" };
        assert_eq!(row["branch"], branch, "{row:#}");
        assert_eq!(row["flavor"]["name"], "forgejo", "{row:#}");
        // Where flavor and release came from: the server, asked once, not a flag.
        let source = row["flavor"]["source"].as_str().unwrap_or_default();
        assert!(source.starts_with("server reports "), "{row:#}");
        assert_eq!(row["forge_version"]["source"], source, "{row:#}");
    }
    let row = |id: i64| &rows[ids.iter().position(|x| *x == id).unwrap()];
    let emitted = |id: i64| -> Vec<String> {
        row(id)["emitted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["context"].as_str().unwrap().to_string())
            .collect()
    };
    // .forgejo/workflows wins over .github/workflows (the legacy file is not read).
    assert!(
        !emitted(3).iter().any(|c| c.starts_with("Legacy")),
        "{:?}",
        emitted(3)
    );
    assert!(emitted(NESTED).contains(&"Ship / publish (push)".to_string()));
    assert!(emitted(WIDE).contains(&"Gen 54 / run (push)".to_string()));
    assert_eq!(
        emitted(WIDE).len(),
        2 + 55,
        "every yml of the 60-entry folder: {:?}",
        emitted(WIDE)
    );
    let kinds = |id: i64| -> Vec<String> {
        row(id)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(kinds(3).contains(&"orphan".to_string()));
    assert!(kinds(BROKEN).contains(&"unverifiable".to_string()));
    assert!(kinds(NO_RULE).contains(&"no-rule".to_string()));
    assert!(kinds(NO_WORKFLOWS).contains(&"orphan".to_string()));

    // Workflows came from the contents API at each protected branch, never with paging.
    let contents: Vec<Seen> = forge
        .seen()
        .into_iter()
        .filter(|s| s.path().contains("/contents/"))
        .collect();
    assert!(contents.iter().all(|s| s.query("page").is_none()));
    for id in &ids {
        let name = org_repo(*id);
        let branch = if id % 7 == 0 { "trunk" } else { "main" };
        let mine: Vec<&Seen> = contents
            .iter()
            .filter(|s| {
                s.path()
                    .starts_with(&format!("/api/v1/repos/{name}/contents/"))
            })
            .collect();
        assert!(!mine.is_empty(), "{name}");
        assert!(
            mine.iter()
                .all(|s| s.query("ref").as_deref() == Some(branch)),
            "{name}: {mine:?}"
        );
    }
    let nested = org_repo(NESTED);
    assert!(
        contents.iter().any(
            |s| s.path() == format!("/api/v1/repos/{nested}/contents/.gitea/workflows/release")
        ),
        "the subfolder is listed"
    );
    // Findings carry the repository in their subject.
    let orphan = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "orphan")
        .unwrap();
    assert!(
        orphan["subject"].as_str().unwrap().starts_with("acme/svc-"),
        "{orphan:#}"
    );
    assert_eq!(writes(&forge), Vec::<String>::new());
    // Each row counts its own requests, although 8 repositories were checked at a time.
    let seen = forge.seen();
    for (id, row) in ids.iter().zip(rows) {
        let base = format!("/api/v1/repos/{}", org_repo(*id));
        let own = seen
            .iter()
            .filter(|s| s.path() == base || s.path().starts_with(&format!("{base}/")))
            .count();
        assert_eq!(row["requests"], own, "{base}");
    }
}

#[test]
fn an_organisation_sweep_in_issue_mode_opens_one_issue_per_repository_with_findings() {
    let forge = StatefulForge::forgejo();
    organisation(&forge);
    let r = sweep(
        &forge,
        &["--owner", "acme", "--concurrency", "16"],
        &["--mode", "issue", "--label", "drift"],
        "511",
    );
    assert_code(&r, 8);
    let ids: Vec<i64> = (1..=ORG_SIZE).filter(|id| *id != ARCHIVED).collect();
    for id in &ids {
        let repo = forge.repo(&org_repo(*id));
        let want = usize::from(expected(*id) != "clean");
        assert_eq!(
            repo.issues.len(),
            want,
            "{}: {:#?}",
            repo.full_name,
            repo.issues
        );
        if want == 1 {
            let label = repo.label_named("drift").expect("the --label is created");
            assert_eq!(repo.issues[0].label_ids, [label.id]);
            let branch = if id % 7 == 0 { "trunk" } else { "main" };
            assert!(repo.issues[0].body.starts_with(&format!(
                "<!-- driftgate-tracking check=required-checks repo={} target={branch} -->",
                repo.full_name
            )));
        } else {
            assert!(repo.labels.is_empty(), "{}", repo.full_name);
        }
    }
    assert!(forge.repo(&org_repo(ARCHIVED)).issues.is_empty());
    assert_only_issue_writes(&forge);
}

// ------------------------------------------------------------------------------------------
// 6. One repository refuses the token.

fn four_repos() -> StatefulForge {
    let forge = StatefulForge::gitea();
    let ci = workflow("CI", "build", "[push, pull_request]");
    for (name, required) in [
        (
            "acme/alpha",
            vec!["CI / build (pull_request)", "CI / test (push)"],
        ),
        ("acme/bravo", vec!["CI / test (push)"]),
        ("acme/charlie", vec!["CI / build (pull_request)"]),
        ("acme/delta", vec!["CI / lint (push)"]),
    ] {
        forge.add_repo(name, "main", &required);
        forge.write_file(name, ".gitea/workflows/ci.yml", &ci);
    }
    let root = forge.root().to_string();
    forge.with_repo("acme/bravo", |r| {
        r.protections = Protections::Fail(403, not_admin(&root))
    });
    forge
}

#[test]
fn a_repository_answering_403_is_an_auth_row_and_the_others_are_still_checked() {
    let forge = four_repos();
    let r = sweep(
        &forge,
        &["--repos", "acme/alpha,acme/bravo,acme/charlie,acme/delta"],
        &[],
        "601",
    );
    assert_code(&r, 3);
    let doc = r.json();
    assert_eq!(doc["result"], "auth");
    let rows: Vec<(String, String, i64)> = doc["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["repository"].as_str().unwrap().to_string(),
                r["result"].as_str().unwrap().to_string(),
                r["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("acme/alpha".to_string(), "finding".to_string(), 2),
            ("acme/bravo".into(), "auth".into(), 3),
            ("acme/charlie".into(), "clean".into(), 0),
            ("acme/delta".into(), "finding".into(), 2),
        ]
    );
    let bravo = &doc["repositories"][1];
    let auth = &bravo["findings"][0];
    assert_eq!(auth["kind"], "auth");
    let msg = auth["message"].as_str().unwrap();
    assert!(msg.contains("HTTP 403"), "{msg}");
    assert!(
        msg.contains("admin"),
        "the error says an admin token is needed: {msg}"
    );
    // The others were read to the end after bravo's refusal.
    for name in ["acme/alpha", "acme/charlie", "acme/delta"] {
        assert!(
            forge.requests().contains(&format!(
                "GET /api/v1/repos/{name}/contents/.gitea/workflows/ci.yml?ref=main"
            )),
            "{name} was checked"
        );
    }
    assert!(
        !forge
            .requests()
            .iter()
            .any(|q| q.contains("/repos/acme/bravo/contents")),
        "bravo stops at the refusal"
    );
    // The refusal's annotation names the repository once, not twice.
    let title = r
        .stderr
        .lines()
        .find(|l| l.starts_with("::error title=auth"))
        .unwrap_or_default()
        .to_string();
    assert!(title.contains("acme/bravo"), "{title}");
    assert!(!title.contains("acme/bravo%3A acme/bravo"), "{title}");
    // The log shows the table with every row.
    for name in ["acme/alpha", "acme/bravo", "acme/charlie", "acme/delta"] {
        assert!(r.stderr.contains(name), "{name} in the log:\n{}", r.stderr);
    }
    assert_eq!(writes(&forge), Vec::<String>::new());
}

#[test]
fn in_issue_mode_the_refused_repository_gets_no_issue_write() {
    let forge = four_repos();
    let r = sweep(
        &forge,
        &["--repos", "acme/alpha,acme/bravo,acme/charlie,acme/delta"],
        &["--mode", "issue"],
        "611",
    );
    assert_code(&r, 3);
    for (name, issues) in [
        ("acme/alpha", 1),
        ("acme/bravo", 0),
        ("acme/charlie", 0),
        ("acme/delta", 1),
    ] {
        let repo = forge.repo(name);
        assert_eq!(repo.issues.len(), issues, "{name}");
        assert_eq!(repo.open_issues().len(), issues, "{name}");
    }
    assert!(
        !forge
            .writes()
            .iter()
            .any(|s| s.path().starts_with("/api/v1/repos/acme/bravo/")),
        "{:?}",
        writes(&forge)
    );
    assert!(
        !forge
            .writes()
            .iter()
            .any(|s| s.path().starts_with("/api/v1/repos/acme/charlie/")),
        "clean and nothing open: nothing written"
    );
    let messages = tracking(&r);
    assert!(
        messages
            .iter()
            .any(|m| m.contains("the result is auth, which proves nothing either way")),
        "{messages:?}"
    );
    assert_eq!(
        messages
            .iter()
            .filter(|m| m.starts_with("opened tracking issue"))
            .count(),
        2,
        "{messages:?}"
    );
    assert_only_issue_writes(&forge);

    // A bravo issue from an earlier run stays as it is while bravo cannot be read.
    forge.add_issue(
        "acme/bravo",
        "driftgate: required-checks findings for main",
        "<!-- driftgate-tracking check=required-checks repo=acme/bravo target=main -->\nold",
        &[],
    );
    forge.clear_seen();
    let r = sweep(
        &forge,
        &["--repos", "acme/alpha,acme/bravo,acme/charlie,acme/delta"],
        &["--mode", "issue"],
        "612",
    );
    assert_code(&r, 3);
    assert_eq!(
        writes(&forge),
        Vec::<String>::new(),
        "everything is up to date"
    );
    assert_eq!(forge.repo("acme/bravo").issues[0].state, "open");
}

// ------------------------------------------------------------------------------------------
// The fake itself, against the shapes the research notes give for Gitea.

/// One raw HTTP/1.1 GET with the token: (head lowercased, body).
fn raw_get(forge: &StatefulForge, target: &str) -> (String, serde_json::Value) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(forge.url.trim_start_matches("http://")).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: x\r\nAuthorization: token {TOKEN}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    (
        head.to_ascii_lowercase(),
        serde_json::from_str(body).unwrap(),
    )
}

#[test]
fn the_fake_pages_and_lists_contents_like_gitea() {
    let forge = StatefulForge::gitea();
    forge.add_repo("o/r", "main", &["x"]);
    for k in 0..5 {
        forge.add_issue("o/r", &format!("i{k}"), "", &[]);
    }
    forge.add_label("o/r", "a");
    forge.write_file("o/r", ".gitea/workflows/ci.yml", "name: ci\n");
    forge.write_file("o/r", ".gitea/workflows/sub/x.yaml", "");

    // genAPILinks' example: total 5, limit 2, page 1 → next and last, keys sorted.
    let (head, body) = raw_get(&forge, "/api/v1/repos/o/r/issues?state=open&limit=2");
    let root = forge.root();
    assert!(
        head.contains(&format!(
            "link: <{root}api/v1/repos/o/r/issues?limit=2&page=2&state=open>; rel=\"next\",<{root}api/v1/repos/o/r/issues?limit=2&page=3&state=open>; rel=\"last\"\r\n"
        )),
        "{head}"
    );
    assert!(head.contains("x-total-count: 5"), "{head}");
    assert_eq!(body[0]["number"], 5, "newest first");
    let (head, body) = raw_get(&forge, "/api/v1/repos/o/r/issues?limit=500&page=1");
    assert_eq!(body.as_array().unwrap().len(), 5);
    assert!(!head.contains("link:"), "one page, no Link: {head}");
    let (_, body) = raw_get(&forge, "/api/v1/repos/o/r/issues");
    assert_eq!(body.as_array().unwrap().len(), 5, "default limit 30");

    // Labels: X-Total-Count, never Link; colors without '#'.
    let (head, body) = raw_get(&forge, "/api/v1/repos/o/r/labels?limit=1&page=1");
    assert!(
        head.contains("x-total-count: 1") && !head.contains("link:"),
        "{head}"
    );
    assert_eq!(body[0]["color"], "d73a4a");

    // Contents: a directory is every entry with encoding/content null; a file is base64.
    let (head, body) = raw_get(
        &forge,
        "/api/v1/repos/o/r/contents/.gitea/workflows?ref=main",
    );
    assert!(
        !head.contains("x-total-count") && !head.contains("link:"),
        "{head}"
    );
    let items = body.as_array().unwrap();
    let kinds: Vec<(&str, &str)> = items
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["type"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, [("ci.yml", "file"), ("sub", "dir")]);
    assert!(
        items
            .iter()
            .all(|i| i["encoding"].is_null() && i["content"].is_null())
    );
    let (_, body) = raw_get(
        &forge,
        "/api/v1/repos/o/r/contents/.gitea/workflows/ci.yml?ref=main",
    );
    assert_eq!(body["encoding"], "base64");
    assert_eq!(body["content"], "bmFtZTogY2kK");
    let (head, body) = raw_get(
        &forge,
        "/api/v1/repos/o/r/contents/.github/workflows?ref=main",
    );
    assert!(head.starts_with("http/1.1 404"), "{head}");
    assert_eq!(body["message"], "GetContentsOrList");
    let (head, _) = raw_get(
        &forge,
        "/api/v1/repos/o/r/contents/.gitea/workflows?ref=nope",
    );
    assert!(head.starts_with("http/1.1 404"), "{head}");
}

/// `--exclude` (and `sweep.exclude` in the config file): globs on OWNER/NAME never checked,
/// and nothing at all asked of them.
#[test]
fn excluded_repositories_are_never_asked() {
    let forge = StatefulForge::forgejo();
    organisation(&forge);
    let config = TempDir::new("sweep-config");
    config.write(
        ".driftgate.yml",
        &format!("sweep:\n  exclude: [\"{}\"]\n", org_repo(2)),
    );
    let cfg = config.join(".driftgate.yml");
    let r = sweep(
        &forge,
        &["--owner", "acme", "--concurrency", "16"],
        &[
            "--exclude",
            "acme/svc-07*",
            "--config",
            cfg.to_str().expect("utf8"),
        ],
        "601",
    );
    let asked = forge.requests();
    // org_repo(1) is acme/svc-073 (the glob), org_repo(2) acme/svc-146 (the config file).
    for gone in [org_repo(1), org_repo(2)] {
        let n = asked
            .iter()
            .filter(|q| q.contains(&format!("/repos/{gone}")))
            .count();
        assert_eq!(n, 0, "{gone} was asked {n} times");
    }
    assert!(
        asked
            .iter()
            .any(|q| q.contains(&format!("/repos/{}/", org_repo(3))))
    );
    let doc = r.json();
    let text = doc.to_string();
    assert!(
        !text.contains(&org_repo(1)) && !text.contains(&org_repo(2)),
        "excluded repositories appear in the report"
    );
    assert!(text.contains(&org_repo(3)));
}

/// In a sweep, each repository's own `.driftgate.yml` (read through the contents API at the
/// branch checked) waives its own findings: no tracking issue for what it accepted.
#[test]
fn a_swept_repositorys_own_waivers_keep_its_tracking_issue_closed() {
    let forge = StatefulForge::gitea();
    for name in ["acme/one", "acme/two"] {
        forge.add_repo(name, "main", &["CI / gone (push)"]);
        forge.write_file(name, ".gitea/workflows/ci.yml", GITEA_CI);
    }
    forge.write_file(
        "acme/one",
        ".driftgate.yml",
        "ignore:\n  - check: required-checks\n    kind: orphan\n    subject: \"CI / gone *\"\n    reason: the job was retired on purpose\n",
    );
    // A file that is not valid: its waivers do not apply, and it says so.
    forge.add_repo("acme/three", "main", &["CI / gone (push)"]);
    forge.write_file("acme/three", ".gitea/workflows/ci.yml", GITEA_CI);
    forge.write_file("acme/three", ".driftgate.yml", "ignroe: []\n");
    let r = sweep(
        &forge,
        &["--repos", "acme/one,acme/two,acme/three"],
        &["--mode", "issue"],
        "701",
    );
    assert_code(&r, 2);
    assert!(
        forge.repo("acme/one").open_issues().is_empty(),
        "the waived orphan opens no issue"
    );
    assert_eq!(forge.repo("acme/two").open_issues().len(), 1);
    assert_eq!(forge.repo("acme/three").open_issues().len(), 1);
    let doc = r.json();
    let waived = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["waived"]["reason"] == "the job was retired on purpose")
        .count();
    assert_eq!(waived, 1, "{doc:#}");
    assert!(doc.to_string().contains("is not valid"), "{doc:#}");
}
