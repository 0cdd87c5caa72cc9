//! The context model over a corpus of real Gitea and Forgejo workflows (`../shared/corpus`, see
//! its SOURCES.md). Each repository is read as its own forge reads it: the workflow folder that
//! forge picks, entries relative to that folder. The corpus is read in place, never copied.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::{Analysis, analyse};
use driftgate::checks::required_checks::triggers::Unmet;
use driftgate::checks::required_checks::workflow::WorkflowFile;
use driftgate::forge::version::{Flavor, Version};

const F: Flavor = Flavor::Forgejo;
const G: Flavor = Flavor::Gitea;

/// Every corpus repository with its home forge (SOURCES.md) and the branch its pull requests
/// target.
const REPOS: [(&str, Flavor, &str); 20] = [
    ("forgejo__forgejo", F, "forgejo"),
    ("forgejo__runner", F, "main"),
    ("forgejo-helm__forgejo-helm", F, "main"),
    ("forgejo__docs", F, "next"),
    ("comaps__comaps", F, "main"),
    ("continuwuation__continuwuity", F, "main"),
    ("FFmpeg__FFmpeg", F, "master"),
    ("eblume__blumeops", F, "main"),
    ("clement-dufour__container-images", F, "main"),
    ("iceshrimp__Iceshrimp.NET", F, "dev"),
    ("anniemaybytes__chihaya", F, "master"),
    ("Luzifer__go_helpers", F, "master"),
    ("aegoroff__rlox", F, "master"),
    ("gitea__act_runner", G, "main"),
    ("gitea__helm-gitea", G, "main"),
    ("xorm__xorm", G, "main"),
    ("blaizard__bzd", G, "master"),
    ("IamTheFij__release-gitter", G, "main"),
    ("DreadedX__automation_rs", G, "master"),
    ("actions-oss__act-cli", G, "main"),
];

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipping: ../shared/corpus not found");
        None
    }
}

/// The folder the forge reads (`modules/actions/workflows.go`): Forgejo the first of
/// `.forgejo`, `.gitea`, `.github` workflows; Gitea `.gitea` else `.github`.
fn workflow_dir(repo: &Path, flavor: Flavor) -> Option<&'static str> {
    let dirs: &[&'static str] = match flavor {
        F => &[
            ".forgejo/workflows",
            ".gitea/workflows",
            ".github/workflows",
        ],
        G => &[".gitea/workflows", ".github/workflows"],
    };
    dirs.iter().copied().find(|d| repo.join(d).is_dir())
}

