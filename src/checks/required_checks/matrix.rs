//! Matrix legs exactly as act's `GetMatrixes` (used by Gitea and the Forgejo runner) expands them,
//! and the `" (v1, v2)"` suffix the forges append, with values printed as Go's `fmt.Sprint`
//! prints what yaml.v3 decoded.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::expr;

/// One leg: matrix key → value.
pub type Leg = Map<String, Value>;

/// Legs per job, at most. Neither forge caps a matrix (act's `GetMatrixes` has no limit; GitHub
/// refuses more than 256); past this a job is unverifiable rather than expanded.
pub const MAX_LEGS: usize = 1024;
/// The product of the axes before `exclude`, at most (checked before anything is allocated).
pub const MAX_PRODUCT: usize = 65_536;
/// Legs × axes of that product, at most (many one-value axes cost memory, not legs).
pub const MAX_CELLS: usize = 4_000_000;
/// Include/exclude matching work (legs × distinct key sets, plus include applications), at most.
pub const MAX_MATCH_WORK: usize = 4_000_000;

/// Why a matrix could not be expanded statically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatrixError {
    /// The matrix (or an axis, include or exclude) is an expression evaluated at run time.
    Dynamic(String),
    /// The forge rejects the workflow (e.g. an exclude key that is no matrix key).
    Invalid(String),
    /// Over one of driftgate's caps: the message names it.
    TooLarge(String),
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

/// Expands a mapping matrix into its legs as act's `GetMatrixes` does (product, then `exclude`
/// by partial match, then each `include` extends every leg it fits on the original axes or
/// becomes a leg of its own), within the caps above. Include and exclude entries are matched
/// through hash indexes keyed by the axes they name, never leg × entry.
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
    let axis_of = |k: &str| axes.iter().position(|(a, _)| a.as_str() == k);

    for ex in &excludes {
        if let Some(k) = ex.keys().find(|k| axis_of(k).is_none()) {
            return Err(MatrixError::Invalid(format!(
                "matrix exclude key {k:?} does not match any key within the matrix"
            )));
        }
    }

    // Each axis value gets an id; equal values (as Go's reflect.DeepEqual sees them) share it.
    let mut ids = ValueIds::default();
    let axis_ids: Vec<Vec<u32>> = axes
        .iter()
        .map(|(_, items)| items.iter().map(|v| ids.id(v)).collect())
        .collect();

    // Cartesian product as value-id tuples; no axes or an empty axis gives no legs.
    let mut legs: Vec<Vec<u32>> = Vec::new();
    if !axes.is_empty() && axis_ids.iter().all(|v| !v.is_empty()) {
        let product = axis_ids
            .iter()
            .try_fold(1usize, |acc, v| acc.checked_mul(v.len()))
            .filter(|p| *p <= MAX_PRODUCT)
            .ok_or_else(|| {
                MatrixError::TooLarge(format!(
                    "the matrix has more than {MAX_PRODUCT} combinations before exclude (driftgate's cap)"
                ))
            })?;
        if product.saturating_mul(axes.len()) > MAX_CELLS {
            return Err(MatrixError::TooLarge(format!(
                "the matrix has {product} combinations of {} axes, over driftgate's cap of {MAX_CELLS} values",
                axes.len()
            )));
        }
        legs.reserve(product);
        legs.push(Vec::with_capacity(axes.len()));
        for values in &axis_ids {
            let mut next = Vec::with_capacity(legs.len() * values.len());
            for leg in &legs {
                for v in values {
                    let mut l = leg.clone();
                    l.push(*v);
                    next.push(l);
                }
            }
            legs = next;
        }
    }

    let mut work = 0usize;
    let mut spend = |n: usize| -> Result<(), MatrixError> {
        work = work.saturating_add(n);
        if work > MAX_MATCH_WORK {
            Err(MatrixError::TooLarge(format!(
                "matching the matrix include/exclude entries takes more than {MAX_MATCH_WORK} steps (driftgate's cap)"
            )))
        } else {
            Ok(())
        }
    };

    // exclude: partial match on the axes each entry names. An entry naming a value no axis has
    // can never match.
    let mut by_keys: HashMap<Vec<usize>, HashSet<Vec<u32>>> = HashMap::new();
    for ex in &excludes {
        let mut keys: Vec<(usize, u32)> = Vec::with_capacity(ex.len());
        let mut possible = true;
        for (k, v) in ex.iter() {
            match (axis_of(k), ids.find(v)) {
                (Some(a), Some(id)) => keys.push((a, id)),
                _ => possible = false,
            }
        }
        if possible {
            keys.sort_unstable();
            let (axes_named, values): (Vec<usize>, Vec<u32>) = keys.into_iter().unzip();
            by_keys.entry(axes_named).or_default().insert(values);
        }
    }
    if !by_keys.is_empty() {
        spend(legs.len().saturating_mul(by_keys.len()))?;
        legs.retain(|leg| {
            !by_keys.iter().any(|(axes_named, values)| {
                let projected: Vec<u32> = axes_named.iter().map(|a| leg[*a]).collect();
                values.contains(&projected)
            })
        });
    }
    if legs.len() > MAX_LEGS {
        return Err(too_many_legs(legs.len()));
    }

    // include: act first sets apart the entries that name no key of the matrix (include and
    // exclude among them): those are always legs of their own.
    let (includes, mut extra): (Vec<_>, Vec<_>) = includes_all
        .into_iter()
        .partition(|inc| inc.keys().any(|k| m.contains_key(k)));
    // Each include fits the legs whose original axes agree with it on the axes it names.
    let mut index: HashMap<Vec<usize>, HashMap<Vec<u32>, Vec<usize>>> = HashMap::new();
    for (n, inc) in includes.iter().enumerate() {
        let mut keys: Vec<(usize, u32)> = Vec::new();
        let mut possible = true;
        for (k, v) in inc.iter() {
            if let Some(a) = axis_of(k) {
                match ids.find(v) {
                    Some(id) => keys.push((a, id)),
                    None => possible = false,
                }
            }
        }
        if !possible {
            continue;
        }
        keys.sort_unstable();
        let (axes_named, values): (Vec<usize>, Vec<u32>) = keys.into_iter().unzip();
        index
            .entry(axes_named)
            .or_default()
            .entry(values)
            .or_default()
            .push(n);
    }
    spend(legs.len().saturating_mul(index.len()))?;
    let mut matched = vec![false; includes.len()];
    let mut out: Vec<Leg> = Vec::with_capacity(legs.len());
    for leg in &legs {
        let mut fits: Vec<usize> = Vec::new();
        for (axes_named, by_values) in &index {
            let projected: Vec<u32> = axes_named.iter().map(|a| leg[*a]).collect();
            if let Some(list) = by_values.get(&projected) {
                fits.extend_from_slice(list);
            }
        }
        spend(fits.len())?;
        fits.sort_unstable();
        let mut l = Leg::new();
        for (a, id) in leg.iter().enumerate() {
            l.insert(axes[a].0.clone(), ids.value(*id).clone());
        }
        for n in fits {
            matched[n] = true;
            for (k, v) in includes[n] {
                l.insert(k.clone(), v.clone());
            }
        }
        out.push(l);
    }
    for (inc, hit) in includes.into_iter().zip(matched) {
        if !hit {
            extra.push(inc);
        }
    }
    if out.len() + extra.len() > MAX_LEGS {
        return Err(too_many_legs(out.len() + extra.len()));
    }
    out.extend(extra.into_iter().cloned());
    Ok(out)
}

