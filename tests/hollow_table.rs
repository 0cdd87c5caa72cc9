//! Gates that pass without doing the work (`hollow`), and gates that wait for ever
//! (`conditional`), per forge and release: each row a workflow, the context required, and
//! whether the finding is raised, with the words its message (and fix) must hold.
//!
//! Sources: a skipped job counts as passing (Gitea #23786 `toCommitStatus` success ≤ 1.24, the
//! `skipped` state from 1.25 #34507; Forgejo `success` "Has been skipped" ≤ 15, `skipped` from
//! 16 #12606); a job whose needs did not all succeed is skipped unless its `if:` runs it anyway
//! (`services/actions/job_emitter.go`, Gitea 1.22 only for a literal `always()`); job-level
//! `continue-on-error` leaves the job's own status `failure` (Forgejo ignores it; Gitea 1.27
//! `setJobResult`).

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::analyse;
use driftgate::checks::required_checks::findings::evaluate;
use driftgate::checks::required_checks::patterns::RequiredSet;
use driftgate::checks::required_checks::workflow::WorkflowFile;
use driftgate::forge::version::{Flavor, Version};

const ALL: &[&str] = &[
    "gitea 1.22",
    "gitea 1.23",
    "gitea 1.24",
    "gitea 1.25",
    "gitea 1.26",
    "gitea 1.27",
    "forgejo 11",
    "forgejo 13",
    "forgejo 15",
    "forgejo 16",
];

struct Row {
    name: &'static str,
    at: &'static [&'static str],
    yaml: &'static str,
    required: &'static str,
    /// `Some(words)`: hollow, and the message holds each of the words.
    hollow: Option<&'static [&'static str]>,
    conditional: bool,
}

const ROW: Row = Row {
    name: "",
    at: ALL,
    yaml: "",
    required: "CI / test (pull_request)",
    hollow: None,
    conditional: false,
};

fn release(at: &str) -> Behaviour {
    let (f, v) = at.split_once(' ').expect("release");
    let flavor = if f == "gitea" {
        Flavor::Gitea
    } else {
        Flavor::Forgejo
    };
    Behaviour::new(flavor, Version::parse(v).expect("version"))
}

