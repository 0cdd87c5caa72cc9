//! The context model, rule by rule and release by release: each row says what the forge does,
//! where that was read (repository, tag, file, function), the releases it holds for, and the
//! contexts a workflow then posts. Every modelled release appears in rows on both sides of each
//! rule that changed (`every_modelled_release_has_rows`).
//!
//! Where Gitea is cited, its code was read at the release tags through forks that carry them
//! (go-gitea/gitea is too large to fetch whole); gitea/act at its tags (v0.259.1 … v0.261.10) and
//! gitea/runner v1.0.8 (which Gitea 1.27 vendors); Forgejo at its tags (forgejo/forgejo v11.0.3 …
//! v15.0.3, branch v16.0/forgejo) and the Forgejo runner module its go.mod names.

use std::collections::BTreeSet;

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::{Analysis, analyse};
use driftgate::checks::required_checks::workflow::WorkflowFile;
use driftgate::forge::version::{self, Flavor, Version};

struct Row {
    /// What the forge does.
    rule: &'static str,
    /// Where it was read: repository@tag file function.
    source: &'static str,
    /// The releases it holds for: "gitea 1.27", "forgejo 11.0.3", "forgejo 15".
    at: &'static [&'static str],
    /// The workflow under test, `.gitea/workflows/ci.yml`.
    yaml: &'static str,
    /// Further files in the same folder: (entry, text).
    others: &'static [(&'static str, &'static str)],
    branch: Option<&'static str>,
    /// Every context emitted (as a set).
    emits: &'static [&'static str],
    /// The emitted contexts that carry conditions; all other emitted contexts must carry none.
    conditional: &'static [&'static str],
    unresolved: &'static [&'static str],
    silent: &'static [&'static str],
    broken: bool,
}

const ROW: Row = Row {
    rule: "",
    source: "",
    at: &[],
    yaml: "",
    others: &[],
    branch: Some("main"),
    emits: &[],
    conditional: &[],
    unresolved: &[],
    silent: &[],
    broken: false,
};

const GITEA: &[&str] = &[
    "gitea 1.22",
    "gitea 1.23",
    "gitea 1.24",
    "gitea 1.25",
    "gitea 1.26",
    "gitea 1.27",
];
const FORGEJO: &[&str] = &[
    "forgejo 11",
    "forgejo 12",
    "forgejo 13",
    "forgejo 14",
    "forgejo 15",
    "forgejo 16",
];
const ALL: &[&str] = &[
    "gitea 1.22",
    "gitea 1.23",
    "gitea 1.24",
    "gitea 1.25",
    "gitea 1.26",
    "gitea 1.27",
    "forgejo 11",
    "forgejo 12",
    "forgejo 13",
    "forgejo 14",
    "forgejo 15",
    "forgejo 16",
];

const DIR: &str = ".gitea/workflows";

fn release(at: &str) -> (Flavor, Version) {
    let (f, v) = at.split_once(' ').expect("flavor version");
    let flavor = match f {
        "gitea" => Flavor::Gitea,
        "forgejo" => Flavor::Forgejo,
        other => panic!("flavor {other}"),
    };
    (flavor, Version::parse(v).expect("version"))
}

fn file(entry: &str, text: &str) -> WorkflowFile {
    WorkflowFile {
        path: format!("{DIR}/{entry}"),
        entry: entry.to_string(),
        text: text.to_string(),
    }
}

fn run(row: &Row, at: &str) -> Analysis {
    let mut files = vec![file("ci.yml", row.yaml)];
    files.extend(row.others.iter().map(|(e, t)| file(e, t)));
    let (flavor, v) = release(at);
    analyse(&files, &Behaviour::new(flavor, v), row.branch)
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_string).collect()
}

fn check(row: &Row, at: &str) -> Vec<String> {
    let a = run(row, at);
    let mut errs = Vec::new();
    let mut compare = |what: &str, got: BTreeSet<String>, want: BTreeSet<String>| {
        if got != want {
            errs.push(format!("{what}:\n      got  {got:?}\n      want {want:?}"));
        }
    };
    compare(
        "emitted",
        set(a.emitters.iter().map(|e| &*e.context)),
        set(row.emits.iter().copied()),
    );
    // A context is conditional when every job that posts it may not post it.
    let conditional = a.emitters.iter().map(|e| &*e.context).filter(|c| {
        a.emitters
            .iter()
            .filter(|e| &*e.context == *c)
            .all(|e| !e.conditions.is_empty())
    });
    compare(
        "conditional",
        set(conditional),
        set(row.conditional.iter().copied()),
    );
    compare(
        "unresolved",
        set(a.unresolved.iter().map(|u| u.template.as_str())),
        set(row.unresolved.iter().copied()),
    );
    compare(
        "silent",
        set(a.silent.iter().map(|s| s.context.as_str())),
        set(row.silent.iter().copied()),
    );
    if a.broken.is_empty() == row.broken {
        errs.push(format!(
            "broken: got {:?}, want broken={}",
            a.broken, row.broken
        ));
    }
    errs
}

/// A leaked string, so generated texts can sit in the `'static` rows.
fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn named_job(job_name: &str) -> &'static str {
    leak(format!(
        "name: CI\non: push\njobs:\n  build:\n    name: {job_name}\n    runs-on: x\n"
    ))
}

fn ctx(job_name: &str) -> &'static [&'static str] {
    Box::leak(vec![leak(format!("CI / {job_name} (push)"))].into_boxed_slice())
}

const CALLEE: &str = "name: Shared
on: workflow_call
jobs:
  lint:
    runs-on: x
  test:
    name: Unit tests
    runs-on: x
";

const CALLEE_NO_NAME: &str = "on: workflow_call
jobs:
  lint:
    runs-on: x
";