/// The `*.yml`/`*.yaml` files below a workflow folder (subfolders included, as the forges
/// list them), sorted by entry.
fn read_dir(repo: &Path, dir: &str) -> Vec<WorkflowFile> {
    fn walk(root: &Path, sub: &str, out: &mut Vec<(String, PathBuf)>) {
        let mut entries: Vec<_> = std::fs::read_dir(root.join(sub))
            .expect("read workflow folder")
            .map(|e| e.expect("dir entry"))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().into_string().expect("utf-8 file name");
            let entry = if sub.is_empty() {
                name.clone()
            } else {
                format!("{sub}/{name}")
            };
            if e.file_type().expect("file type").is_dir() {
                walk(root, &entry, out);
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                out.push((entry, e.path()));
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo.join(dir), "", &mut found);
    found
        .into_iter()
        .map(|(entry, path)| WorkflowFile {
            path: format!("{dir}/{entry}"),
            entry,
            text: std::fs::read_to_string(path).expect("read workflow"),
        })
        .collect()
}

/// One repository analysed, with the files the forge reads.
struct Run {
    files: Vec<WorkflowFile>,
    a: Analysis,
}

impl Run {
    fn emitted(&self) -> BTreeSet<&str> {
        self.a.emitters.iter().map(|e| &*e.context).collect()
    }

    fn emits(&self, context: &str) -> bool {
        self.emitted().contains(context)
    }

    /// Asserts the context is emitted and whether it is conditional (every emitter carries
    /// conditions) or posted on every pull request commit.
    fn assert_emits(&self, context: &str, conditional: bool) {
        let es: Vec<_> = self
            .a
            .emitters
            .iter()
            .filter(|e| &*e.context == context)
            .collect();
        assert!(
            !es.is_empty(),
            "{context:?} is not emitted; emitted: {:#?}",
            self.emitted()
        );
        let is_conditional = es.iter().all(|e| !e.conditions.is_empty());
        assert_eq!(
            is_conditional, conditional,
            "{context:?} conditional? {:#?}",
            es
        );
    }

    /// A tag-only push context on Gitea 1.27: a branch push posts `skipped` for it.
    fn assert_skipped_on_branch_push(&self, context: &str) {
        let es: Vec<_> = self
            .a
            .emitters
            .iter()
            .filter(|e| &*e.context == context)
            .collect();
        assert!(!es.is_empty(), "{context:?} is not emitted");
        assert!(
            es.iter().all(|e| e
                .conditions
                .iter()
                .any(|c| c.unmet == Unmet::Skips && c.text.contains("only for tags"))),
            "{context:?}: {es:#?}"
        );
    }

    fn assert_silent(&self, context: &str) {
        assert!(
            self.a.silent.iter().any(|s| s.context == context),
            "{context:?} is not silent; silent: {:#?}",
            self.a.silent
        );
    }

    /// Emitted contexts of one file, as a set.
    fn of_file(&self, path: &str) -> BTreeSet<&str> {
        self.a
            .emitters
            .iter()
            .filter(|e| &*e.file == path)
            .map(|e| &*e.context)
            .collect()
    }

    fn unresolved(&self) -> BTreeSet<&str> {
        self.a
            .unresolved
            .iter()
            .map(|u| u.template.as_str())
            .collect()
    }
}

fn run_dir(c: &Path, repo: &str, dir: &str, flavor: Flavor, version: Version) -> Run {
    let branch = REPOS
        .iter()
        .find(|(r, _, _)| *r == repo)
        .map(|(_, _, b)| *b)
        .expect("repo in table");
    let files = read_dir(&c.join(repo), dir);
    assert!(!files.is_empty(), "{repo}/{dir} has no workflows");
    let a = analyse(&files, &Behaviour::new(flavor, version), Some(branch));
    Run { files, a }
}

/// The repository as the given forge release reads it.
fn run_as(c: &Path, repo: &str, flavor: Flavor, version: Version) -> Run {
    let dir = workflow_dir(&c.join(repo), flavor).expect("a workflow folder");
    run_dir(c, repo, dir, flavor, version)
}

/// The repository as its own forge, newest release modelled, reads it.
fn run(c: &Path, repo: &str) -> Run {
    let flavor = REPOS
        .iter()
        .find(|(r, _, _)| *r == repo)
        .map(|(_, f, _)| *f)
        .expect("repo in table");
    let b = Behaviour::newest(flavor);
    run_as(c, repo, flavor, b.version)
}

const GITEA_1_26: Version = Version::new(1, 26);
const GITEA_1_27: Version = Version::new(1, 27);
const FORGEJO_15: Version = Version::new(15, 0);

#[test]
fn the_table_names_every_corpus_repository() {
    let Some(c) = corpus() else { return };
    let mut on_disk: Vec<String> = std::fs::read_dir(&c)
        .expect("read corpus")
        .map(|e| e.expect("entry"))
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().into_string().expect("utf-8"))
        .collect();
    on_disk.sort();
    let mut table: Vec<String> = REPOS.iter().map(|(r, _, _)| r.to_string()).collect();
    table.sort();
    assert_eq!(on_disk, table);
}

#[test]
fn no_corpus_file_is_broken() {
    let Some(c) = corpus() else { return };
    let versions = [
        (F, Version::new(11, 0)),
        (F, FORGEJO_15),
        (G, Version::new(1, 22)),
        (G, GITEA_1_26),
        (G, GITEA_1_27),
        (F, Version::new(16, 0)),
    ];
    let mut total = 0;
    for (repo, _, _) in REPOS {
        // Every workflow folder of the corpus (the `.github` twins too), under every behaviour.
        for dir in [
            ".forgejo/workflows",
            ".gitea/workflows",
            ".github/workflows",
        ] {
            if !c.join(repo).join(dir).is_dir() {
                continue;
            }
            for (flavor, version) in versions {
                let r = run_dir(&c, repo, dir, flavor, version);
                assert!(
                    r.a.broken.is_empty(),
                    "{repo} {dir} as {flavor} {version}: {:#?}",
                    r.a.broken
                );
                if (flavor, version) == (F, FORGEJO_15) {
                    total += r.files.len();
                }
            }
        }
    }
    // SOURCES.md: 129 files in all.
    assert_eq!(total, 129);
}

