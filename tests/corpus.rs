use std::path::{Path, PathBuf};

use driftgate::checks::required_checks::behaviour::Behaviour;
use driftgate::checks::required_checks::contexts::{Analysis, analyse};
use driftgate::checks::required_checks::workflow::WorkflowFile;
use driftgate::forge::version::{Flavor, Version};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

fn load(repo: &Path, flavor: Flavor) -> Vec<WorkflowFile> {
    let _ = 0;
    let dirs: &[&str] = match flavor {
        Flavor::Forgejo => &[
            ".forgejo/workflows",
            ".gitea/workflows",
            ".github/workflows",
        ],
        Flavor::Gitea => &[".gitea/workflows", ".github/workflows"],
    };
    let Some(dir) = dirs.iter().find(|d| repo.join(d).is_dir()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut names: Vec<_> = std::fs::read_dir(repo.join(dir))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for n in names {
        if !(n.ends_with(".yml") || n.ends_with(".yaml")) {
            continue;
        }
        out.push(WorkflowFile {
            path: format!("{dir}/{n}"),
            entry: n.clone(),
            text: std::fs::read_to_string(repo.join(dir).join(&n)).unwrap(),
        });
    }
    out
}

fn dump(a: &Analysis) {
    for e in &a.emitters {
        println!(
            "  E {:?} [{}] {}",
            e.context,
            e.file,
            if e.conditions.is_empty() { "" } else { "COND" }
        );
    }
    for u in &a.unresolved {
        println!("  U {:?} [{}] {}", u.template, u.file, u.reason);
    }
    for s in &a.silent {
        println!("  S {:?} [{}] {}", s.context, s.file, s.reason);
    }
    for b in &a.broken {
        println!("  B {:?} {:?} {}", b.file, b.line, b.reason);
    }
}

#[test]
fn dump_all() {
    let Some(c) = corpus() else { return };
    let mut repos: Vec<_> = std::fs::read_dir(&c)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    repos.sort();
    for r in repos {
        for (f, v) in [
            (Flavor::Forgejo, Version::new(15, 0)),
            (Flavor::Gitea, Version::new(1, 26)),
            (Flavor::Gitea, Version::new(1, 27)),
        ] {
            println!("== {} {f} {v}", r.file_name().unwrap().to_string_lossy());
            let files = load(&r, f);
            dump(&analyse(&files, &Behaviour::new(f, v), Some("main")));
        }
    }
}
