//! Table-driven check of the context model: each row encodes one forge behaviour (named with the
//! source it was read from) and the contexts a workflow then posts.
//!
//! Sources: `services/actions/commit_status.go` (Gitea, Forgejo), act's `pkg/jobparser/jobparser.go`
//! and `pkg/model/workflow.go` (`GetMatrixes`), the Forgejo runner's `act/jobparser/jobparser.go`,
//! `modules/actions/workflows.go` (trigger matching); see /tmp/research/contexts.md.

use std::collections::BTreeSet;

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::{Analysis, analyse};
use driftgate::checks::required_checks::workflow::WorkflowFile;
use driftgate::forge::version::{Flavor, Version};

const G: Flavor = Flavor::Gitea;
const F: Flavor = Flavor::Forgejo;

struct Row {
    /// The forge behaviour the row encodes, with where it was read.
    name: &'static str,
    flavor: Flavor,
    version: (u32, u32),
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
    name: "",
    flavor: G,
    version: (1, 26),
    yaml: "",
    others: &[],
    branch: Some("main"),
    emits: &[],
    conditional: &[],
    unresolved: &[],
    silent: &[],
    broken: false,
};

const DIR: &str = ".gitea/workflows";

fn file(entry: &str, text: &str) -> WorkflowFile {
    WorkflowFile {
        path: format!("{DIR}/{entry}"),
        entry: entry.to_string(),
        text: text.to_string(),
    }
}

fn run(row: &Row) -> Analysis {
    let mut files = vec![file("ci.yml", row.yaml)];
    files.extend(row.others.iter().map(|(e, t)| file(e, t)));
    let b = Behaviour::new(row.flavor, Version::new(row.version.0, row.version.1));
    analyse(&files, &b, row.branch)
}

fn set<'a>(items: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    items.into_iter().map(str::to_string).collect()
}