fn rows() -> Vec<Row> {
    vec![
        Row {
            name: "needs a job whose context is not required: skipped when it fails",
            yaml: "name: CI\non: pull_request\njobs:\n  build:\n    runs-on: x\n    steps: [{run: make}]\n  test:\n    needs: build\n    runs-on: x\n    steps: [{run: make test}]\n",
            hollow: Some(&[
                "needs build",
                "require the contexts of build",
                "needs.<id>.result",
            ]),
            ..ROW
        },
        Row {
            name: "needs a job whose context is required too: not hollow",
            yaml: "name: CI\non: pull_request\njobs:\n  build:\n    runs-on: x\n  test:\n    needs: build\n    runs-on: x\n",
            required: "CI / * (pull_request)",
            ..ROW
        },
        Row {
            name: "transitively: test needs build needs lint, lint not required",
            yaml: "name: CI\non: pull_request\njobs:\n  lint:\n    runs-on: x\n  build:\n    needs: [lint]\n    runs-on: x\n  test:\n    needs: [build]\n    runs-on: x\n",
            required: "CI / {build,test} (pull_request)",
            hollow: Some(&["needs build", "lint"]),
            ..ROW
        },
        Row {
            name: "a required needed job that its own if: can skip does not guard",
            yaml: "name: CI\non: pull_request\njobs:\n  build:\n    if: github.event.pull_request.draft == false\n    runs-on: x\n  test:\n    needs: build\n    runs-on: x\n",
            required: "CI / test (pull_request)",
            hollow: Some(&["needs build"]),
            ..ROW
        },
        Row {
            name: "an aggregator that runs always() and never reads the results",
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    runs-on: x\n  b:\n    runs-on: x\n  test:\n    needs: [a, b]\n    if: always()\n    runs-on: x\n    steps: [{run: echo done}]\n",
            hollow: Some(&[
                "runs whatever a, b did",
                "never reads their results",
                "contains(needs.*.result, 'failure')",
            ]),
            ..ROW
        },
        Row {
            name: "an aggregator on failure() or !cancelled() that never reads the results",
            at: &["gitea 1.23", "gitea 1.27", "forgejo 11", "forgejo 16"],
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    runs-on: x\n  test:\n    needs: a\n    if: ${{ !cancelled() }}\n    runs-on: x\n",
            hollow: Some(&["never reads their results"]),
            ..ROW
        },
        Row {
            name: "Gitea 1.22 runs a dependant only for a literal always(): `${{ !cancelled() }}` is skipped",
            at: &["gitea 1.22"],
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    runs-on: x\n  test:\n    needs: a\n    if: ${{ !cancelled() }}\n    runs-on: x\n",
            hollow: Some(&["needs a", "`success` (\"Has been skipped\")"]),
            ..ROW
        },
        Row {
            name: "an aggregator that checks the results in a step: not hollow",
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    runs-on: x\n  test:\n    needs: [a]\n    if: always()\n    runs-on: x\n    steps:\n      - run: test \"${{ contains(needs.*.result, 'failure') }}\" = false\n",
            ..ROW
        },
        Row {
            name: "an aggregator that checks the results in its if: not hollow",
            at: &["gitea 1.23", "gitea 1.27", "forgejo 11", "forgejo 16"],
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    runs-on: x\n  test:\n    needs: a\n    if: ${{ !cancelled() && needs.a.result == 'success' }}\n    runs-on: x\n",
            hollow: Some(&["can be false"]),
            ..ROW
        },
        Row {
            name: "a job its own if: can skip: hollow, not conditional",
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    if: github.actor != 'bot'\n    runs-on: x\n",
            hollow: Some(&[
                "if: github.actor != 'bot'`",
                "run the job on every pull request",
            ]),
            ..ROW
        },
        Row {
            name: "if: always() without needs is no condition",
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    if: always()\n    runs-on: x\n",
            ..ROW
        },
        Row {
            name: "a run step with continue-on-error: the job succeeds when it fails",
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n      - name: unit tests\n        run: make test\n        continue-on-error: true\n",
            hollow: Some(&["step `unit tests`", "remove `continue-on-error`"]),
            ..ROW
        },
        Row {
            name: "job-level continue-on-error leaves the job's status failure: not hollow",
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    continue-on-error: true\n    runs-on: x\n    steps: [{run: make test}]\n",
            ..ROW
        },
        Row {
            name: "paths filter: no run, the pull request waits (conditional)",
            at: &["gitea 1.22", "gitea 1.26", "forgejo 11", "forgejo 16"],
            yaml: "name: CI\non:\n  pull_request:\n    paths: ['src/**']\njobs:\n  test:\n    runs-on: x\n",
            conditional: true,
            ..ROW
        },
        Row {
            name: "Gitea 1.27 posts skipped for a filtered workflow: hollow, not conditional",
            at: &["gitea 1.27"],
            yaml: "name: CI\non:\n  pull_request:\n    paths: ['src/**']\njobs:\n  test:\n    runs-on: x\n",
            hollow: Some(&["paths", "`skipped`"]),
            ..ROW
        },
        Row {
            name: "a paths filter and a job if: two causes, two findings",
            at: &["gitea 1.26", "forgejo 15"],
            yaml: "name: CI\non:\n  pull_request:\n    paths: ['src/**']\njobs:\n  test:\n    if: github.actor != 'bot'\n    runs-on: x\n",
            hollow: Some(&["can be false"]),
            conditional: true,
            ..ROW
        },
        Row {
            name: "the skipped state is named as the release posts it",
            at: &["gitea 1.24", "forgejo 15"],
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    if: github.actor != 'bot'\n    runs-on: x\n",
            hollow: Some(&["`success` (\"Has been skipped\")"]),
            ..ROW
        },
        Row {
            name: "the skipped state on newer releases",
            at: &["gitea 1.25", "forgejo 16"],
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    if: github.actor != 'bot'\n    runs-on: x\n",
            hollow: Some(&["posts `skipped`"]),
            ..ROW
        },
        Row {
            name: "a plain job: neither",
            yaml: "name: CI\non: pull_request\njobs:\n  test:\n    runs-on: x\n    steps: [{run: make test}]\n",
            ..ROW
        },
    ]
}