const MATRIX_STATIC_NAME: &str = "name: CI\non: push\njobs:\n  test:\n    name: Test\n    runs-on: x\n    strategy:\n      matrix:\n        os: [c, a, b]\n";
const TWO_JOBS_ONE_NAME: &str = "name: CI\non: push\njobs:\n  a:\n    name: test\n    runs-on: x\n  b:\n    name: test\n    runs-on: x\n";
const LEGS_PRINTING_ALIKE: &str = "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        v: ['1', 1, 1.0]\n";
const TAG_ONLY: &str =
    "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: x\n";
const BRANCH_FILTERED: &str =
    "name: CI\non:\n  pull_request:\n    branches: [master]\njobs:\n  build:\n    runs-on: x\n";
const GITHUB_IN_MATRIX_NAME: &str = "name: CI\non: push\njobs:\n  t:\n    name: t ${{ github.ref_name }}${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n";
const GITHUB_IN_NAME: &str =
    "name: CI\non: push\njobs:\n  build:\n    name: Build ${{ github.ref_name }}\n    runs-on: x\n";
const DYNAMIC_MATRIX: &str = "name: CI\non: push\njobs:\n  build:\n    name: Build\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n";
const CALLER: &str =
    "name: CI\non: push\njobs:\n  call:\n    uses: ./.gitea/workflows/shared.yml\n";
const TWO_CALLERS: &str = "name: CI\non: push\njobs:\n  lint:\n    runs-on: x\n  one:\n    uses: ./.gitea/workflows/shared.yml\n  two:\n    uses: ./.gitea/workflows/shared.yml\n";
const REVIEWS: &str = "name: CI\non: [pull_request_review, pull_request_review_comment]\njobs:\n  build:\n    runs-on: x\n";
const VALUES: &str = "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        v: [3.10, '3.10', 010, 0x1F, 1_000, .inf, .nan, ~, 1e6, true, True, 2024-01-01, 12345678901234567890, 1e400]\n";
const INTERPOLATED_VALUES: &str = "name: CI\non: push\njobs:\n  t:\n    name: py ${{ matrix.v }}\n    runs-on: x\n    strategy:\n      matrix:\n        v: [1e6, 3.141592653589793, .inf, 1, 3.10, ~, {a: 1}, [1], 12345678901234567890]\n";

