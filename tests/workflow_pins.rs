//! Our own workflows and the examples pin every third-party action by commit SHA: a moving tag
//! is code that can change under a release pipeline that holds registry credentials.

fn uses_lines(dir: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("workflow folder") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        for line in text.lines() {
            let t = line.trim().trim_start_matches("- ");
            if let Some(v) = t.strip_prefix("uses:") {
                let v = v.split('#').next().unwrap_or("").trim().to_string();
                out.push((path.display().to_string(), v));
            }
        }
    }
    out
}

fn pinned(uses: &str) -> bool {
    uses.rsplit_once('@')
        .is_some_and(|(_, r)| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[test]
fn third_party_actions_are_pinned_by_commit() {
    let mut seen = 0;
    for dir in [".gitea/workflows", "examples/workflows"] {
        for (file, uses) in uses_lines(dir) {
            seen += 1;
            let ours = uses.starts_with("./") || uses.contains("/ops/driftgate@");
            assert!(
                ours || pinned(&uses),
                "{file}: `uses: {uses}` is not pinned by commit SHA"
            );
        }
    }
    assert!(seen >= 5, "found only {seen} uses: lines");
}

#[test]
fn the_pin_check_tells_a_sha_from_a_tag() {
    assert!(pinned(
        "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
    ));
    assert!(!pinned("actions/checkout@v4"));
    assert!(!pinned("actions/checkout"));
}
