//! Matrix legs exactly as act's `GetMatrixes` (used by Gitea and the Forgejo runner) expands them,
//! and the `" (v1, v2)"` suffix the forges append, with values printed as Go's `fmt.Sprint`
//! prints what yaml.v3 decoded.

use serde_json::{Map, Value};

use super::expr;

/// One leg: matrix key → value.
pub type Leg = Map<String, Value>;

/// Why a matrix could not be expanded statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixError {
    /// The matrix (or an axis, include or exclude) is an expression evaluated at run time.
    Dynamic(String),
    /// The forge rejects the workflow (e.g. an exclude key that is no matrix key).
    Invalid(String),
}

/// What `strategy.matrix` holds, before expansion.
pub enum Shape<'a> {
    /// No strategy or no matrix: one leg with no values.
    None,
    /// A mapping of axes (with optional include/exclude).
    Axes(&'a Map<String, Value>),
    /// A scalar or anything else the forge cannot decode into axes.
    Other(&'a Value),
}

pub fn shape(job_body: &Value) -> Shape<'_> {
    match job_body.get("strategy").and_then(|s| s.get("matrix")) {
        None | Some(Value::Null) => Shape::None,
        Some(Value::Object(m)) => Shape::Axes(m),
        Some(other) => Shape::Other(other),
    }
}

/// Whether any axis, include or exclude of a mapping matrix is an expression string: Gitea
/// (≤ 1.26) then fails to decode the matrix and runs one leg; Forgejo evaluates it at run time.
pub fn has_expression(m: &Map<String, Value>) -> Option<String> {
    m.iter().find_map(|(k, v)| match v {
        Value::Array(items) => items.iter().find_map(|i| match i {
            Value::String(s)
                if expr::contains_expression(s) && (k == "include" || k == "exclude") =>
            {
                Some(format!("matrix {k} entry {s}"))
            }
            _ => None,
        }),
        Value::String(s) if expr::contains_expression(s) => Some(format!("matrix {k}: {s}")),
        _ => None,
    })
}

/// Expands a mapping matrix into its legs as act does.
pub fn expand(m: &Map<String, Value>) -> Result<Vec<Leg>, MatrixError> {
    let mut axes: Vec<(&String, &Vec<Value>)> = Vec::new();
    for (k, v) in m {
        if k == "include" || k == "exclude" {
            continue;
        }
        match v {
            Value::Array(items) => axes.push((k, items)),
            other => {
                return Err(MatrixError::Dynamic(format!(
                    "matrix axis {k} is not a list ({})",
                    short(other)
                )));
            }
        }
    }
    let entries = |key: &str| -> Result<Vec<&Map<String, Value>>, MatrixError> {
        match m.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|i| {
                    i.as_object().ok_or_else(|| {
                        MatrixError::Dynamic(format!(
                            "matrix {key} entry is not a mapping ({})",
                            short(i)
                        ))
                    })
                })
                .collect(),
            Some(Value::Object(one)) if key == "include" => Ok(vec![one]),
            Some(other) => Err(MatrixError::Dynamic(format!(
                "matrix {key} is not a list ({})",
                short(other)
            ))),
        }
    };
    let includes_all = entries("include")?;
    let excludes = entries("exclude")?;
    let is_axis = |k: &str| axes.iter().any(|(a, _)| a.as_str() == k);

    for ex in &excludes {
        if let Some(k) = ex.keys().find(|k| !is_axis(k)) {
            return Err(MatrixError::Invalid(format!(
                "matrix exclude key {k:?} does not match any key within the matrix"
            )));
        }
    }

    // Cartesian product; no axes or an empty axis gives no legs.
    let mut legs: Vec<Leg> = Vec::new();
    if !axes.is_empty() && axes.iter().all(|(_, items)| !items.is_empty()) {
        legs.push(Leg::new());
        for (k, items) in &axes {
            let mut next = Vec::with_capacity(legs.len() * items.len());
            for leg in &legs {
                for item in items.iter() {
                    let mut l = leg.clone();
                    l.insert((*k).clone(), item.clone());
                    next.push(l);
                }
            }
            legs = next;
        }
    }
    legs.retain(|leg| !excludes.iter().any(|ex| common_keys_match(leg, ex)));

    // act splits includes before expanding: an entry that names no matrix key (the keys of `m`,
    // include/exclude among them) is always a new leg.
    let (includes, mut extra): (Vec<_>, Vec<_>) = includes_all
        .into_iter()
        .partition(|inc| inc.keys().any(|k| m.contains_key(k)));
    for inc in includes {
        let mut matched = false;
        for leg in legs.iter_mut() {
            // Only the original axes decide a match; keys added by earlier includes do not.
            let fits = leg
                .iter()
                .all(|(k, v)| !is_axis(k) || inc.get(k).is_none_or(|iv| iv == v));
            if fits {
                matched = true;
                for (k, v) in inc {
                    leg.insert(k.clone(), v.clone());
                }
            }
        }
        if !matched {
            extra.push(inc);
        }
    }
    legs.extend(extra.into_iter().cloned());
    Ok(legs)
}