#[test]
fn every_repository_posts_a_known_context() {
    let Some(c) = corpus() else { return };
    // One exact context per repository, as its own forge reads it.
    let one = [
        (
            "forgejo__forgejo",
            "testing / test-remote-cacher (redis) (pull_request)",
        ),
        ("forgejo__runner", "cascade / debug (pull_request_target)"),
        (
            "forgejo-helm__forgejo-helm",
            "build / lint-helm (pull_request)",
        ),
        ("forgejo__docs", "pr / preview (pull_request_target)"),
        (
            "comaps__comaps",
            "Linux Check / Linux builds and tests (pull_request)",
        ),
        (
            "continuwuation__continuwuity",
            "Checks / Prek / Pre-commit & Formatting (pull_request)",
        ),
        (
            "FFmpeg__FFmpeg",
            "Test / Fate (Full, Wine, win64) (pull_request)",
        ),
        ("eblume__blumeops", "Build Container / detect (push)"),
        (
            "clement-dufour__container-images",
            "build actions-runner / build (push)",
        ),
        ("iceshrimp__Iceshrimp.NET", "/ test-build (pull_request)"),
        ("anniemaybytes__chihaya", "testing / suite (pull_request)"),
        ("Luzifer__go_helpers", "test-and-build / test (push)"),
        (
            "aegoroff__rlox",
            "CI Build / cross_build (rlox, true, false, aarch64-apple-darwin, false) (pull_request)",
        ),
        (
            "gitea__act_runner",
            "checks / check and test (pull_request)",
        ),
        (
            "gitea__helm-gitea",
            "check-and-test / check-and-test (pull_request)",
        ),
        ("xorm__xorm", "test mssql / test mssql (pull_request)"),
        ("blaizard__bzd", "PR Gate / build_linux (pull_request)"),
        (
            "IamTheFij__release-gitter",
            "ci / test (3.11) (pull_request)",
        ),
        ("DreadedX__automation_rs", "Build and deploy / build (push)"),
        ("actions-oss__act-cli", "checks / lint (pull_request)"),
    ];
    assert_eq!(one.len(), REPOS.len());
    for (repo, context) in one {
        let r = run(&c, repo);
        assert!(
            r.emits(context),
            "{repo}: {context:?} not emitted; emitted: {:#?}",
            r.emitted()
        );
    }
}

#[test]
fn forgejo_forgejo() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "forgejo__forgejo");
    // A `format()` name over map-valued matrix values, and `test-mariadb (v{0})`.
    for cacher in ["redis", "valkey", "garnet"] {
        r.assert_emits(
            &format!("testing / test-remote-cacher ({cacher}) (pull_request)"),
            true,
        );
    }
    r.assert_emits("testing-integration / test-mariadb (v10.6) (push)", true);
    r.assert_emits("testing-integration / test-mariadb (v11.8) (push)", true);
    // A job name containing "/".
    r.assert_emits("testing / semgrep/ci (pull_request)", true);
    // Three workflows share `name: issue-labels`.
    let issue_labels: BTreeSet<&str> =
        r.a.emitters
            .iter()
            .filter(|e| e.context.starts_with("issue-labels / "))
            .map(|e| &*e.file)
            .collect();
    assert_eq!(
        issue_labels,
        BTreeSet::from([
            ".forgejo/workflows/backport.yml",
            ".forgejo/workflows/cascade-setup-end-to-end.yml",
            ".forgejo/workflows/release-notes-assistant.yml",
        ])
    );
    r.assert_emits("issue-labels / backporting (pull_request_target)", true);
    // No top-level name.
    r.assert_emits("/ release (push)", true);
    // Nearly every job is gated on `vars.ROLE`: every emitted context is conditional.
    assert!(r.a.emitters.iter().all(|e| !e.conditions.is_empty()));
    // Tag-only publishing.
    r.assert_silent("Pubish release / publish (push)");
    assert!(r.a.unresolved.is_empty(), "{:#?}", r.a.unresolved);
}

