//! Job names are `${{ }}` expressions from the workflow file, evaluated against a matrix leg.
//! The input is the name; after a NUL byte, optionally a leg as a JSON object (else a fixed one).
#![no_main]

use driftgate::checks::required_checks::expr::{Env, contains_expression, interpolate};
use driftgate::checks::required_checks::matrix::Leg;
use driftgate::checks::required_checks::patterns::RequiredPattern;
use libfuzzer_sys::fuzz_target;
use driftgate::yaml::go::GoValue;
use serde_json::{Value, json};

/// A JSON value as yaml.v3 would have decoded the same value into `interface{}`.
fn go(v: Value) -> GoValue {
    match v {
        Value::Null => GoValue::Nil,
        Value::Bool(b) => GoValue::Bool(b),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => GoValue::Int(i),
            (None, Some(u), _) => GoValue::Uint(u),
            (_, _, Some(f)) => GoValue::Float(f),
            _ => GoValue::Nil,
        },
        Value::String(s) => GoValue::Str(s),
        Value::Array(a) => GoValue::Seq(a.into_iter().map(go).collect()),
        Value::Object(m) => GoValue::Map(m.into_iter().map(|(k, v)| (k, go(v))).collect()),
    }
}

fn leg_of(m: serde_json::Map<String, Value>) -> Leg {
    m.into_iter().map(|(k, v)| (k, go(v))).collect()
}

fn fixed_leg() -> Leg {
    match json!({
        "os": "debian",
        "py": 3.1,
        "n": 2,
        "big": 1e21,
        "flag": true,
        "nil": null,
        "list": [1, "a", null, true],
        "cacher": {"name": "redis", "port": 6379},
        "Mixed-Case_key": "x"
    }) {
        Value::Object(m) => leg_of(m),
        _ => Leg::new(),
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (name, leg) = match text.split_once('\0') {
        Some((name, json)) => match serde_json::from_str::<Value>(json) {
            Ok(Value::Object(m)) => (name, leg_of(m)),
            _ => (name, fixed_leg()),
        },
        None => (text.as_ref(), fixed_leg()),
    };
    // `github` is empty where the release passes no git context to the naming.
    let empty: &[&str] = if data.len() % 2 == 0 { &["github"] } else { &[] };
    match interpolate(name, Env { matrix: &leg, empty }) {
        Ok(out) => {
            // Without an expression there is nothing to interpolate.
            if !name.contains("${{") {
                assert_eq!(out, name);
            }
        }
        Err(u) => {
            assert!(
                contains_expression(name),
                "unresolved without an expression"
            );
            // The template stands for every value the name could take: it must be a glob the
            // forge's matcher accepts, or `could_match` silently treats the job as irrelevant.
            if let Err(e) = RequiredPattern::new(&u.template) {
                panic!("template {:?} of {name:?} is no glob: {e}", u.template);
            }
        }
    }
});