fn rows() -> Vec<Row> {
    let gitea_before_27 = &[
        "gitea 1.22",
        "gitea 1.23",
        "gitea 1.24",
        "gitea 1.25",
        "gitea 1.26",
    ][..];
    vec![
        // ---- workflow name -----------------------------------------------------------------
        Row {
            rule: "no top-level name: the workflow part is empty, the trimmed context starts with \"/\"",
            source: "gitea@v1.26.4 services/actions/commit_status.go createCommitStatus (runName := wfs[0].Name); forgejo@v15.0.3 services/actions/commit_status_test.go (\"/ job_2 (push)\")",
            at: &[
                "gitea 1.22",
                "gitea 1.23",
                "gitea 1.24",
                "gitea 1.25",
                "gitea 1.26",
                "forgejo 11",
                "forgejo 12",
                "forgejo 13",
                "forgejo 14",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: "on: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["/ build (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: a missing or blank name becomes the file's base name (#37834)",
            source: "gitea@v1.27.0 modules/actions/workflows.go WorkflowDisplayName (path.Base(WorkflowID) unless TrimSpace(name) != \"\")",
            at: &["gitea 1.27"],
            yaml: "name: '   '\non: push\njobs:\n  build:\n    runs-on: x\n",
            others: &[("nameless.yml", "on: push\njobs:\n  lint:\n    runs-on: x\n")],
            emits: &["ci.yml / build (push)", "nameless.yml / lint (push)"],
            ..ROW
        },
        Row {
            rule: "before Gitea 1.27 (and on Forgejo) a blank name is kept: the trimmed context starts with \"/\"",
            source: "gitea@v1.26.4 createCommitStatus; models/git/commit_status.go NewCommitStatus (strings.TrimSpace of the whole context)",
            at: &[
                "gitea 1.22",
                "gitea 1.26",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: "name: '   '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["/ build (push)"],
            ..ROW
        },
        Row {
            rule: "the context is trimmed as a whole; inner spaces of an untrimmed name stay",
            source: "gitea@v1.26.4 models/git/commit_status.go NewCommitStatus; forgejo@v15.0.3 same",
            at: &["gitea 1.22", "gitea 1.26", "forgejo 11", "forgejo 16"],
            yaml: "name: '  CI  '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI   / build (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27 trims the name itself",
            source: "gitea@v1.27.0 modules/actions/workflows.go WorkflowDisplayName (strings.TrimSpace)",
            at: &["gitea 1.27"],
            yaml: "name: '  CI  '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (push)"],
            ..ROW
        },
        Row {
            rule: "the workflow name is never interpolated",
            source: "gitea@v1.26.4 createCommitStatus (raw wfs[0].Name); gitea@v1.27.0 WorkflowDisplayName; forgejo@v15.0.3 createCommitStatus",
            at: ALL,
            yaml: "name: CI ${{ github.ref }}\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI ${{ github.ref }} / build (push)"],
            ..ROW
        },
        Row {
            rule: "names are Go strings: a plain scalar keeps its source text (`3.10`, `True`, `0x1F`)",
            source: "gitea/act@v0.261.7 pkg/jobparser/model.go (SingleWorkflow.Name, Job.Name string); yaml/go-yaml@v3.0.4 decode.go scalar (reflect.String → n.Value)",
            at: ALL,
            yaml: "name: 3.10\non: push\njobs:\n  a:\n    name: True\n    runs-on: x\n  b:\n    name: 0x1F\n    runs-on: x\n",
            emits: &["3.10 / True (push)", "3.10 / 0x1F (push)"],
            ..ROW
        },
        // ---- job name ----------------------------------------------------------------------
        Row {
            rule: "a job without name: (or name: '') posts its id",
            source: "gitea/act@v0.261.7 pkg/jobparser/jobparser.go Parse (if job.Name == \"\" { job.Name = id }); forgejo runner act/jobparser/jobparser.go nameWithMatrix(id, …)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n  lint:\n    name: ''\n    runs-on: x\n  test:\n    name: Unit tests\n    runs-on: x\n",
            emits: &[
                "CI / build (push)",
                "CI / lint (push)",
                "CI / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            rule: "spaces inside a job name are kept (only the whole context is trimmed)",
            source: "gitea@v1.27.0 models/git/commit_status.go NewCommitStatus",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: ' Build '\n    runs-on: x\n",
            emits: &["CI /  Build  (push)"],
            ..ROW
        },
        Row {
            rule: "a job name over 255 bytes is cut to 252 + …; exactly 255 is kept",
            source: "forgejo@v15.0.3 models/actions/run.go InsertRunJobs (util.SplitStringAtByteN); gitea@v1.24.7 EllipsisDisplayString",
            at: ALL,
            yaml: named_job(&"a".repeat(300)),
            emits: ctx(&format!("{}…", "a".repeat(252))),
            ..ROW
        },
        Row {
            rule: "a job name of exactly 255 bytes is kept",
            source: "forgejo@v15.0.3 modules/util/truncate.go SplitStringAtByteN",
            at: ALL,
            yaml: named_job(&"a".repeat(255)),
            emits: ctx(&"a".repeat(255)),
            ..ROW
        },
        Row {
            rule: "the byte cut stops at a character boundary: 200 × é (400 bytes) → 126 × é + …",
            source: "forgejo@v15.0.3 modules/util/truncate.go SplitStringAtByteN; gitea@v1.23.8 models/actions/run.go",
            at: &[
                "gitea 1.22",
                "gitea 1.23",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: named_job(&"é".repeat(200)),
            emits: ctx(&format!("{}…", "é".repeat(126))),
            ..ROW
        },
        Row {
            rule: "Gitea 1.24+ cuts by display width (é counts 1): 200 × é is kept whole (#32984)",
            source: "gitea@v1.24.7 modules/util/truncate.go EllipsisDisplayString",
            at: &["gitea 1.24", "gitea 1.25", "gitea 1.26", "gitea 1.27"],
            yaml: named_job(&"é".repeat(200)),
            emits: ctx(&"é".repeat(200)),
            ..ROW
        },
        Row {
            rule: "Gitea 1.24+: CJK counts 2: 130 × 漢 → 126 × 漢 + …",
            source: "gitea@v1.24.7 modules/util/truncate.go ellipsisGuessDisplayWidth",
            at: &["gitea 1.24", "gitea 1.27"],
            yaml: named_job(&"漢".repeat(130)),
            emits: ctx(&format!("{}…", "漢".repeat(126))),
            ..ROW
        },
        Row {
            rule: "by bytes, 130 × 漢 (390 bytes) → 84 × 漢 + …",
            source: "forgejo@v15.0.3 SplitStringAtByteN",
            at: &["gitea 1.23", "forgejo 15"],
            yaml: named_job(&"漢".repeat(130)),
            emits: ctx(&format!("{}…", "漢".repeat(84))),
            ..ROW
        },
        // ---- matrix suffix -----------------------------------------------------------------
        Row {
            rule: "the suffix orders values by key name in byte order (uppercase first)",
            source: "gitea/act@v0.261.7 pkg/jobparser/jobparser.go matrixName (sort.Strings); forgejo runner act/jobparser/jobparser.go matrixName",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [linux]\n        arch: [amd64, arm64]\n        Zone: [eu]\n",
            emits: &[
                "CI / test (eu, amd64, linux) (push)",
                "CI / test (eu, arm64, linux) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "matrix values are decoded by yaml.v3's resolver and printed by fmt.Sprint",
            source: "yaml/go-yaml@v3.0.4 resolve.go resolve (base-0 integers, .inf, .nan, timestamps, uint64, out-of-range floats stay strings); fmt.Sprint",
            at: &[
                "gitea 1.22",
                "gitea 1.23",
                "gitea 1.24",
                "gitea 1.25",
                "gitea 1.26",
                "gitea 1.27",
                "forgejo 11.0.3",
                "forgejo 12.0.1",
            ],
            yaml: VALUES,
            emits: &[
                "CI / t (3.1) (push)",
                "CI / t (3.10) (push)",
                "CI / t (8) (push)",
                "CI / t (31) (push)",
                "CI / t (1000) (push)",
                "CI / t (+Inf) (push)",
                "CI / t (NaN) (push)",
                "CI / t (<nil>) (push)",
                "CI / t (1e+06) (push)",
                "CI / t (true) (push)",
                "CI / t (2024-01-01 00:00:00 +0000 UTC) (push)",
                "CI / t (12345678901234567890) (push)",
                "CI / t (1e400) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Forgejo renames the second leg that prints `(true)` (`true` and `True` are both the bool true)",
            source: "forgejo@v13.0.0 services/actions/job_parser.go jobParser (#8864); yaml/go-yaml@v3.0.4 resolve.go",
            at: &[
                "forgejo 11.0.4",
                "forgejo 12.0.2",
                "forgejo 13",
                "forgejo 14",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: VALUES,
            emits: &[
                "CI / t (3.1) (push)",
                "CI / t (3.10) (push)",
                "CI / t (8) (push)",
                "CI / t (31) (push)",
                "CI / t (1000) (push)",
                "CI / t (+Inf) (push)",
                "CI / t (NaN) (push)",
                "CI / t (<nil>) (push)",
                "CI / t (1e+06) (push)",
                "CI / t (true) (push)",
                "CI / t (true)-1 (push)",
                "CI / t (2024-01-01 00:00:00 +0000 UTC) (push)",
                "CI / t (12345678901234567890) (push)",
                "CI / t (1e400) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "a map value prints as Go's map[k:v] with sorted keys",
            source: "fmt.Sprint of map[string]interface{}; gitea/act@v0.261.7 matrixName",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n        compiler: [{ CXX: g++-14, CC: gcc-14 }]\n        type: [Debug]\n",
            emits: &["CI / build (map[CC:gcc-14 CXX:g++-14], Debug) (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea appends the suffix to a static name too",
            source: "gitea/act@v0.261.7 pkg/jobparser/jobparser.go nameWithMatrix (no ${{ }} → name + \" \" + matrixName)",
            at: GITEA,
            yaml: MATRIX_STATIC_NAME,
            emits: &[
                "CI / Test (a) (push)",
                "CI / Test (b) (push)",
                "CI / Test (c) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Forgejo before de-duplication: a static name on a matrix posts ONE context for all legs",
            source: "forgejo@v11.0.3 (runner: act/jobparser/jobparser.go Parse, a name is only interpolated)",
            at: &["forgejo 11.0.3", "forgejo 12.0.1"],
            yaml: MATRIX_STATIC_NAME,
            emits: &["CI / Test (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo de-duplicates job names: legs of a static name post name, name-1, name-2",
            source: "forgejo@v13.0.0 services/actions/job_parser.go jobParser (#8864; backports #8884 in v11.0.4, #8883 in v12.0.2); forgejo@v15.0.3 modules/actions/job_parser.go JobParser",
            at: &[
                "forgejo 11.0.4",
                "forgejo 12.0.2",
                "forgejo 13",
                "forgejo 14",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: MATRIX_STATIC_NAME,
            emits: &[
                "CI / Test (push)",
                "CI / Test-1 (push)",
                "CI / Test-2 (push)",
            ],
            ..ROW
        },
        Row {
            rule: "two jobs with one name post one context where names are not de-duplicated",
            source: "gitea@v1.27.0 createCommitStatus; forgejo@v11.0.3",
            at: &["gitea 1.22", "gitea 1.27", "forgejo 11.0.3"],
            yaml: TWO_JOBS_ONE_NAME,
            emits: &["CI / test (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo renames the second job of the same name",
            source: "forgejo@v15.0.3 modules/actions/job_parser.go JobParser",
            at: &["forgejo 11.0.4", "forgejo 13", "forgejo 16"],
            yaml: TWO_JOBS_ONE_NAME,
            emits: &["CI / test (push)", "CI / test-1 (push)"],
            ..ROW
        },
        Row {
            rule: "legs whose values print alike (\"1\", 1, 1.0) are distinct legs with one name; Forgejo numbers them",
            source: "forgejo@v15.0.3 JobParser; runner act/model/workflow.go GetMatrixes (reflect.DeepEqual)",
            at: &["forgejo 13", "forgejo 15"],
            yaml: LEGS_PRINTING_ALIKE,
            emits: &[
                "CI / t (1) (push)",
                "CI / t (1)-1 (push)",
                "CI / t (1)-2 (push)",
            ],
            ..ROW
        },
        Row {
            rule: "on Gitea legs that print alike post one context",
            source: "gitea/act@v0.261.7 matrixName",
            at: GITEA,
            yaml: LEGS_PRINTING_ALIKE,
            emits: &["CI / t (1) (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo counts per original name and does not track generated names: build, build, build-1 → build, build-1, build-1",
            source: "forgejo@v15.0.3 modules/actions/job_parser.go JobParser (duplicates[job.Name]++)",
            at: &["forgejo 15"],
            yaml: "name: CI\non: push\njobs:\n  a:\n    name: build\n    runs-on: x\n  b:\n    name: build\n    runs-on: x\n  c:\n    name: build-1\n    runs-on: x\n",
            emits: &["CI / build (push)", "CI / build-1 (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo: an earlier name known only at run time may take a later job's name, which is then renamed: unresolved",
            source: "forgejo@v15.0.3 JobParser (parse order); runner evaluator.Interpolate (vars from WithVars)",
            at: &["forgejo 13", "forgejo 16"],
            yaml: "name: CI\non: push\njobs:\n  a:\n    name: ${{ vars.NAME }}\n    runs-on: x\n  b:\n    name: build\n    runs-on: x\n",
            unresolved: &["CI / * (push)", "CI / build{,-*} (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.23+ interpolates a name holding ${{ }} on a matrix job, without suffix; Forgejo interpolates every name",
            source: "gitea/act@v0.261.3 pkg/jobparser/jobparser.go nameWithMatrix (gitea/act #106); forgejo runner act/jobparser/jobparser.go Parse",
            at: &[
                "gitea 1.23",
                "gitea 1.24",
                "gitea 1.25",
                "gitea 1.26",
                "gitea 1.27",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        v: [1]\n",
            emits: &["CI / Test a (push)", "CI / Test b (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.22 always appends the suffix and never interpolates",
            source: "gitea/act@v0.259.1 pkg/jobparser/jobparser.go nameWithMatrix",
            at: &["gitea 1.22"],
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n",
            emits: &[
                "CI / Test ${{ matrix.os }} (a) (push)",
                "CI / Test ${{ matrix.os }} (b) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "only `${{` AND `}}` together make an expression",
            source: "gitea/act@v0.261.7 nameWithMatrix (strings.Contains both); runner jobparser/evaluator.go Interpolate",
            at: GITEA,
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ half\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n",
            emits: &["CI / Test ${{ half (a) (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo: a name with `${{` alone is static (no suffix)",
            source: "forgejo runner act/jobparser/evaluator.go Interpolate",
            at: &["forgejo 11", "forgejo 16"],
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ half\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n",
            emits: &["CI / Test ${{ half (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea never interpolates the name of a job without matrix",
            source: "gitea/act@v0.261.7 nameWithMatrix (len(m) == 0 returns the name); gitea@v1.27.0 modules/actions/jobparser/jobparser.go",
            at: GITEA,
            yaml: GITHUB_IN_NAME,
            emits: &["CI / Build ${{ github.ref_name }} (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo up to 15 passes no git context when it names jobs: github.* reads as empty",
            source: "forgejo@v15.0.3 services/actions/notifier_helper.go (jobparser options without WithGitContext); runner exprparser getPropertyValue (nil)",
            at: &["forgejo 11", "forgejo 13", "forgejo 15"],
            yaml: GITHUB_IN_NAME,
            emits: &["CI / Build  (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo 16 evaluates github.* when it names jobs: known only at run time",
            source: "forgejo v16.0/forgejo services/actions/notifier_helper.go WithGitContext (#13030)",
            at: &["forgejo 16"],
            yaml: GITHUB_IN_NAME,
            unresolved: &["CI / Build * (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.23 and 1.24 pass no git context: github.* in a matrix job's name reads as empty",
            source: "gitea@v1.24.7 services/actions/notifier_helper.go (jobparser.Parse(content, WithVars(vars)))",
            at: &["gitea 1.23", "gitea 1.24", "forgejo 11", "forgejo 15"],
            yaml: GITHUB_IN_MATRIX_NAME,
            emits: &["CI / t a (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.25+ passes the git context: github.* is known only at run time",
            source: "gitea@v1.25.5 services/actions/notifier_helper.go (WithGitContext)",
            at: &["gitea 1.25", "gitea 1.26", "gitea 1.27"],
            yaml: GITHUB_IN_MATRIX_NAME,
            unresolved: &["CI / t *a (push)"],
            ..ROW
        },
        Row {
            rule: "no name: id plus suffix on every release",
            source: "forgejo runner nameWithMatrix(id, matrix); gitea/act nameWithMatrix",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      matrix:\n        v: [3.10]\n        os: [a]\n",
            emits: &["CI / test (a, 3.1) (push)"],
            ..ROW
        },
        Row {
            rule: "format() in a name is evaluated per leg",
            source: "forgejo@d883bd8 .forgejo/workflows/testing.yml test-remote-cacher; runner exprparser functions.go format",
            at: &[
                "gitea 1.23",
                "gitea 1.27",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: "name: testing\non: push\njobs:\n  cacher:\n    name: ${{ format('test-remote-cacher ({0})', matrix.cacher.name) }}\n    runs-on: x\n    strategy:\n      matrix:\n        cacher:\n          - name: redis\n          - name: valkey\n",
            emits: &[
                "testing / test-remote-cacher (redis) (push)",
                "testing / test-remote-cacher (valkey) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "an interpolated value is printed by coerceToString (%.15G floats, Infinity, Object, Array, <uint64 Value>), not fmt.Sprint",
            source: "gitea/act@v0.261.7 pkg/exprparser/interpreter.go coerceToString; gitea/runner@v1.0.8 act/exprparser/interpreter.go; forgejo runner act/exprparser/interpreter.go",
            at: &[
                "gitea 1.23",
                "gitea 1.25",
                "gitea 1.27",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: INTERPOLATED_VALUES,
            emits: &[
                "CI / py 1000000 (push)",
                "CI / py 3.14159265358979 (push)",
                "CI / py Infinity (push)",
                "CI / py 1 (push)",
                "CI / py 3.1 (push)",
                "CI / py  (push)",
                "CI / py Object (push)",
                "CI / py Array (push)",
                "CI / py <uint64 Value> (push)",
            ],
            ..ROW
        },
        // ---- GetMatrixes -------------------------------------------------------------------
        Row {
            rule: "GetMatrixes: product, then exclude by partial match",
            source: "gitea/act@v0.261.7 pkg/model/workflow.go GetMatrixes (commonKeysMatch); forgejo runner act/model/workflow.go",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        v: [1, 2]\n        exclude:\n          - os: b\n            v: 2\n          - v: 1\n            os: a\n",
            emits: &["CI / t (a, 2) (push)", "CI / t (b, 1) (push)"],
            ..ROW
        },
        Row {
            rule: "GetMatrixes: an include-only matrix is one leg per entry",
            source: "gitea/act@v0.261.7 GetMatrixes (extraIncludes)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        include:\n          - name: Full, Wine, win64\n          - target: arm\n            os: linux\n",
            emits: &[
                "CI / t (Full, Wine, win64) (push)",
                "CI / t (linux, arm) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "GetMatrixes: an include that fits extends every matching leg",
            source: "gitea/act@v0.261.7 GetMatrixes (commonKeysMatch2 on the original axes)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        flavor: [WebDebug, FdroidDebug]\n        include:\n          - flavor: WebDebug\n            arch: arm64\n          - flavor: FdroidDebug\n            arch: arm32\n",
            emits: &[
                "CI / t (arm64, WebDebug) (push)",
                "CI / t (arm32, FdroidDebug) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "GetMatrixes: an include contradicting every leg becomes a leg with only its keys",
            source: "gitea/act@v0.261.7 GetMatrixes",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        v: [1]\n        include:\n          - os: c\n            extra: z\n",
            emits: &["CI / t (a, 1) (push)", "CI / t (z, c) (push)"],
            ..ROW
        },
        Row {
            rule: "GetMatrixes: an include naming no matrix key is its own leg",
            source: "gitea/act@v0.261.7 GetMatrixes (extraInclude)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        include:\n          - extra: 1\n",
            emits: &[
                "CI / t (a) (push)",
                "CI / t (b) (push)",
                "CI / t (1) (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Gitea runs one leg without values when every leg is excluded",
            source: "gitea/act@v0.261.7 GetMatrixes (if len(matrixes) == 0); gitea/runner@v1.0.8 act/model/workflow.go",
            at: GITEA,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - os: a\n  u:\n    runs-on: x\n",
            emits: &["CI / t (push)", "CI / u (push)"],
            ..ROW
        },
        Row {
            rule: "the Forgejo runner runs no leg when every leg is excluded",
            source: "forgejo runner act/model/workflow.go GetMatrixes (no empty-leg line)",
            at: FORGEJO,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - os: a\n  u:\n    runs-on: x\n",
            emits: &["CI / u (push)"],
            ..ROW
        },
        Row {
            rule: "an exclude key that is no matrix key makes the workflow invalid",
            source: "gitea/act@v0.261.7 GetMatrixes (\"Matrix exclude key %q does not match any key within the matrix\")",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - arch: x\n",
            broken: true,
            ..ROW
        },
        Row {
            rule: "exclude compares with reflect.DeepEqual: NaN excludes nothing, 1.0 is not 1",
            source: "gitea/act@v0.261.7 commonKeysMatch (reflect.DeepEqual)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        v: [.nan, 1]\n        exclude:\n          - v: .nan\n          - v: 1.0\n",
            emits: &["CI / t (1) (push)", "CI / t (NaN) (push)"],
            ..ROW
        },
        // ---- matrix decoding ---------------------------------------------------------------
        Row {
            rule: "a matrix value that is not a list (an expression too) leaves the job without matrix",
            source: "gitea/act@v0.261.10 pkg/model/workflow.go Matrix (decodeNode into map[string][]interface{} fails → nil); Parse does not evaluate the matrix",
            at: gitea_before_27,
            yaml: DYNAMIC_MATRIX,
            emits: &["CI / Build (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27 wraps a scalar matrix value into a one-value list: the expression text is the value",
            source: "gitea/runner@v1.0.8 act/model/workflow.go Matrix, normalizeMatrixValue; gitea@v1.27.0 modules/actions/jobparser/jobparser.go Parse (no matrix evaluation)",
            at: &["gitea 1.27"],
            yaml: DYNAMIC_MATRIX,
            emits: &["CI / Build (${{ fromJson(needs.detect.outputs.containers) }}) (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo evaluates the matrix before expanding it: legs known only at run time",
            source: "forgejo runner act/jobparser/jobparser.go Parse (matrixEvaluator.EvaluateYamlNode(&job.Strategy.RawMatrix))",
            at: FORGEJO,
            yaml: DYNAMIC_MATRIX,
            unresolved: &["CI / Build* (push)"],
            ..ROW
        },
        Row {
            rule: "an include written as a mapping (not a list) fails the strict decode: no matrix",
            source: "gitea/act@v0.261.10 Matrix (map[string][]interface{}); gitea/runner@v1.0.8 normalizeMatrixValue (a map value is refused)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        include: {os: b}\n",
            emits: &["CI / t (push)"],
            ..ROW
        },
        // ---- events ------------------------------------------------------------------------
        Row {
            rule: "on: as a string, a list and a map",
            source: "gitea/act pkg/jobparser ParseRawOn; workflow_dispatch posts nothing (commit_status.go getCommitStatusEventNameAndCommitID)",
            at: ALL,
            yaml: "name: CI\non: [push, pull_request, workflow_dispatch]\njobs:\n  build:\n    runs-on: x\n",
            others: &[
                (
                    "map.yml",
                    "name: M\non:\n  push:\n  pull_request:\njobs:\n  build:\n    runs-on: x\n",
                ),
                (
                    "s.yml",
                    "name: S\non: pull_request\njobs:\n  build:\n    runs-on: x\n",
                ),
            ],
            emits: &[
                "CI / build (push)",
                "CI / build (pull_request)",
                "M / build (push)",
                "M / build (pull_request)",
                "S / build (pull_request)",
            ],
            ..ROW
        },
        Row {
            rule: "schedule, workflow_dispatch, issues, issue_comment, workflow_call post no status",
            source: "gitea@v1.27.0 modules/actions/workflows.go ShouldEventCreateCommitStatus; forgejo@v15.0.3 commit_status.go",
            at: ALL,
            yaml: "name: CI\non:\n  schedule:\n    - cron: '0 0 * * *'\n  workflow_dispatch:\n  issues:\n    types: [opened]\n  issue_comment:\n  workflow_call:\njobs:\n  build:\n    runs-on: x\n",
            ..ROW
        },
        Row {
            rule: "Gitea 1.22 posts (pull_request) for pull_request_target runs",
            source: "gitea@v1.22.6 services/actions/commit_status.go (before #31703)",
            at: &["gitea 1.22"],
            yaml: "name: pr\non:\n  pull_request_target:\njobs:\n  preview:\n    runs-on: x\n",
            emits: &["pr / preview (pull_request)"],
            ..ROW
        },
        Row {
            rule: "pull_request_target runs post (pull_request_target)",
            source: "gitea@v1.23.8 services/actions/commit_status.go (#31703); forgejo@v15.0.3 commit_status.go",
            at: &["gitea 1.23", "gitea 1.27", "forgejo 11", "forgejo 16"],
            yaml: "name: pr\non:\n  pull_request_target:\njobs:\n  preview:\n    runs-on: x\n",
            emits: &["pr / preview (pull_request_target)"],
            ..ROW
        },
        Row {
            rule: "release posts (release), never on a pull request's commits: conditional",
            source: "gitea@v1.27.0 commit_status.go (HookEventRelease)",
            at: ALL,
            yaml: "name: CI\non:\n  release:\n    types: [published]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (release)"],
            conditional: &["CI / build (release)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.26+ posts (pull_request_review) and (pull_request_review_comment) when a review is submitted",
            source: "gitea@v1.26.0 services/actions/commit_status.go getCommitStatusEventNameAndCommitID (#36589: event = run.TriggerEvent)",
            at: &["gitea 1.26", "gitea 1.27"],
            yaml: REVIEWS,
            emits: &[
                "CI / build (pull_request_review)",
                "CI / build (pull_request_review_comment)",
            ],
            conditional: &[
                "CI / build (pull_request_review)",
                "CI / build (pull_request_review_comment)",
            ],
            ..ROW
        },
        Row {
            rule: "review events post no status before Gitea 1.26 and on Forgejo",
            source: "gitea@v1.25.5 commit_status.go (default case); forgejo@v15.0.3 commit_status.go",
            at: &[
                "gitea 1.22",
                "gitea 1.25",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: REVIEWS,
            ..ROW
        },
        // ---- trigger filters ---------------------------------------------------------------
        Row {
            rule: "pull_request.branches leaving out the protected branch: no run, no status",
            source: "gitea@v1.26.4 modules/actions/workflows.go matchPullRequestEvent; forgejo@v15.0.3 same",
            at: &[
                "gitea 1.22",
                "gitea 1.26",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: BRANCH_FILTERED,
            silent: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27 posts skipped for required contexts of a filtered-out workflow",
            source: "gitea@v1.27.0 services/actions/notifier_helper.go handleFilteredWorkflows, commit_status.go CreateSkippedCommitStatusForFilteredWorkflow (#38237, #38371)",
            at: &["gitea 1.27"],
            yaml: BRANCH_FILTERED,
            emits: &["CI / build (pull_request)"],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            rule: "a branches glob selecting the protected branch posts; branches-ignore on push is conditional",
            source: "gitea@v1.27.0 matchPullRequestEvent, matchPushEvent",
            at: ALL,
            yaml: "name: CI\non:\n  pull_request:\n    branches: ['*']\n  push:\n    branches-ignore: [dev]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)", "CI / build (push)"],
            conditional: &["CI / build (push)"],
            ..ROW
        },
        Row {
            rule: "paths filters make an emitter conditional",
            source: "gitea@v1.27.0 matchPullRequestEvent (paths against the changed files)",
            at: ALL,
            yaml: "name: CI\non:\n  pull_request:\n    paths: ['src/**']\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)"],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            rule: "types leaving out synchronize make an emitter conditional",
            source: "gitea@v1.27.0 matchPullRequestEvent (types)",
            // Gitea 1.22 posts both under (pull_request): see the pull_request_target rows.
            at: &[
                "gitea 1.23",
                "gitea 1.24",
                "gitea 1.25",
                "gitea 1.26",
                "gitea 1.27",
                "forgejo 11",
                "forgejo 12",
                "forgejo 13",
                "forgejo 14",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: "name: CI\non:\n  pull_request:\n    types: [opened, labeled]\n  pull_request_target:\n    types: [opened, synchronize, reopened, labeled]\njobs:\n  build:\n    runs-on: x\n",
            emits: &[
                "CI / build (pull_request)",
                "CI / build (pull_request_target)",
            ],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            rule: "a push with tag filters only never runs for a branch",
            source: "gitea@v1.26.4 modules/actions/workflows.go matchPushEvent (case \"tags\": a branch ref never matches); forgejo@v15.0.3 same",
            at: &[
                "gitea 1.22",
                "gitea 1.26",
                "forgejo 11",
                "forgejo 15",
                "forgejo 16",
            ],
            yaml: TAG_ONLY,
            silent: &["release / release (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27 posts skipped for a required tag-only push context on a branch push",
            source: "gitea@v1.27.0 matchPushEvent → detectFilteredOut; CreateSkippedCommitStatusForFilteredWorkflow (#38237, #38371; #38365 closed unmerged)",
            at: &["gitea 1.27"],
            yaml: TAG_ONLY,
            emits: &["release / release (push)"],
            conditional: &["release / release (push)"],
            ..ROW
        },
        Row {
            rule: "a push with branches and tags can run for a branch: conditional",
            source: "gitea@v1.27.0 matchPushEvent",
            at: ALL,
            yaml: "name: CI\non:\n  push:\n    branches: [main]\n    tags: ['v*']\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (push)"],
            conditional: &["CI / build (push)"],
            ..ROW
        },
        Row {
            rule: "a job-level if: can skip the job: conditional; always(), success() are not conditions",
            source: "gitea@v1.27.0 services/actions/job_emitter.go; forgejo@v15.0.3 job_emitter.go",
            at: ALL,
            yaml: "name: CI\non: pull_request\njobs:\n  a:\n    if: github.event_name == 'push'\n    runs-on: x\n  b:\n    if: always()\n    runs-on: x\n  c:\n    if: ${{ success() }}\n    runs-on: x\n",
            emits: &[
                "CI / a (pull_request)",
                "CI / b (pull_request)",
                "CI / c (pull_request)",
            ],
            conditional: &["CI / a (pull_request)"],
            ..ROW
        },
        // ---- reusable workflows ------------------------------------------------------------
        Row {
            rule: "a reusable call posts one status, the caller's",
            source: "gitea@v1.26.4 (runner runs the callee inside the caller job); forgejo@v14.0.5 (before #10525)",
            at: &["gitea 1.22", "gitea 1.26", "forgejo 11", "forgejo 14"],
            yaml: CALLER,
            others: &[("shared.yml", CALLEE)],
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: the caller and each called job, under the called workflow's name",
            source: "gitea@v1.27.0 services/actions/reusable_workflow.go insertCallerChildren (#37478); WorkflowDisplayName(run.WorkflowID, job.WorkflowPayload)",
            at: &["gitea 1.27"],
            yaml: CALLER,
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / call (push)",
                "Shared / lint (push)",
                "Shared / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: a called workflow without name: posts under the CALLER's file name",
            source: "gitea@v1.27.0 WorkflowDisplayName (path.Base(run.WorkflowID) is the caller's file)",
            at: &["gitea 1.27"],
            yaml: CALLER,
            others: &[("shared.yml", CALLEE_NO_NAME)],
            emits: &["CI / call (push)", "ci.yml / lint (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo 15+: a caller without runs-on is expanded; called jobs post under the caller's workflow name",
            source: "forgejo@v15.0.0 services/actions/reusable_workflows.go expandForJob (#10525); runner act/jobparser expandReusableWorkflows",
            at: &["forgejo 15", "forgejo 16"],
            yaml: CALLER,
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / call (push)",
                "CI / lint (push)",
                "CI / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Forgejo 15+: called jobs come after the caller's own jobs and are de-duplicated with them",
            source: "forgejo@v15.0.3 modules/actions/job_parser.go JobParser; runner testdata expand_reusable_needs",
            at: &["forgejo 15", "forgejo 16"],
            yaml: TWO_CALLERS,
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / lint (push)",
                "CI / one (push)",
                "CI / two (push)",
                "CI / lint-1 (push)",
                "CI / Unit tests (push)",
                "CI / lint-2 (push)",
                "CI / Unit tests-1 (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: the children of two callers post the same contexts",
            source: "gitea@v1.27.0 insertCallerChildren",
            at: &["gitea 1.27"],
            yaml: TWO_CALLERS,
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / lint (push)",
                "CI / one (push)",
                "CI / two (push)",
                "Shared / lint (push)",
                "Shared / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            rule: "Forgejo 15+: a caller with runs-on is not expanded",
            source: "forgejo@v15.0.3 services/actions/reusable_workflows.go expandForJob (len(job.RunsOn()) == 0)",
            at: &["forgejo 15", "forgejo 16"],
            yaml: "name: CI\non: push\njobs:\n  call:\n    runs-on: docker\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo 15+: a call to another repository on the instance is expanded, its jobs unknown here",
            source: "forgejo@v15.0.3 notifier_helper.go handleWorkflows (ExpandInstanceReusableWorkflows)",
            at: &["forgejo 15", "forgejo 16"],
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: other/repo/.forgejo/workflows/build.yml@v1\n",
            emits: &["CI / call (push)"],
            unresolved: &["CI / * (push)"],
            ..ROW
        },
        Row {
            rule: "Forgejo 15+: a call by full URL is not expanded",
            source: "forgejo@v15.0.3 notifier_helper.go (only local and instance calls are expanded)",
            at: &["forgejo 15"],
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: https://example.org/o/r/.forgejo/workflows/b.yml@v1\n",
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: a call to another repository: children under an unknown name",
            source: "gitea@v1.27.0 insertCallerChildren",
            at: &["gitea 1.27"],
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: other/repo/.gitea/workflows/build.yml@v1\n",
            emits: &["CI / call (push)"],
            unresolved: &["* / * (push)"],
            ..ROW
        },
        Row {
            rule: "Gitea 1.27: called jobs are created only when the caller runs: a caller with if: or needs leaves them conditional",
            source: "gitea@v1.27.0 services/actions/job_emitter.go checkJobsOfCurrentRunAttempt (a skipped caller is never expanded)",
            at: &["gitea 1.27"],
            yaml: "name: CI\non: push\njobs:\n  pre:\n    runs-on: x\n  call:\n    needs: pre\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / pre (push)",
                "CI / call (push)",
                "Shared / lint (push)",
                "Shared / Unit tests (push)",
            ],
            conditional: &["Shared / lint (push)", "Shared / Unit tests (push)"],
            ..ROW
        },
        // ---- broken ------------------------------------------------------------------------
        Row {
            rule: "a workflow the forge cannot parse: malformed YAML, no on:, a name that is a list, a duplicate key",
            source: "gitea@v1.27.0 modules/actions/workflows.go DetectWorkflows (\"ignore invalid workflow\"); yaml/go-yaml@v3.0.4 decode.go mapping (already defined)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: [x\n",
            broken: true,
            ..ROW
        },
        Row {
            rule: "a workflow without on: cannot trigger",
            source: "gitea/act pkg/jobparser ParseRawOn",
            at: ALL,
            yaml: "name: CI\njobs:\n  build:\n    runs-on: x\n",
            broken: true,
            ..ROW
        },
        Row {
            rule: "a job name that is a list cannot be decoded into a string",
            source: "yaml/go-yaml@v3.0.4 decode.go (cannot unmarshal !!seq into string)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: [a]\n    runs-on: x\n",
            broken: true,
            ..ROW
        },
        Row {
            rule: "a duplicate key is refused",
            source: "yaml/go-yaml@v3.0.4 decode.go mapping (mapping key already defined)",
            at: ALL,
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n    runs-on: y\n",
            broken: true,
            ..ROW
        },
    ]
}

#[test]
fn every_row_matches_the_forge_at_every_release_it_names() {
    let rows = rows();
    assert!(rows.len() >= 60, "only {} rows", rows.len());
    let mut failures = Vec::new();
    let mut checks = 0;
    for row in &rows {
        assert!(!row.at.is_empty() && !row.source.is_empty(), "{}", row.rule);
        for at in row.at {
            checks += 1;
            let errs = check(row, at);
            if !errs.is_empty() {
                failures.push(format!("[{at}] {}\n    {}", row.rule, errs.join("\n    ")));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checks} checks disagree:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn every_modelled_release_has_rows() {
    let rows = rows();
    for flavor in [Flavor::Gitea, Flavor::Forgejo] {
        for line in version::lines(flavor) {
            let n = rows
                .iter()
                .filter(|r| {
                    r.at.iter().any(|a| {
                        let (f, v) = release(a);
                        f == flavor && v.line() == *line
                    })
                })
                .count();
            assert!(n >= 20, "{flavor} {line}: only {n} rows");
        }
    }
}

#[test]
fn rules_are_unique() {
    let rows = rows();
    let names: BTreeSet<&str> = rows.iter().map(|r| r.rule).collect();
    assert_eq!(names.len(), rows.len());
}