#[test]
fn forgejo_runner() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "forgejo__runner");
    // Two workflows named `cascade`, both with a job `debug`: the same context twice.
    let debug: BTreeSet<&str> =
        r.a.emitters
            .iter()
            .filter(|e| &*e.context == "cascade / debug (pull_request_target)")
            .map(|e| &*e.file)
            .collect();
    assert_eq!(
        debug,
        BTreeSet::from([
            ".forgejo/workflows/cascade-forgejo.yml",
            ".forgejo/workflows/cascade-setup-forgejo.yml",
        ])
    );
    r.assert_emits("cascade / debug (push)", true);
    // `integration tests (docker-${{ matrix.docker }})` is interpolated, no suffix.
    r.assert_emits(
        "checks / integration tests (docker-stable) (pull_request)",
        true,
    );
    r.assert_emits(
        "checks / integration tests (docker-latest) (pull_request)",
        true,
    );
    // Three workflows without a top-level name.
    for job in [
        "example-docker-compose",
        "example-lxc-systemd",
        "example-on-demand",
    ] {
        r.assert_emits(&format!("/ {job} (pull_request)"), true);
    }
    r.assert_silent("Build release / release (push)");
}

#[test]
fn forgejo_helm() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "forgejo-helm__forgejo-helm");
    // A matrix with no name: id + one leg per k3s version, `+` kept.
    for v in ["v1.28.15+k3s1", "v1.32.10+k3s1", "v1.33.6+k3s1"] {
        r.assert_emits(&format!("build / e2e ({v}) (pull_request)"), false);
    }
    // `if: always()` is no condition; `pull_request:` without filters posts on every commit.
    r.assert_emits("build / test-success (pull_request)", false);
    // mirror.yml has no top-level name.
    r.assert_emits("/ mirror (push)", true);
}

#[test]
fn forgejo_docs() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "forgejo__docs");
    r.assert_emits("pr / preview (pull_request_target)", false);
    r.assert_emits("backport / backporting (pull_request_target)", true);
    // cli.yml and links.yml are schedule/dispatch only.
    assert!(r.of_file(".forgejo/workflows/cli.yml").is_empty());
    assert!(r.of_file(".forgejo/workflows/links.yml").is_empty());
}

