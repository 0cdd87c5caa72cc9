//! Matrix legs exactly as the forges expand them, and the `" (v1, v2)"` suffix they append.
//!
//! Decoding (`model.(*Job).Matrix()`): Gitea ≤ 1.26 (act) and Forgejo (runner) decode
//! `strategy.matrix` strictly into `map[string][]interface{}`: any value that is not a list
//! makes the decode fail, and the job then has no matrix at all. Gitea 1.27 (gitea/runner
//! v1.0.8) decodes into `map[string]interface{}` and wraps scalars into one-value lists
//! (`normalizeMatrixValue`); a mapping value still leaves the job without matrix.
//! Expansion (`GetMatrixes`): the product of the axes, then `exclude` by partial match, then
//! each `include` extends every leg it fits on the original axes, or becomes a leg of its own.
//! Gitea runs one leg without values when nothing is left; the Forgejo runner none. Legs are
//! then sorted by their suffix string (`getMatrixes`: `sort.Slice` on `matrixName`).

use foldhash::{HashMap, HashMapExt, HashSet};
use std::collections::BTreeMap;

use super::behaviour::MatrixDecode;
use crate::yaml::go::{self, GoValue};
use crate::yaml::tree::Node;

/// One leg: matrix key → value (Go's `map[string]interface{}`; printed with keys sorted).
pub type Leg = BTreeMap<String, GoValue>;

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
    /// The matrix holds an expression the forge evaluates at run time.
    Dynamic(String),
    /// The forge rejects the workflow (an exclude key that is no matrix key).
    Invalid(String),
    /// The forge's own code cannot handle it (its type assertions would panic), or driftgate
    /// cannot model it: nothing is known about the legs.
    Unknown(String),
    /// Over one of driftgate's caps: the message names it.
    TooLarge(String),
}

/// What `strategy.matrix` decodes to.
pub enum Decoded {
    /// No strategy, no matrix, or one the decode rejects: one leg with no values.
    None,
    /// `map[string][]interface{}`: axes in document order, `include` and `exclude` among them.
    Map(Vec<(String, Vec<GoValue>)>),
}

/// The matrix node of a job body, if any.
pub fn node(job_body: &Node) -> Option<&Node> {
    job_body.field("strategy")?.field("matrix")
}

/// Decodes `strategy.matrix` as the release does.
pub fn decode(matrix: Option<&Node>, mode: MatrixDecode) -> Result<Decoded, MatrixError> {
    let Some(m) = matrix else {
        return Ok(Decoded::None);
    };
    // `Matrix()` only decodes a mapping node.
    let Some(pairs) = m.map() else {
        return Ok(Decoded::None);
    };
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        let Ok(key) = k.string_field() else {
            return Ok(Decoded::None);
        };
        let values = match (v.seq(), mode) {
            (Some(items), _) => items
                .iter()
                .map(go::resolve)
                .collect::<Result<Vec<_>, _>>()
                .map_err(MatrixError::Unknown)?,
            // Strict: a value that is not a list fails the whole decode.
            (None, MatrixDecode::Strict) => return Ok(Decoded::None),
            (None, MatrixDecode::Flexible) => match go::resolve(v).map_err(MatrixError::Unknown)? {
                GoValue::Map(_) => return Ok(Decoded::None),
                scalar => vec![scalar],
            },
        };
        out.push((key, values));
    }
    Ok(Decoded::Map(out))
}

/// Whether any string anywhere in the matrix holds `${{ }}`.
pub fn expression_in(matrix: Option<&Node>) -> Option<String> {
    fn find(n: &Node) -> Option<String> {
        if let Some(s) = n.scalar() {
            return super::expr::contains_expression(&s.text).then(|| s.text.clone());
        }
        if let Some(items) = n.seq() {
            return items.iter().find_map(find);
        }
        n.map()?
            .iter()
            .find_map(|(k, v)| find(k).or_else(|| find(v)))
    }
    find(matrix?)
}

/// A leg and its printed suffix (`matrix_name`), which the sort computed anyway.
pub type NamedLeg = (String, Leg);