fn common_keys_match(leg: &Leg, other: &Map<String, Value>) -> bool {
    leg.iter().all(|(k, v)| other.get(k).is_none_or(|o| o == v))
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(60).collect::<String>())
    } else {
        s
    }
}

/// The suffix both forges append: `(v1, v2)`, values ordered by key name.
pub fn suffix(leg: &Leg) -> String {
    let mut keys: Vec<&String> = leg.keys().collect();
    keys.sort();
    let vals: Vec<String> = keys.iter().map(|k| go_sprint(&leg[k.as_str()])).collect();
    format!("({})", vals.join(", "))
}

/// `fmt.Sprint` of a value as yaml.v3 decodes it into `interface{}`.
pub fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            if n.is_f64() {
                go_float(n.as_f64().unwrap_or(0.0))
            } else {
                n.to_string()
            }
        }
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(go_sprint).collect();
            format!("[{}]", parts.join(" "))
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .iter()
                .map(|k| format!("{k}:{}", go_sprint(&map[k.as_str()])))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
    }
}

/// Go's `%v` for a float64: strconv's `'g'` with the shortest precision, i.e. the shortest digits
/// that round-trip, in `%e` form (two-digit exponent, `1e+06`) when the decimal exponent is below
/// -4 or at least 6, else plain decimal.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.234e6", "-5e-7".
    let e = format!("{f:e}");
    let (mantissa, exp) = match e.split_once('e') {
        Some((m, x)) => (m, x.parse::<i32>().unwrap_or(0)),
        None => (e.as_str(), 0),
    };
    let neg = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    // strconv: "if precision was the shortest possible, use precision 6 for this decision".
    if !(-4..6).contains(&exp) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{first}{frac}e{esign}{:02}", exp.abs());
    }
    // Plain decimal: place the point `exp + 1` digits in.
    let point = exp + 1;
    let s = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), digits)
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        let (a, b) = digits.split_at(point as usize);
        format!("{a}.{b}")
    };
    format!("{sign}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn legs(v: Value) -> Vec<String> {
        let m = v.as_object().expect("object").clone();
        expand(&m).expect("expand").iter().map(suffix).collect()
    }

    #[test]
    fn go_prints_floats_like_fmt_sprint() {
        let cases = [
            (3.1, "3.1"),
            (3.0, "3"),
            (1e6, "1e+06"),
            (100000.0, "100000"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (0.5, "0.5"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5, "-2.5"),
            (2.75, "2.75"),
            (1e21, "1e+21"),
            (12345678.9, "1.23456789e+07"),
        ];
        for (f, want) in cases {
            assert_eq!(go_float(f), want, "{f}");
        }
        assert_eq!(go_sprint(&json!({"b": 1, "a": "x"})), "map[a:x b:1]");
        assert_eq!(go_sprint(&json!([1, "a", null, true])), "[1 a <nil> true]");
    }

    #[test]
    fn product_then_exclude_then_include_as_act() {
        // Product in axis order, exclude by partial match.
        assert_eq!(
            legs(json!({"os": ["a", "b"], "v": [1, 2], "exclude": [{"os": "b", "v": 2}]})),
            ["(a, 1)", "(a, 2)", "(b, 1)"]
        );
        // A partial exclude removes every leg it matches.
        assert_eq!(
            legs(json!({"os": ["a", "b"], "v": [1, 2], "exclude": [{"os": "a"}]})),
            ["(b, 1)", "(b, 2)"]
        );
        // An include that fits extends every matching leg with its new keys.
        assert_eq!(
            legs(json!({"os": ["a", "b"], "include": [{"os": "a", "x": "y"}]})),
            ["(a, y)", "(b)"]
        );
        // An include that contradicts every leg becomes a leg of its own, with only its keys.
        assert_eq!(
            legs(json!({"os": ["a"], "include": [{"os": "c"}]})),
            ["(a)", "(c)"]
        );
        // Include-only: one leg per entry.
        assert_eq!(
            legs(json!({"include": [{"n": 1}, {"n": 2}]})),
            ["(1)", "(2)"]
        );
        // An include naming no matrix key is always a new leg (it does not extend every leg).
        assert_eq!(
            legs(json!({"os": ["a", "b"], "include": [{"extra": 1}]})),
            ["(a)", "(b)", "(1)"]
        );
        // Matching uses original axes only: the second include still matches after the first
        // added `x`.
        assert_eq!(
            legs(json!({"os": ["a"], "include": [{"os": "a", "x": 1}, {"os": "a", "x": 2}]})),
            ["(a, 2)"]
        );
        // An empty axis gives no legs at all.
        assert!(legs(json!({"os": []})).is_empty());
    }

    #[test]
    fn invalid_and_dynamic_matrices_say_so() {
        let m = json!({"os": ["a"], "exclude": [{"arch": "x"}]});
        assert!(matches!(
            expand(m.as_object().expect("o")),
            Err(MatrixError::Invalid(_))
        ));
        let m = json!({"os": "${{ fromJSON(needs.a.outputs.os) }}"});
        assert!(matches!(
            expand(m.as_object().expect("o")),
            Err(MatrixError::Dynamic(_))
        ));
        assert!(has_expression(m.as_object().expect("o")).is_some());
    }
}