#[test]
fn comaps() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "comaps__comaps");
    // Forgejo reads `.forgejo/workflows` only; the `.github` twins are ignored.
    assert!(r.files.iter().all(|f| f.path.starts_with(".forgejo/")));
    assert!(r.a.emitters.iter().all(|e| e.file.starts_with(".forgejo/")));
    // A static name on a 2×2 matrix: Forgejo ≥ 13 (and 11.0.4, 12.0.2) renames the legs in
    // sorted order: name, name-1, name-2, name-3 (modules/actions/job_parser.go JobParser).
    let linux = r.of_file(".forgejo/workflows/linux-check.yaml");
    assert_eq!(
        linux
            .iter()
            .filter(|c| c.ends_with("(pull_request)"))
            .copied()
            .collect::<BTreeSet<_>>(),
        BTreeSet::from([
            "Linux Check / Linux builds and tests (pull_request)",
            "Linux Check / Linux builds and tests-1 (pull_request)",
            "Linux Check / Linux builds and tests-2 (pull_request)",
            "Linux Check / Linux builds and tests-3 (pull_request)",
            "Linux Check / Linux no unity build (pull_request)",
        ])
    );
    // The five static-named matrix jobs (two of them not posting: android-release runs on
    // dispatch only) add 12 contexts over the releases before de-duplication, which post one
    // context for all legs of a job.
    let before = run_as(&c, "comaps__comaps", F, Version::patch(11, 0, 3));
    let renamed: BTreeSet<&str> = r.emitted().difference(&before.emitted()).copied().collect();
    assert_eq!(
        renamed,
        BTreeSet::from([
            "Android Check / Build Android Debug-1 (push)",
            "Android Check / Build Android Debug-1 (pull_request)",
            "iOS Check / Build iOS-1 (push)",
            "iOS Check / Build iOS-1 (pull_request)",
            "Linux Check / Linux builds and tests-1 (push)",
            "Linux Check / Linux builds and tests-2 (push)",
            "Linux Check / Linux builds and tests-3 (push)",
            "Linux Check / Linux builds and tests-1 (pull_request)",
            "Linux Check / Linux builds and tests-2 (pull_request)",
            "Linux Check / Linux builds and tests-3 (pull_request)",
            "macOS Check / macOS builds and tests-1 (push)",
            "macOS Check / macOS builds and tests-1 (pull_request)",
        ])
    );
    assert!(before.emitted().is_subset(&r.emitted()));
    // `paths-ignore` makes it conditional.
    r.assert_emits("Linux Check / Linux builds and tests (pull_request)", true);
    r.assert_emits("Android Check / Build Android Debug (pull_request)", true);
    // Schedule-only.
    assert!(r.of_file(".forgejo/workflows/stale.yml").is_empty());

    // The same files on Gitea (as if the folder were `.gitea/workflows`): one context per leg,
    // keys sorted (`CMAKE_BUILD_TYPE` < `compiler`), map values printed as Go maps.
    let g = run_dir(&c, "comaps__comaps", ".forgejo/workflows", G, GITEA_1_26);
    let linux = g.of_file(".forgejo/workflows/linux-check.yaml");
    for want in [
        "Linux Check / Linux builds and tests (Debug, map[CC:gcc-14 CXX:g++-14]) (pull_request)",
        "Linux Check / Linux builds and tests (Debug, map[CC:clang-18 CXX:clang++-18]) (pull_request)",
        "Linux Check / Linux builds and tests (RelWithDebInfo, map[CC:gcc-14 CXX:g++-14]) (pull_request)",
        "Linux Check / Linux builds and tests (RelWithDebInfo, map[CC:clang-18 CXX:clang++-18]) (pull_request)",
    ] {
        assert!(linux.contains(want), "{want:?} not in {linux:#?}");
    }
    assert!(!linux.contains("Linux Check / Linux builds and tests (pull_request)"));
    // The include that extends both legs adds `arch` to the suffix (sorted before `flavor`).
    g.assert_emits(
        "Android Check / Build Android Debug (arm64, WebDebug) (pull_request)",
        true,
    );
    g.assert_emits(
        "Android Check / Build Android Debug (arm32, FdroidDebug) (pull_request)",
        true,
    );

    // What Gitea really reads for this repository: `.github/workflows` (no `.gitea`).
    let gh = run_as(&c, "comaps__comaps", G, GITEA_1_26);
    assert!(gh.files.iter().all(|f| f.path.starts_with(".github/")));
    gh.assert_emits(
        "Android Check / Build Android apps (arm64, WebBeta) (push)",
        true,
    );
}

#[test]
fn continuwuity() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "continuwuation__continuwuity");
    // Workflow names containing " / ".
    r.assert_emits(
        "Checks / Prek / Pre-commit & Formatting (pull_request)",
        false,
    );
    r.assert_emits(
        "Checks / Changelog / Check changelog is added (pull_request_target)",
        false,
    );
    // Include-only matrix named `Build ${{ matrix.slug }} (release)`.
    r.assert_emits(
        "Release Docker Image / Build linux-amd64 (release) (push)",
        true,
    );
    r.assert_emits(
        "Release Docker Image / Build linux-arm64 (release) (push)",
        true,
    );
    // The local reusable call has `runs-on`: Forgejo keeps the single caller job, the callee's
    // jobs are not posted under the caller's workflow name.
    r.assert_emits("Release Docker Image / Mirror Images (push)", true);
    assert!(!r.emits("Release Docker Image / mirror-images (push)"));
    // The callee posts on its own push trigger.
    r.assert_emits("Mirror Container Images / mirror-images (push)", true);
    // A 4×2 matrix with no name: 8 legs, tag pushes only.
    let deb: Vec<_> =
        r.a.silent
            .iter()
            .filter(|s| s.file == ".forgejo/workflows/build-debian.yml")
            .map(|s| s.context.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
    assert_eq!(deb.len(), 8, "{deb:#?}");
    r.assert_silent("Build / Debian DEB / build (amd64, ubuntu-latest) (push)");
}

