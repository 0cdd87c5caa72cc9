//! Compose values are interpolated from the environment (the whole compose-spec syntax, nested);
//! the file may come from a pull request.
#![no_main]

use driftgate::checks::image_drift::compose::interpolate::interpolate;
use driftgate::checks::image_drift::compose::{dotenv, normalise_project};
use libfuzzer_sys::fuzz_target;

fn env(k: &str) -> Option<String> {
    match k {
        "TAG" => Some("1.2".into()),
        "EMPTY" => Some(String::new()),
        "REGISTRY" => Some("registry.example:5000".into()),
        // A value holding syntax: substituted as text, never interpolated again.
        "DOLLAR" => Some("${TAG}$$".into()),
        "UNICODE" => Some("é✓".into()),
        _ => None,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    match interpolate(s, &env, &mut Vec::new()) {
        Ok(out) => {
            if !s.contains('$') {
                assert_eq!(out, s, "text without `$` changed");
            }
        }
        Err(e) => assert!(s.contains('$'), "text without `$` refused: {e}"),
    }
    // The same text as a `.env` file: parsed or refused, never a panic or a hang.
    if let Ok(vars) = dotenv::parse(s, &env) {
        assert!(vars.len() <= s.lines().count(), "more variables than lines");
    }
    let p = normalise_project(s);
    assert!(
        p.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'),
        "project name {p:?}"
    );
    assert!(!p.starts_with(['_', '-']), "project name {p:?}");
});
