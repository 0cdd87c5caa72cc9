//! Workflow files are written by whoever opens the pull request. Bytes → UTF-8 → the workflow
//! parser, then the whole context analysis over a one- or two-file repository for several forge
//! releases, then the findings against fixed required patterns.
//!
//! The input is one file, `.gitea/workflows/ci.yml`; a line `#%% lib.yml` (a YAML comment, so
//! real workflows stay valid) splits off a second file, `.gitea/workflows/lib.yml`, which the
//! first can call with `uses: ./.gitea/workflows/lib.yml`.
#![no_main]

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::analyse;
use driftgate::checks::required_checks::expr::glob_escape;
use driftgate::checks::required_checks::findings::evaluate;
use driftgate::checks::required_checks::patterns::{RequiredPattern, RequiredSet};
use driftgate::checks::required_checks::workflow::{self, WorkflowFile};
use driftgate::forge::version::{Flavor, Version};
use libfuzzer_sys::fuzz_target;

const DIR: &str = ".gitea/workflows";
const SPLIT: &str = "\n#%% lib.yml\n";

/// Required patterns as users write them: literal, with `*`, with alternatives and classes.
const REQUIRED: [&str; 3] = [
    "ci / test (pull_request)",
    "* / build (*, *) (*)",
    "{ci,CI} / [a-z]* (pull_request_target)",
];

/// How many emitted contexts are turned into literal patterns (bounded: each compiles a glob).
const LITERALS: usize = 2;

fn file(entry: &str, text: &str) -> WorkflowFile {
    WorkflowFile {
        path: format!("{DIR}/{entry}"),
        entry: entry.to_string(),
        text: text.to_string(),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (main, lib) = match text.split_once(SPLIT) {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let main_parses = workflow::parse(main).is_ok();
    let mut files = vec![file("ci.yml", main)];
    if let Some(lib) = lib {
        let _ = workflow::parse(lib);
        files.push(file("lib.yml", lib));
    }
    // The newest Gitea and Forgejo always; one older release per input (chosen by its length, so
    // an input always runs the same code), to keep every execution cheap.
    let older = match data.len() % 6 {
        0 => Behaviour::new(Flavor::Gitea, Version::new(1, 22)),
        1 => Behaviour::new(Flavor::Gitea, Version::new(1, 24)),
        2 => Behaviour::new(Flavor::Gitea, Version::new(1, 26)),
        3 => Behaviour::new(Flavor::Forgejo, Version::patch(11, 0, 3)),
        4 => Behaviour::new(Flavor::Forgejo, Version::patch(11, 0, 4)),
        _ => Behaviour::new(Flavor::Forgejo, Version::new(14, 0)),
    };
    let behaviours = [
        Behaviour::newest(Flavor::Gitea),
        Behaviour::newest(Flavor::Forgejo),
        older,
    ];
    for (i, b) in behaviours.iter().enumerate() {
        let branch = if i == 1 { None } else { Some("main") };
        let a = analyse(&files, b, branch);
        // Fail closed: a file that does not parse is reported broken, never silently empty.
        if !main_parses {
            assert!(
                a.broken.iter().any(|x| x.file == files[0].path),
                "{:?}: ci.yml does not parse but is not reported broken",
                b.version
            );
        }
        if i == 2 {
            continue;
        }
        // A context, glob-escaped, is a pattern that matches exactly that context: what a user
        // gets by copying a context from the report into the rule. It must never be an orphan.
        let mut required: Vec<String> = REQUIRED.iter().map(|s| s.to_string()).collect();
        let mut literals = Vec::new();
        for e in a.emitters.iter().take(LITERALS) {
            let literal = glob_escape(&e.context);
            let p = RequiredPattern::new(&literal)
                .unwrap_or_else(|err| panic!("escaped context {:?} is no glob: {err}", e.context));
            assert!(
                p.matches(&e.context),
                "escaped context {literal:?} does not match {:?}",
                e.context
            );
            literals.push(literal.clone());
            required.push(literal);
        }
        let Ok(set) = RequiredSet::new(&required) else {
            panic!("a handful of patterns is over a cap");
        };
        let findings = evaluate(&set, &a, "main", b);
        for f in &findings {
            assert!(
                !(f.kind == "orphan" && literals.iter().any(|l: &String| **l == *f.subject)),
                "the posted context {:?} is reported an orphan",
                f.subject
            );
        }
    }
});