#[test]
fn ffmpeg() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "FFmpeg__FFmpeg");
    // Three expressions in the name over single-value axes, plus includes adding legs.
    r.assert_emits(
        "Test / Fate (linux-amd64, shared, 64 bit) (pull_request)",
        false,
    );
    r.assert_emits(
        "Test / Fate (linux-amd64, static, 32 bit) (pull_request)",
        false,
    );
    r.assert_emits(
        "Test / Fate (linux-aarch64, static, 64 bit) (pull_request)",
        false,
    );
    // Include-only matrix named `Fate (${{ matrix.name }})`, values with commas.
    for name in [
        "Full, Wine, win64",
        "Full, Linux, aarch64",
        "Qemu, Linux, ppc64",
        "Qemu, Linux, mips64",
        "Qemu, Linux, riscv64",
    ] {
        r.assert_emits(&format!("Test / Fate ({name}) (pull_request)"), false);
    }
    let test_pr: Vec<_> = r
        .of_file(".forgejo/workflows/test.yml")
        .into_iter()
        .filter(|c| c.ends_with("(pull_request)"))
        .collect();
    assert_eq!(test_pr.len(), 8, "{test_pr:#?}");
    r.assert_emits("Autolabel / Labeler (pull_request_target)", true);
}

#[test]
fn eblume() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "eblume__blumeops");
    // `container: ${{ fromJson(needs.detect.outputs.containers) }}` cannot be resolved.
    assert_eq!(
        r.unresolved(),
        BTreeSet::from([
            "Build Container / build* (push)",
            "Build Container (Nix) / build* (push)",
        ])
    );
    assert!(
        r.a.unresolved
            .iter()
            .all(|u| u.reason.contains("computed at run time"))
    );
    r.assert_emits("Build Container / detect (push)", true);
    // Push with branches + paths.
    r.assert_emits("Deploy Fly.io Proxy / deploy (push)", true);

    // Gitea ≤ 1.26 cannot decode the matrix and runs one leg named without suffix.
    let g = run_dir(&c, "eblume__blumeops", ".forgejo/workflows", G, GITEA_1_26);
    assert!(g.a.unresolved.is_empty(), "{:#?}", g.a.unresolved);
    g.assert_emits("Build Container / build (push)", true);
}

#[test]
fn clement_dufour() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "clement-dufour__container-images");
    // Full-path reusable calls with `runs-on`: one caller job each, nothing unresolved.
    for image in ["actions-runner", "emacs-toolbox", "fedora-toolbox"] {
        r.assert_emits(&format!("build {image} / build (push)"), true);
    }
    assert!(r.a.unresolved.is_empty(), "{:#?}", r.a.unresolved);
    // The reusable workflow itself (`workflow_call` only) posts nothing.
    assert!(
        r.of_file(".forgejo/workflows/reusable-build.yml")
            .is_empty()
    );
    // A single-leg matrix with no name.
    r.assert_emits(
        "renovate-config-validator / renovate-config-validator (renovate.json) (push)",
        true,
    );
}

#[test]
fn iceshrimp() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "iceshrimp__Iceshrimp.NET");
    // No workflow has a top-level name: every context starts with "/ ".
    assert!(!r.a.emitters.is_empty());
    assert!(
        r.a.emitters.iter().all(|e| e.context.starts_with("/ ")),
        "{:#?}",
        r.emitted()
    );
    r.assert_emits("/ test-build (pull_request)", false);
    r.assert_emits("/ build-artifacts (release)", true);

    // Gitea 1.28 (#37834) would use the file name instead.
    let g = run_dir(
        &c,
        "iceshrimp__Iceshrimp.NET",
        ".forgejo/workflows",
        G,
        Version::new(1, 28),
    );
    g.assert_emits("test-build.yaml / test-build (pull_request)", false);
}

#[test]
fn chihaya() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "anniemaybytes__chihaya");
    // branches: master + the three default types: posted on every PR commit into master.
    r.assert_emits("testing / suite (pull_request)", false);
    r.assert_emits("compliance / linter (pull_request)", false);
    // branches + paths: conditional.
    r.assert_emits("publish / docker (pull_request)", true);
    r.assert_emits("publish / docker (release)", true);
    // Files without a final newline parse.
    assert!(r.files.iter().all(|f| !f.text.ends_with('\n')));
}