fn too_many_legs(n: usize) -> MatrixError {
    MatrixError::TooLarge(format!(
        "the matrix expands to {n} legs, over driftgate's cap of {MAX_LEGS} per job"
    ))
}

/// Small integer ids for matrix values, equal values sharing one. Equality is Go's
/// `reflect.DeepEqual` on what yaml.v3 decoded: maps regardless of key order, an integer never
/// equal to a float.
#[derive(Default)]
struct ValueIds {
    by_text: HashMap<String, u32>,
    values: Vec<Value>,
}

impl ValueIds {
    fn id(&mut self, v: &Value) -> u32 {
        let key = canonical(v);
        if let Some(id) = self.by_text.get(&key) {
            return *id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.clone());
        self.by_text.insert(key, id);
        id
    }

    fn find(&self, v: &Value) -> Option<u32> {
        self.by_text.get(&canonical(v)).copied()
    }

    fn value(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }
}

/// A text that is equal for equal values: JSON with object keys sorted.
fn canonical(v: &Value) -> String {
    fn write(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                out.push('{');
                for k in keys {
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    if let Some(x) = m.get(k) {
                        write(x, out);
                    }
                    out.push(',');
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for x in items {
                    write(x, out);
                    out.push(',');
                }
                out.push(']');
            }
            Value::Number(n) if n.is_f64() => {
                out.push('f');
                out.push_str(&n.to_string());
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut out = String::new();
    write(v, &mut out);
    out
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
    let vals: Vec<String> = keys
        .iter()
        .filter_map(|k| leg.get(k.as_str()))
        .map(go_sprint)
        .collect();
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