#[test]
fn hollow_and_conditional_per_release() {
    let mut failures = Vec::new();
    for row in rows() {
        for at in row.at {
            let b = release(at);
            let files = vec![WorkflowFile {
                path: ".gitea/workflows/ci.yml".into(),
                entry: "ci.yml".into(),
                text: row.yaml.into(),
            }];
            let a = analyse(&files, &b, Some("main"));
            let set = RequiredSet::new(&[row.required.to_string()]).expect("set");
            let f = evaluate(&set, &a, "main", &b);
            let of = |kind: &str| {
                f.iter()
                    .filter(|x| x.kind == kind && &*x.subject == row.required)
                    .map(|x| x.message.clone())
                    .collect::<Vec<_>>()
            };
            let hollow = of("hollow");
            match (row.hollow, hollow.as_slice()) {
                (None, []) => {}
                (Some(words), [msg]) => {
                    for w in words {
                        if !msg.contains(w) {
                            failures
                                .push(format!("[{at}] {}: message lacks {w:?}: {msg}", row.name));
                        }
                    }
                }
                (want, got) => failures.push(format!(
                    "[{at}] {}: hollow wanted {}, got {got:?}",
                    row.name,
                    want.is_some()
                )),
            }
            if of("conditional").is_empty() == row.conditional {
                failures.push(format!(
                    "[{at}] {}: conditional wanted {}, got {:?}",
                    row.name,
                    row.conditional,
                    of("conditional")
                ));
            }
            if f.iter()
                .any(|x| x.kind == "orphan" || x.kind == "unverifiable")
            {
                failures.push(format!("[{at}] {}: {f:#?}", row.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn legs_of_one_job_posting_one_context_are_a_duplicate() {
    // Gitea: a name whose `${{ }}` does not tell the legs apart; Forgejo before 11.0.4: any
    // static name. The last leg to finish decides the one status.
    let yaml = "name: CI\non: pull_request\njobs:\n  t:\n    name: test ${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [linux, mac]\n        go: ['1.21', '1.22']\n";
    let forgejo_static = "name: CI\non: pull_request\njobs:\n  t:\n    name: test\n    runs-on: x\n    strategy:\n      matrix:\n        os: [linux, mac]\n";
    for (at, text, required, legs) in [
        ("gitea 1.27", yaml, "CI / test linux (pull_request)", 2),
        (
            "forgejo 11.0.3",
            forgejo_static,
            "CI / test (pull_request)",
            2,
        ),
    ] {
        let b = release(at);
        let files = vec![WorkflowFile {
            path: ".gitea/workflows/ci.yml".into(),
            entry: "ci.yml".into(),
            text: text.into(),
        }];
        let a = analyse(&files, &b, Some("main"));
        let set = RequiredSet::new(&[required.to_string()]).expect("set");
        let f = evaluate(&set, &a, "main", &b);
        let dup: Vec<_> = f.iter().filter(|x| x.kind == "duplicate").collect();
        assert_eq!(dup.len(), 1, "{at}: {f:#?}");
        assert_eq!(&*dup[0].subject, required);
        assert!(
            dup[0].message.contains(&format!("{legs} matrix legs")),
            "{at}: {}",
            dup[0].message
        );
    }
    // Forgejo with de-duplication renames the legs: no duplicate.
    let b = release("forgejo 15");
    let files = vec![WorkflowFile {
        path: ".gitea/workflows/ci.yml".into(),
        entry: "ci.yml".into(),
        text: "name: CI\non: pull_request\njobs:\n  t:\n    name: test\n    runs-on: x\n    strategy:\n      matrix:\n        os: [linux, mac]\n".into(),
    }];
    let a = analyse(&files, &b, Some("main"));
    let set = RequiredSet::new(&["CI / test*".to_string()]).expect("set");
    assert!(
        !evaluate(&set, &a, "main", &b)
            .iter()
            .any(|x| x.kind == "duplicate")
    );
}