#[test]
fn luzifer() {
    let Some(c) = corpus() else { return };
    // Forgejo reads `.forgejo` only: the job without matrix.
    let r = run(&c, "Luzifer__go_helpers");
    assert_eq!(
        r.emitted(),
        BTreeSet::from(["test-and-build / test (push)"])
    );
    // Gitea has no `.gitea` folder and reads the `.github` twin, with its matrix.
    let g = run_as(&c, "Luzifer__go_helpers", G, GITEA_1_26);
    assert!(g.files.iter().all(|f| f.path.starts_with(".github/")));
    assert!(!g.emits("test-and-build / test (push)"));
    assert!(
        g.a.emitters
            .iter()
            .all(|e| e.context.starts_with("test-and-build / test ("))
    );
    assert!(g.a.emitters.len() > 1);
}

#[test]
fn rlox() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "aegoroff__rlox");
    // Include-only matrix, no name: the suffix is the include values by sorted key
    // (exe, osx, run_tests, target, windows).
    let pr: BTreeSet<&str> = r
        .emitted()
        .into_iter()
        .filter(|c| c.ends_with("(pull_request)"))
        .collect();
    assert_eq!(
        pr,
        BTreeSet::from([
            "CI Build / cross_build (rlox, true, false, aarch64-apple-darwin, false) (pull_request)",
            "CI Build / cross_build (rlox, true, false, x86_64-apple-darwin, false) (pull_request)",
            "CI Build / cross_build (rlox, false, true, x86_64-unknown-linux-musl, false) (pull_request)",
            "CI Build / cross_build (rlox, false, false, aarch64-unknown-linux-musl, false) (pull_request)",
            "CI Build / cross_build (rlox.exe, false, false, x86_64-pc-windows-msvc, true) (pull_request)",
            "CI Build / cross_build (rlox.exe, false, false, aarch64-pc-windows-msvc, true) (pull_request)",
        ])
    );
    // Pull requests into another branch never get them.
    let other = analyse(&r.files, &Behaviour::newest(F), Some("main"));
    assert!(other.emitters.iter().all(|e| e.event != "pull_request"));
    assert_eq!(other.silent.len(), 6);
}

#[test]
fn gitea_act_runner() {
    let Some(c) = corpus() else { return };
    for version in [GITEA_1_26, GITEA_1_27] {
        let r = run_as(&c, "gitea__act_runner", G, version);
        // `on:` as a YAML list.
        r.assert_emits("checks / check and test (pull_request)", false);
        r.assert_emits("checks / check and test (push)", false);
        // Map values printed as Go prints a map, empty string included.
        r.assert_emits(
            "release-nightly / release-image (map[tag_suffix: target:basic]) (push)",
            true,
        );
        r.assert_emits(
            "release-nightly / release-image (map[tag_suffix:-dind target:dind]) (push)",
            true,
        );
        // A tag-only push: nothing for a branch through 1.26, `skipped` on 1.27.
        if version == GITEA_1_27 {
            r.assert_skipped_on_branch_push("release-tag / goreleaser (push)");
        } else {
            r.assert_silent("release-tag / goreleaser (push)");
        }
    }
}

#[test]
fn gitea_helm() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "gitea__helm-gitea");
    // `pull_request.branches: ["*"]` selects main; workflow and job share a name.
    r.assert_emits("check-and-test / check-and-test (pull_request)", false);
    // Job id `check-and-test` in a second workflow; `types` leave out synchronize.
    r.assert_emits("commitlint / check-and-test (pull_request)", true);
    // Tag-only release: Gitea 1.27 posts `skipped` for it on a branch push, 1.26 nothing.
    r.assert_skipped_on_branch_push("generate-chart / generate-chart-publish (push)");
    r.assert_skipped_on_branch_push("generate-chart / release-gitea (push)");
    let old = run_as(&c, "gitea__helm-gitea", G, GITEA_1_26);
    old.assert_silent("generate-chart / generate-chart-publish (push)");
    old.assert_silent("generate-chart / release-gitea (push)");
}

#[test]
fn xorm() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "xorm__xorm");
    // Two workflows named `test mssql` with different job names.
    r.assert_emits("test mssql / test mssql (pull_request)", false);
    r.assert_emits(
        "test mssql / test mssql with collation (pull_request)",
        false,
    );
    // Job id `lint` reused with different names.
    r.assert_emits("test mariadb / test mariadb (pull_request)", false);
    r.assert_emits("test postgres / test postgres (pull_request)", false);
    assert!(!r.emitted().iter().any(|c| c.contains("/ lint (")));
    // 9 of 10 files lack a final newline.
    assert_eq!(
        r.files.iter().filter(|f| !f.text.ends_with('\n')).count(),
        9
    );
}