fn check(row: &Row) -> Vec<String> {
    let a = run(row);
    let mut errs = Vec::new();
    let mut compare = |what: &str, got: BTreeSet<String>, want: BTreeSet<String>| {
        if got != want {
            errs.push(format!("{what}:\n      got  {got:?}\n      want {want:?}"));
        }
    };
    compare(
        "emitted",
        set(a.emitters.iter().map(|e| e.context.as_str())),
        set(row.emits.iter().copied()),
    );
    // A context is conditional when every job that posts it may not post it.
    let conditional = a.emitters.iter().map(|e| e.context.as_str()).filter(|c| {
        a.emitters
            .iter()
            .filter(|e| e.context == *c)
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

fn rows() -> Vec<Row> {
    vec![
        // ---- workflow name -----------------------------------------------------------------
        Row {
            name: "Gitea 1.27: no top-level name → empty run name, context trimmed to \"/ job (event)\" (commit_status.go createCommitStatus, runName = wfs[0].Name)",
            version: (1, 27),
            yaml: "on: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["/ build (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.28: missing name falls back to the file name with extension (go-gitea/gitea#37834, path.Base(WorkflowID))",
            version: (1, 28),
            yaml: "on: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["ci.yml / build (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.28: a blank name counts as missing (#37834 follow-up aaa7df72, TrimSpace before the check)",
            version: (1, 28),
            yaml: "name: '   '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["ci.yml / build (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: no top-level name → \"/ job_2 (push)\" (Forgejo services/actions/commit_status_test.go)",
            flavor: F,
            version: (15, 0),
            yaml: "on: push\njobs:\n  job_2:\n    runs-on: x\n",
            emits: &["/ job_2 (push)"],
            ..ROW
        },
        Row {
            name: "Gitea: the context is trimmed as a whole, inner spaces of the workflow name stay (models/git NewCommitStatus TrimSpace)",
            version: (1, 27),
            yaml: "name: '  CI  '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI   / build (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: a blank name is not missing before #37834; the trimmed context starts with \"/\"",
            version: (1, 27),
            yaml: "name: '  '\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["/ build (push)"],
            ..ROW
        },
        Row {
            name: "Gitea: the workflow name is never interpolated (createCommitStatus uses the raw wfs[0].Name)",
            yaml: "name: CI ${{ github.ref }}\non: push\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI ${{ github.ref }} / build (push)"],
            ..ROW
        },
        // ---- job name ----------------------------------------------------------------------
        Row {
            name: "Gitea: job without name: → job id; name: '' also → id (act jobparser.go `if job.Name == \"\" { job.Name = id }`)",
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n  lint:\n    name: ''\n    runs-on: x\n  test:\n    name: Unit tests\n    runs-on: x\n",
            emits: &[
                "CI / build (push)",
                "CI / lint (push)",
                "CI / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            name: "Gitea: spaces inside a job name are kept (only the whole context is trimmed)",
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: ' Build '\n    runs-on: x\n",
            emits: &["CI /  Build  (push)"],
            ..ROW
        },
        Row {
            name: "Both: a job name over 255 bytes is cut to 252 bytes + … (Forgejo SplitStringAtByteN, Gitea EllipsisDisplayString)",
            yaml: named_job(&"a".repeat(300)),
            emits: ctx(&format!("{}…", "a".repeat(252))),
            ..ROW
        },
        Row {
            name: "Both: a job name of exactly 255 bytes is kept",
            flavor: F,
            version: (15, 0),
            yaml: named_job(&"a".repeat(255)),
            emits: ctx(&"a".repeat(255)),
            ..ROW
        },
        Row {
            name: "Forgejo: the cut counts bytes, at a character boundary: 200 × é (400 bytes) → 126 × é + … (models/actions/run.go SplitStringAtByteN)",
            flavor: F,
            version: (15, 0),
            yaml: named_job(&"é".repeat(200)),
            emits: ctx(&format!("{}…", "é".repeat(126))),
            ..ROW
        },
        Row {
            name: "Gitea 1.23: byte cut like Forgejo (SplitStringAtByteN, before #32984)",
            version: (1, 23),
            yaml: named_job(&"é".repeat(200)),
            emits: ctx(&format!("{}…", "é".repeat(126))),
            ..ROW
        },
        Row {
            name: "Gitea 1.24+: EllipsisDisplayString counts width (é = 1): 200 × é is 200 wide and kept whole (modules/util/truncate.go, #32984)",
            yaml: named_job(&"é".repeat(200)),
            emits: ctx(&"é".repeat(200)),
            ..ROW
        },
        Row {
            name: "Gitea 1.24+: CJK counts 2: 130 × 漢 → 126 × 漢 + … (ellipsisGuessDisplayWidth)",
            yaml: named_job(&"漢".repeat(130)),
            emits: ctx(&format!("{}…", "漢".repeat(126))),
            ..ROW
        },
        Row {
            name: "Forgejo: 130 × 漢 (390 bytes) → 84 × 漢 + …",
            flavor: F,
            version: (15, 0),
            yaml: named_job(&"漢".repeat(130)),
            emits: ctx(&format!("{}…", "漢".repeat(84))),
            ..ROW
        },
        // ---- matrix suffix (Gitea) ---------------------------------------------------------
        Row {
            name: "Gitea nameWithMatrix: suffix values ordered by sorted key name, not by file order (act jobparser.go matrixName sort.Strings)",
            yaml: "name: CI\non: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [linux]\n        arch: [amd64, arm64]\n        Zone: [eu]\n",
            emits: &[
                "CI / test (eu, amd64, linux) (push)",
                "CI / test (eu, arm64, linux) (push)",
            ],
            ..ROW
        },
        Row {
            name: "Gitea nameWithMatrix: keys sorted, fmt.Sprint floats 3.10→3.1, 3.0→3, 1e6→1e+06; quoted '3.10' stays (act jobparser.go, yaml.v3 float64)",
            yaml: "name: CI\non: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      matrix:\n        py: [3.10, 3.0, '3.10', 1e6, 7, true]\n",
            emits: &[
                "CI / test (3.1) (push)",
                "CI / test (3) (push)",
                "CI / test (3.10) (push)",
                "CI / test (1e+06) (push)",
                "CI / test (7) (push)",
                "CI / test (true) (push)",
            ],
            ..ROW
        },
        Row {
            name: "Gitea nameWithMatrix: a map value prints as Go's map[k:v] with sorted keys (fmt.Sprint of map[string]interface{})",
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n        compiler: [{ CXX: g++-14, CC: gcc-14 }]\n        type: [Debug]\n",
            emits: &["CI / build (map[CC:gcc-14 CXX:g++-14], Debug) (push)"],
            ..ROW
        },
        Row {
            name: "Gitea nameWithMatrix: a static name gets the suffix too (act jobparser.go: no ${{ }} → name + \" \" + matrixName)",
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n",
            emits: &["CI / Test (a) (push)", "CI / Test (b) (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.23+: a name with ${{ }} on a matrix job is interpolated with no suffix (gitea/act #106, Gitea #32200)",
            version: (1, 23),
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        v: [1]\n",
            emits: &["CI / Test a (push)", "CI / Test b (push)"],
            ..ROW
        },
        Row {
            name: "Gitea: only `${{` AND `}}` together make an expression; `${{` alone keeps the suffix (nameWithMatrix strings.Contains both)",
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ half\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n",
            emits: &["CI / Test ${{ half (a) (push)"],
            ..ROW
        },
        Row {
            name: "Gitea ≤1.26: a non-matrix job keeps an expression name RAW (nameWithMatrix returns early when len(m)==0)",
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build ${{ github.ref_name }}\n    runs-on: x\n",
            emits: &["CI / Build ${{ github.ref_name }} (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.22: always name + suffix, never interpolated (act before gitea/act #106)",
            version: (1, 22),
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test ${{ matrix.os }}\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n",
            emits: &[
                "CI / Test ${{ matrix.os }} (a) (push)",
                "CI / Test ${{ matrix.os }} (b) (push)",
            ],
            ..ROW
        },
        // ---- matrix naming (Forgejo) -------------------------------------------------------
        Row {
            name: "Forgejo: a static name on a matrix is only interpolated, no suffix → all legs post ONE context (runner act/jobparser/jobparser.go)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  test:\n    name: Test\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b, c]\n",
            emits: &["CI / Test (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: no name → id + sorted-key fmt.Sprint suffix (runner nameWithMatrix(id, matrix))",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  test:\n    runs-on: x\n    strategy:\n      matrix:\n        v: [3.10]\n        os: [a]\n",
            emits: &["CI / test (a, 3.1) (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: expression name with matrix and format() is interpolated per leg (forgejo testing.yml test-remote-cacher)",
            flavor: F,
            version: (15, 0),
            yaml: "name: testing\non: push\njobs:\n  cacher:\n    name: ${{ format('test-remote-cacher ({0})', matrix.cacher.name) }}\n    runs-on: x\n    strategy:\n      matrix:\n        cacher:\n          - name: redis\n          - name: valkey\n",
            emits: &[
                "testing / test-remote-cacher (redis) (push)",
                "testing / test-remote-cacher (valkey) (push)",
            ],
            ..ROW
        },
        Row {
            name: "Forgejo: a non-matrix name is interpolated too; run-time contexts make it unresolved (runner evaluator.Interpolate)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build ${{ github.ref_name }}\n    runs-on: x\n",
            unresolved: &["CI / Build * (push)"],
            ..ROW
        },
        // ---- GetMatrixes -------------------------------------------------------------------
        Row {
            name: "act GetMatrixes: product, then exclude by partial match (commonKeysMatch)",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        v: [1, 2]\n        exclude:\n          - os: b\n            v: 2\n          - v: 1\n            os: a\n",
            emits: &["CI / t (a, 2) (push)", "CI / t (b, 1) (push)"],
            ..ROW
        },
        Row {
            name: "act GetMatrixes: include-only matrix → one leg per entry, suffix from its keys (extraIncludes)",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        include:\n          - name: Full, Wine, win64\n          - target: arm\n            os: linux\n",
            emits: &[
                "CI / t (Full, Wine, win64) (push)",
                "CI / t (linux, arm) (push)",
            ],
            ..ROW
        },
        Row {
            name: "act GetMatrixes: an include that fits extends every matching leg with its new keys (commonKeysMatch2 on original dims)",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        flavor: [WebDebug, FdroidDebug]\n        include:\n          - flavor: WebDebug\n            arch: arm64\n          - flavor: FdroidDebug\n            arch: arm32\n",
            emits: &[
                "CI / t (arm64, WebDebug) (push)",
                "CI / t (arm32, FdroidDebug) (push)",
            ],
            ..ROW
        },
        Row {
            name: "act GetMatrixes: an include contradicting every leg on an original key becomes a new leg with only its keys",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        v: [1]\n        include:\n          - os: c\n            extra: z\n",
            emits: &["CI / t (a, 1) (push)", "CI / t (z, c) (push)"],
            ..ROW
        },
        Row {
            name: "act GetMatrixes: an include naming no matrix key is always its own leg, it does not extend the others",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a, b]\n        include:\n          - extra: 1\n",
            emits: &[
                "CI / t (a) (push)",
                "CI / t (b) (push)",
                "CI / t (1) (push)",
            ],
            ..ROW
        },
        Row {
            name: "Gitea act fork: a fully excluded matrix runs ONE leg with the plain name (`if len(matrixes) == 0` adds an empty leg)",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - os: a\n",
            emits: &["CI / t (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo runner: a fully excluded matrix gives no job and no status (runner GetMatrixes lacks the empty-leg line)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - os: a\n  u:\n    runs-on: x\n",
            emits: &["CI / u (push)"],
            ..ROW
        },
        Row {
            name: "act GetMatrixes: an exclude key that is no matrix key makes the workflow invalid (\"Matrix exclude key %q does not match\")",
            yaml: "name: CI\non: push\njobs:\n  t:\n    runs-on: x\n    strategy:\n      matrix:\n        os: [a]\n        exclude:\n          - arch: x\n",
            broken: true,
            ..ROW
        },
        // ---- dynamic matrix ----------------------------------------------------------------
        Row {
            name: "Gitea ≤1.26: an expression matrix cannot be decoded (Matrix() → nil) → one leg, no suffix (act@ac6e4b7 Parse does not evaluate the matrix)",
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n  whole:\n    runs-on: x\n    strategy:\n      matrix: ${{ fromJson(needs.detect.outputs.m) }}\n",
            emits: &["CI / build (push)", "CI / whole (push)"],
            ..ROW
        },
        Row {
            name: "Gitea ≤1.26: one undecodable leg keeps an expression name raw (len(m)==0)",
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build ${{ matrix.container }}\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n",
            emits: &["CI / Build ${{ matrix.container }} (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: the matrix is evaluated at run time (matrixEvaluator.EvaluateYamlNode) → legs unknown, unresolved",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n",
            unresolved: &["CI / build (*) (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: a dynamic matrix with an expression name → every ${{ }} segment unknown",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build ${{ matrix.container }}\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n",
            unresolved: &["CI / Build * (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo: a dynamic matrix under a static name still posts one known context (no suffix ever)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n",
            emits: &["CI / Build (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: dynamic matrix treated as evaluated at run time → unresolved (driftgate models 1.27 as evaluating the matrix)",
            version: (1, 27),
            yaml: "name: CI\non: push\njobs:\n  build:\n    name: Build\n    runs-on: x\n    strategy:\n      matrix:\n        container: ${{ fromJson(needs.detect.outputs.containers) }}\n",
            unresolved: &["CI / Build (*) (push)"],
            ..ROW
        },
        // ---- on: forms and events ----------------------------------------------------------
        Row {
            name: "on: as a string (jobparser.ParseRawOn scalar)",
            yaml: "name: CI\non: pull_request\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "on: as a list; workflow_dispatch posts nothing (getCommitStatusEventNameAndCommitID default case)",
            yaml: "name: CI\non: [push, pull_request, workflow_dispatch]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (push)", "CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "on: as a map with null values",
            yaml: "name: CI\non:\n  push:\n  pull_request:\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (push)", "CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "schedule, workflow_dispatch, issues, issue_comment, workflow_call post no status (ScheduleID check, default case)",
            yaml: "name: CI\non:\n  schedule:\n    - cron: '0 0 * * *'\n  workflow_dispatch:\n  issues:\n    types: [opened]\n  issue_comment:\n  workflow_call:\njobs:\n  build:\n    runs-on: x\n",
            ..ROW
        },
        Row {
            name: "Gitea 1.22: pull_request_target runs post (pull_request) (before go-gitea/gitea#31703)",
            version: (1, 22),
            yaml: "name: pr\non:\n  pull_request_target:\njobs:\n  preview:\n    runs-on: x\n",
            emits: &["pr / preview (pull_request)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.23: pull_request_target runs post (pull_request_target) (go-gitea/gitea#31703)",
            version: (1, 23),
            yaml: "name: pr\non:\n  pull_request_target:\njobs:\n  preview:\n    runs-on: x\n",
            emits: &["pr / preview (pull_request_target)"],
            ..ROW
        },
        Row {
            name: "release posts (release) but never on a PR commit → conditional (HookEventRelease case, #29149)",
            yaml: "name: CI\non:\n  release:\n    types: [published]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (release)"],
            conditional: &["CI / build (release)"],
            ..ROW
        },
        // ---- trigger filters ---------------------------------------------------------------
        Row {
            name: "Gitea 1.26: pull_request.branches leaving out the protected branch → never posted there (matchPullRequestEvent on base ref)",
            yaml: "name: CI\non:\n  pull_request:\n    branches: [master]\njobs:\n  build:\n    runs-on: x\n",
            silent: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: the filtered-out workflow posts skipped for required contexts → conditional (#38237, #38371)",
            version: (1, 27),
            yaml: "name: CI\non:\n  pull_request:\n    branches: [master]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)"],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "pull_request.branches glob selecting the protected branch → posted always; branches-ignore too",
            yaml: "name: CI\non:\n  pull_request:\n    branches: ['*']\n  push:\n    branches-ignore: [dev]\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)", "CI / build (push)"],
            conditional: &["CI / build (push)"],
            ..ROW
        },
        Row {
            name: "pull_request.paths / paths-ignore → conditional (files changed since the merge base)",
            yaml: "name: CI\non:\n  pull_request:\n    paths: ['src/**']\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (pull_request)"],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "pull_request.types leaving out synchronize → conditional; all three defaults present → not",
            yaml: "name: CI\non:\n  pull_request:\n    types: [opened, labeled]\n  pull_request_target:\n    types: [opened, synchronize, reopened, labeled]\njobs:\n  build:\n    runs-on: x\n",
            emits: &[
                "CI / build (pull_request)",
                "CI / build (pull_request_target)",
            ],
            conditional: &["CI / build (pull_request)"],
            ..ROW
        },
        Row {
            name: "push with tags only never runs for branches → silent (matchPushEvent: tag filters only on tag refs)",
            yaml: "name: release\non:\n  push:\n    tags: ['v*']\njobs:\n  release:\n    runs-on: x\n",
            silent: &["release / release (push)"],
            ..ROW
        },
        Row {
            name: "push with branches + tags → a branch push can run it, conditional",
            yaml: "name: CI\non:\n  push:\n    branches: [main]\n    tags: ['v*']\njobs:\n  build:\n    runs-on: x\n",
            emits: &["CI / build (push)"],
            conditional: &["CI / build (push)"],
            ..ROW
        },
        // ---- job-level if ------------------------------------------------------------------
        Row {
            name: "job-level if: can skip the job → conditional; if: always() / ${{ success() }} are not conditions",
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
            name: "Gitea 1.26: a local reusable call posts ONE status for the caller job (runner executes the callee inside it)",
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: caller + each called job, workflow part = CALLEE's name, no caller prefix (go-gitea/gitea#37478)",
            version: (1, 27),
            yaml: "name: CI\non: push\njobs:\n  call:\n    runs-on: x\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / call (push)",
                "Shared / lint (push)",
                "Shared / Unit tests (push)",
            ],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: a callee without name: → \"/ job (event)\" (child payload parsed for the run name)",
            version: (1, 27),
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE_NO_NAME)],
            emits: &["CI / call (push)", "/ lint (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo 15: caller without runs-on is expanded; children post under the CALLER's workflow name, caller ends skipped (forgejo#10525, expandReusableWorkflows)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &[
                "CI / call (push)",
                "CI / lint (push)",
                "CI / Unit tests (push)",
            ],
            conditional: &["CI / call (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo 15: a caller WITH runs-on keeps the legacy single job (expandForJob: len(job.RunsOn()) == 0)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  call:\n    runs-on: docker\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo 11: reusable calls are never expanded (before forgejo#10525)",
            flavor: F,
            version: (11, 0),
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: ./.gitea/workflows/shared.yml\n",
            others: &[("shared.yml", CALLEE)],
            emits: &["CI / call (push)"],
            ..ROW
        },
        Row {
            name: "Forgejo 15: a cross-repo call without runs-on → its children's names are unknown (unresolved under the caller's name)",
            flavor: F,
            version: (15, 0),
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: other/repo/.forgejo/workflows/build.yml@v1\n",
            emits: &["CI / call (push)"],
            conditional: &["CI / call (push)"],
            unresolved: &["CI / * (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.27: a cross-repo call → children under an unknown callee name (may be empty: \"/ job\")",
            version: (1, 27),
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: other/repo/.gitea/workflows/build.yml@v1\n",
            emits: &["CI / call (push)"],
            unresolved: &["*/ * (push)"],
            ..ROW
        },
        Row {
            name: "Gitea 1.26: a cross-repo call is still one caller status",
            yaml: "name: CI\non: push\njobs:\n  call:\n    uses: other/repo/.gitea/workflows/build.yml@v1\n",
            emits: &["CI / call (push)"],
            ..ROW
        },
        // ---- broken ------------------------------------------------------------------------
        Row {
            name: "malformed YAML → the forge ignores the workflow (\"ignore invalid workflow\")",
            yaml: "name: CI\non: push\njobs:\n  build:\n    runs-on: [x\n",
            broken: true,
            ..ROW
        },
        Row {
            name: "a workflow without on: cannot trigger → broken",
            yaml: "name: CI\njobs:\n  build:\n    runs-on: x\n",
            broken: true,
            ..ROW
        },
    ]
}

#[test]
fn every_row_matches_the_forge() {
    let rows = rows();
    assert!(rows.len() >= 30, "only {} rows", rows.len());
    let mut failures = Vec::new();
    for row in &rows {
        let errs = check(row);
        if !errs.is_empty() {
            failures.push(format!(
                "[{} {}.{}] {}\n    {}",
                row.flavor,
                row.version.0,
                row.version.1,
                row.name,
                errs.join("\n    ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows disagree:\n\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n\n")
    );
}

#[test]
fn row_names_are_unique() {
    let rows = rows();
    let names: BTreeSet<&str> = rows.iter().map(|r| r.name).collect();
    assert_eq!(names.len(), rows.len());
}