/// Expands a decoded matrix into its legs as `GetMatrixes` does, within the caps above, sorted
/// by suffix. Include and exclude entries are matched through hash indexes keyed by the axes they
/// name, never leg × entry. `empty_runs_once`: Gitea's act adds one empty leg when none is left.
pub fn expand(decoded: &Decoded, empty_runs_once: bool) -> Result<Vec<NamedLeg>, MatrixError> {
    let m = match decoded {
        Decoded::None => return Ok(vec![(matrix_name(&Leg::new()), Leg::new())]),
        Decoded::Map(m) => m,
    };
    let is_key = |k: &str| m.iter().any(|(a, _)| a == k);
    let entries = |key: &str| -> Result<Vec<Vec<(String, GoValue)>>, MatrixError> {
        let mut out = Vec::new();
        for (_, list) in m.iter().filter(|(k, _)| k == key) {
            for v in list {
                match v {
                    GoValue::Map(pairs) => out.push(pairs.clone()),
                    // `case []any:` — a list of mappings inside the list (include only).
                    GoValue::Seq(inner) if key == "include" => {
                        for i in inner {
                            match i {
                                GoValue::Map(pairs) => out.push(pairs.clone()),
                                _ => return Err(panics(key)),
                            }
                        }
                    }
                    _ => return Err(panics(key)),
                }
            }
        }
        Ok(out)
    };
    let includes_all = entries("include")?;
    let excludes = entries("exclude")?;
    let axes: Vec<(&String, &Vec<GoValue>)> = m
        .iter()
        .filter(|(k, _)| k != "include" && k != "exclude")
        .map(|(k, v)| (k, v))
        .collect();
    let axis_of = |k: &str| axes.iter().position(|(a, _)| a.as_str() == k);
    for ex in &excludes {
        if let Some((k, _)) = ex.iter().find(|(k, _)| !is_key(k) || k == "include") {
            return Err(MatrixError::Invalid(format!(
                "matrix exclude key {k:?} does not match any key within the matrix"
            )));
        }
    }

    // Each axis value gets an id; equal values (reflect.DeepEqual) share it, NaN never does.
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

    // exclude (`commonKeysMatch`): every key the entry shares with the leg must be equal. A key
    // that is no axis (only `exclude` itself can be) is ignored; a value no axis has can never
    // match.
    let mut by_keys: HashMap<Vec<usize>, HashSet<Vec<u32>>> = HashMap::new();
    for ex in &excludes {
        let mut keys: Vec<(usize, u32)> = Vec::with_capacity(ex.len());
        let mut possible = true;
        for (k, v) in ex {
            if let Some(a) = axis_of(k) {
                match ids.find(v) {
                    Some(id) => keys.push((a, id)),
                    None => possible = false,
                }
            }
        }
        if possible {
            keys.sort_unstable();
            keys.dedup_by_key(|(a, _)| *a);
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

    // include: act first sets apart the entries that name no key of the matrix (`include` and
    // `exclude` among them): those are always legs of their own.
    let (includes, mut extra): (Vec<_>, Vec<_>) = includes_all
        .into_iter()
        .partition(|inc| inc.iter().any(|(k, _)| is_key(k)));
    // `commonKeysMatch2`: an include fits the legs that agree with it on the original axes.
    let mut index: HashMap<Vec<usize>, HashMap<Vec<u32>, Vec<usize>>> = HashMap::new();
    for (n, inc) in includes.iter().enumerate() {
        let mut keys: Vec<(usize, u32)> = Vec::new();
        let mut possible = true;
        for (k, v) in inc {
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
        keys.dedup_by_key(|(a, _)| *a);
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
            for (k, v) in &includes[n] {
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
    out.extend(
        extra
            .into_iter()
            .map(|pairs| pairs.into_iter().collect::<Leg>()),
    );
    if out.is_empty() && empty_runs_once {
        out.push(Leg::new());
    }
    // `getMatrixes` sorts the legs by their printed suffix (byte order).
    let mut keyed: Vec<(String, Leg)> = out.into_iter().map(|l| (matrix_name(&l), l)).collect();
    keyed.sort_by(|a, b| go::byte_order(&a.0, &b.0));
    Ok(keyed)
}

fn panics(key: &str) -> MatrixError {
    MatrixError::Unknown(format!(
        "a matrix {key} entry is not a mapping of names to values, which the forge's matrix code cannot take"
    ))
}

fn too_many_legs(n: usize) -> MatrixError {
    MatrixError::TooLarge(format!(
        "the matrix expands to {n} legs, over driftgate's cap of {MAX_LEGS} per job"
    ))
}

/// Small integer ids for matrix values, equal values sharing one (NaN never equal).
#[derive(Default)]
struct ValueIds {
    by_identity: HashMap<String, u32>,
    values: Vec<GoValue>,
    /// The identity being looked up, in one reused buffer.
    scratch: String,
}

impl ValueIds {
    fn id(&mut self, v: &GoValue) -> u32 {
        let id = self.values.len() as u32;
        if v.has_nan() {
            self.values.push(v.clone());
            return id;
        }
        self.scratch.clear();
        v.write_identity(&mut self.scratch);
        if let Some(known) = self.by_identity.get(self.scratch.as_str()) {
            return *known;
        }
        self.values.push(v.clone());
        self.by_identity.insert(self.scratch.clone(), id);
        id
    }

    fn find(&mut self, v: &GoValue) -> Option<u32> {
        if v.has_nan() {
            return None;
        }
        self.scratch.clear();
        v.write_identity(&mut self.scratch);
        self.by_identity.get(self.scratch.as_str()).copied()
    }

    fn value(&self, id: u32) -> &GoValue {
        &self.values[id as usize]
    }
}

/// `matrixName`: `(v1, v2)` with values ordered by key name, printed with `fmt.Sprint`.
pub fn matrix_name(leg: &Leg) -> String {
    let mut out = String::with_capacity(2 + leg.len() * 8);
    out.push('(');
    for (n, v) in leg.values().enumerate() {
        if n > 0 {
            out.push_str(", ");
        }
        go::sprint_into(&mut out, v);
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::tree;

    fn legs_of(yaml: &str, mode: MatrixDecode) -> Vec<String> {
        let n = tree::parse(&format!("strategy:\n  matrix: {yaml}\n")).expect("parse");
        let d = decode(node(&n), mode).expect("decode");
        let legs = expand(&d, true).expect("expand");
        for (name, leg) in &legs {
            assert_eq!(name, &matrix_name(leg));
        }
        legs.into_iter().map(|(name, _)| name).collect()
    }

    fn legs(yaml: &str) -> Vec<String> {
        legs_of(yaml, MatrixDecode::Strict)
    }

    #[test]
    fn product_then_exclude_then_include_as_act_sorted_by_suffix() {
        assert_eq!(
            legs("{os: [b, a], v: [1, 2], exclude: [{os: b, v: 2}]}"),
            ["(a, 1)", "(a, 2)", "(b, 1)"]
        );
        assert_eq!(
            legs("{os: [a, b], v: [1, 2], exclude: [{os: a}]}"),
            ["(b, 1)", "(b, 2)"]
        );
        // An include that fits extends every matching leg with its new keys.
        assert_eq!(
            legs("{os: [a, b], include: [{os: a, x: y}]}"),
            ["(a, y)", "(b)"]
        );
        // An include that contradicts every leg becomes a leg of its own.
        assert_eq!(legs("{os: [a], include: [{os: c}]}"), ["(a)", "(c)"]);
        assert_eq!(legs("{include: [{n: 1}, {n: 2}]}"), ["(1)", "(2)"]);
        assert_eq!(
            legs("{os: [a, b], include: [{extra: 1}]}"),
            ["(1)", "(a)", "(b)"]
        );
        assert_eq!(
            legs("{os: [a], include: [{os: a, x: 1}, {os: a, x: 2}]}"),
            ["(a, 2)"]
        );
        // Sorted as strings: 10 < 12 < 8.
        assert_eq!(legs("{v: [8, 10, 12]}"), ["(10)", "(12)", "(8)"]);
        // Nothing left: Gitea runs one leg without values.
        assert_eq!(legs("{os: []}"), ["()"]);
    }

    #[test]
    fn strict_and_flexible_decoding() {
        // A scalar axis: no matrix at all (≤ 1.26, Forgejo); one leg of it on Gitea 1.27.
        assert_eq!(legs("{os: linux}"), ["()"]);
        assert_eq!(legs_of("{os: linux}", MatrixDecode::Flexible), ["(linux)"]);
        assert_eq!(legs_of("{os: {a: b}}", MatrixDecode::Flexible), ["()"]);
        // An include that is a mapping, not a list: the strict decode fails.
        assert_eq!(legs("{os: [a], include: {os: b}}"), ["()"]);
        // Values as yaml.v3 resolves them.
        assert_eq!(
            legs("{v: [3.10, '3.10', 010, .inf, ~, true, 1e6]}"),
            [
                "(+Inf)", "(1e+06)", "(3.1)", "(3.10)", "(8)", "(<nil>)", "(true)"
            ]
        );
        // NaN equals nothing: an exclude of it removes nothing.
        assert_eq!(
            legs("{v: [.nan, 1], exclude: [{v: .nan}]}"),
            ["(1)", "(NaN)"]
        );
        // An int is not a float: `1.0` does not exclude `1`.
        assert_eq!(legs("{v: [1, 2], exclude: [{v: 1.0}]}"), ["(1)", "(2)"]);
    }

    #[test]
    fn invalid_and_unknown_matrices_say_so() {
        let n =
            tree::parse("strategy:\n  matrix: {os: [a], exclude: [{arch: x}]}\n").expect("parse");
        let d = decode(node(&n), MatrixDecode::Strict).expect("decode");
        assert!(matches!(expand(&d, true), Err(MatrixError::Invalid(_))));
        let n = tree::parse("strategy:\n  matrix: {os: [a], include: [3]}\n").expect("parse");
        let d = decode(node(&n), MatrixDecode::Strict).expect("decode");
        assert!(matches!(expand(&d, true), Err(MatrixError::Unknown(_))));
        let n = tree::parse("strategy:\n  matrix: {os: \"${{ fromJSON(x) }}\"}\n").expect("parse");
        assert!(expression_in(node(&n)).is_some());
    }
}