#[test]
fn blaizard() {
    let Some(c) = corpus() else { return };
    // Gitea 1.26: a local reusable call is one caller status.
    let r = run_as(&c, "blaizard__bzd", G, GITEA_1_26);
    r.assert_emits("PR Gate / build_linux (pull_request)", false);
    r.assert_emits(
        "Opencode Event Router / route_update_pr (pull_request)",
        true,
    );
    assert!(!r.emitted().iter().any(|c| c.starts_with("Sub: ")));
    // Names with `:` and `<->` belong to schedule/dispatch-only workflows.
    assert!(!r.emitted().iter().any(|c| c.contains("<->")));
    // Gitea 1.27 (#37478): the called jobs post too, under the CALLEE's workflow name, and
    // inherit the caller's `if:` (conditional).
    let r = run_as(&c, "blaizard__bzd", G, GITEA_1_27);
    r.assert_emits(
        "Opencode Event Router / route_update_pr (pull_request)",
        true,
    );
    r.assert_emits(
        "Sub: Update a PR with opencode / update_pr (pull_request)",
        true,
    );
    r.assert_emits("Sub: Create a PR / create_pr (pull_request)", true);
    assert!(r.a.unresolved.is_empty(), "{:#?}", r.a.unresolved);
}

#[test]
fn iamthefij() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "IamTheFij__release-gitter");
    // `python-version: [3.11, 3.12, 3.13, 3.14]` are YAML floats, printed as Go prints them.
    let tests: BTreeSet<&str> = r
        .emitted()
        .into_iter()
        .filter(|c| c.starts_with("ci / test (") && c.ends_with("(pull_request)"))
        .collect();
    assert_eq!(
        tests,
        BTreeSet::from([
            "ci / test (3.11) (pull_request)",
            "ci / test (3.12) (pull_request)",
            "ci / test (3.13) (pull_request)",
            "ci / test (3.14) (pull_request)",
        ])
    );
    r.assert_emits("ci / test (3.11) (pull_request)", false);
    // `if: github.event_name != 'pull_request'`.
    r.assert_emits("ci / upload (pull_request)", true);
}

#[test]
fn dreadedx() {
    let Some(c) = corpus() else { return };
    // Gitea 1.26: the cross-repo call is one caller status, nothing unknown.
    let r = run_as(&c, "DreadedX__automation_rs", G, GITEA_1_26);
    r.assert_emits("Build and deploy / build (push)", true);
    r.assert_emits("Build and deploy / Deploy container (push)", true);
    assert!(r.a.unresolved.is_empty());
    // Gitea 1.27: the callee's jobs post under its own (unknown) workflow name, or the caller's
    // file name when it has none (`WorkflowDisplayName`).
    let r = run_as(&c, "DreadedX__automation_rs", G, GITEA_1_27);
    r.assert_emits("Build and deploy / build (push)", true);
    assert_eq!(r.unresolved(), BTreeSet::from(["* / * (push)"]));
    assert!(
        r.a.unresolved[0]
            .reason
            .contains("a workflow in another repository")
    );
}

#[test]
fn act_cli() {
    let Some(c) = corpus() else { return };
    let r = run(&c, "actions-oss__act-cli");
    // Gitea reads `.gitea/workflows`; the `.github` twins (with `test-host-${{matrix.os}}`) are
    // ignored.
    assert!(r.files.iter().all(|f| f.path.starts_with(".gitea/")));
    assert!(!r.emitted().iter().any(|c| c.contains("test-host")));
    // `on: [pull_request, workflow_dispatch]`.
    assert_eq!(
        r.of_file(".gitea/workflows/checks.yml"),
        BTreeSet::from([
            "checks / lint (pull_request)",
            "checks / snapshot (pull_request)",
            "checks / test-linux (pull_request)",
        ])
    );
    r.assert_skipped_on_branch_push("release / release (push)");
    run_as(&c, "actions-oss__act-cli", G, GITEA_1_26).assert_silent("release / release (push)");
}
