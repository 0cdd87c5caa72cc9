//! Just enough of the Actions expression language to name jobs statically, as the forges do when
//! a run is created (`ExpressionEvaluator.Interpolate`: the name becomes one
//! `format('…{0}…', expr0, …)` and every value is printed by `coerceToString`): the `matrix`
//! context, the contexts that are empty at that moment on the release (`github` before git
//! contexts were passed, `needs`, `inputs`), literals, `format()`, `||`, `&&`, `==`, `!=`, `!`.
//! Anything known only at run time (`vars`, `github` on newer releases, other functions) is
//! unresolved, with a glob that stands for every name the text could produce.

use std::borrow::Cow;

use super::matrix::Leg;
use crate::yaml::go::{GoValue, coerce_to_string};

/// Nesting of an expression (parentheses, `!`, calls, indexes), at most.
pub const MAX_DEPTH: usize = 50;
/// Characters of one `${{ }}` segment, at most.
pub const MAX_SOURCE: usize = 64 * 1024;
/// Bytes one interpolated text may grow to (a `format()` repeating a long value), at most.
pub const MAX_OUTPUT: usize = 64 * 1024;

/// Both forges only interpolate when both `${{` and `}}` appear.
pub fn contains_expression(s: &str) -> bool {
    s.contains("${{") && s.contains("}}")
}

/// What an expression may read when a job is named.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub matrix: &'a Leg,
    /// Contexts that are empty when the run is created (every property is null).
    pub empty: &'a [&'a str],
}

/// A name that cannot be computed without running the workflow, or over a cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// A glob (unknown parts are `*`) matching every value the text could take.
    pub template: String,
    pub reason: String,
    /// Over one of the caps above (the reason names it), not merely unknown.
    pub capped: bool,
}

/// Why an expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fail {
    why: String,
    capped: bool,
}

impl From<String> for Fail {
    fn from(why: String) -> Fail {
        Fail { why, capped: false }
    }
}

impl From<&str> for Fail {
    fn from(why: &str) -> Fail {
        Fail::from(why.to_string())
    }
}

fn capped(why: String) -> Fail {
    Fail { why, capped: true }
}

/// One piece of a text to interpolate.
#[derive(Debug, PartialEq, Eq)]
enum Part<'a> {
    Literal(&'a str),
    Expr(&'a str),
}

/// Splits a text as act's `rewriteSubExpression` does: an expression ends at the first `}}`
/// outside a quoted string. `None` where that function panics (an unclosed string or
/// expression).
fn split(text: &str) -> Option<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${{") {
        if start > 0 {
            parts.push(Part::Literal(&rest[..start]));
        }
        let body = &rest[start + 3..];
        let mut pos = 0;
        let end = loop {
            let close = body[pos..].find("}}").map(|i| i + pos);
            let quote = body[pos..].find('\'').map(|i| i + pos);
            match (close, quote) {
                (Some(c), Some(q)) if q < c => {
                    // Skip the quoted string (`''` is an escaped quote).
                    let mut i = q + 1;
                    loop {
                        let next = body[i..].find('\'')? + i;
                        if body[next + 1..].starts_with('\'') {
                            i = next + 2;
                        } else {
                            pos = next + 1;
                            break;
                        }
                    }
                }
                (Some(c), _) => break c,
                (None, Some(q)) => {
                    let next = body[q + 1..].find('\'')? + q + 1;
                    pos = next + 1;
                }
                (None, None) => return None,
            }
        };
        parts.push(Part::Expr(body[..end].trim()));
        rest = &body[end + 2..];
    }
    if !rest.is_empty() {
        parts.push(Part::Literal(rest));
    }
    Some(parts)
}

/// Interpolates every `${{ }}` segment of `text`.
pub fn interpolate(text: &str, env: Env) -> Result<String, Unresolved> {
    if !contains_expression(text) {
        return Ok(text.to_string());
    }
    let Some(parts) = split(text) else {
        return Err(Unresolved {
            template: unknown_template(text),
            reason:
                "has an unclosed `${{` or string, which makes the forge's expression rewriter fail"
                    .into(),
            capped: false,
        });
    };
    let mut out = String::with_capacity(text.len());
    // Until a segment fails, the template is `glob_escape(&out)` (escaping goes character by
    // character), so most names, which resolve, never build it; its length is kept for the cap.
    let mut template: Option<String> = None;
    let mut template_len = 0;
    let mut reason: Option<Fail> = None;
    for part in parts {
        let value = match part {
            Part::Literal(l) => Ok(Cow::Borrowed(l)),
            Part::Expr(src) => eval(src, env)
                .map(|v| Cow::Owned(coerce_to_string(&v)))
                .map_err(|f| (src, f)),
        };
        match value {
            Ok(s) => {
                out.push_str(&s);
                if let Some(t) = template.as_mut() {
                    t.push_str(&glob_escape(&s));
                }
                template_len += s.len() + s.chars().filter(|c| glob_special(*c)).count();
            }
            Err((src, f)) => {
                template.get_or_insert_with(|| glob_escape(&out)).push('*');
                template_len += 1;
                let shown = if src.chars().count() > 80 {
                    format!("{}…", src.chars().take(80).collect::<String>())
                } else {
                    src.to_string()
                };
                reason.get_or_insert(Fail {
                    why: format!("`${{{{ {shown} }}}}` {}", f.why),
                    capped: f.capped,
                });
            }
        }
        if out.len() > MAX_OUTPUT || template_len > MAX_OUTPUT {
            reason = Some(capped(format!(
                "the name grows past {MAX_OUTPUT} bytes (driftgate's cap)"
            )));
            break;
        }
    }
    match reason {
        None => Ok(out),
        Some(f) => Err(Unresolved {
            template: template.unwrap_or_else(|| glob_escape(&out)),
            reason: f.why,
            capped: f.capped,
        }),
    }
}

/// A glob for a text whose `${{ }}` segments are all unknown: each becomes `*`.
pub fn unknown_template(text: &str) -> String {
    match split(text) {
        Some(parts) => parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => glob_escape(l),
                Part::Expr(_) => "*".to_string(),
            })
            .collect(),
        None => "*".into(),
    }
}

/// The characters `glob_escape` puts a backslash before.
fn glob_special(c: char) -> bool {
    matches!(c, '*' | '?' | '[' | ']' | '{' | '}' | '\\')
}

/// Escapes glob metacharacters so a literal text matches only itself.
pub fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if glob_special(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// act's `IsTruthy`.
fn truthy(v: &GoValue) -> bool {
    match v {
        GoValue::Nil => false,
        GoValue::Bool(b) => *b,
        GoValue::Int(i) => *i != 0,
        GoValue::Uint(u) => *u != 0,
        GoValue::Float(f) => *f != 0.0 && !f.is_nan(),
        GoValue::Str(s) => !s.is_empty(),
        _ => true,
    }
}

fn eval(src: &str, env: Env) -> Result<GoValue, Fail> {
    if src.len() > MAX_SOURCE {
        return Err(capped(format!(
            "is longer than {MAX_SOURCE} bytes (driftgate's cap)"
        )));
    }
    let tokens = lex(src)?;
    let mut p = Parser {
        t: &tokens,
        i: 0,
        env,
        depth: 0,
    };
    let v = p.or()?;
    if p.i != tokens.len() {
        return Err("is not an expression driftgate can evaluate".into());
    }
    Ok(v)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Int(i64),
    Float(f64),
    Punct(&'static str),
}

fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while let Some(&c) = chars.get(i) {
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("has an unterminated string".into()),
                    Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let start = i;
            i += 1;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '.')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            // actionlint reads a number without `.` or exponent as an integer.
            let tok = if text.chars().all(|c| c.is_ascii_digit() || c == '-') {
                text.parse::<i64>().ok().map(Tok::Int)
            } else if text.contains(['x', 'X']) {
                None
            } else {
                text.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .map(Tok::Float)
            };
            out.push(tok.ok_or_else(|| format!("has a number driftgate cannot read ({text})"))?);
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            {
                i += 1;
            }
            out.push(Tok::Ident(chars[start..i].iter().collect()));
        } else {
            let next = chars.get(i + 1).copied();
            let p = match (c, next) {
                ('|', Some('|')) => "||",
                ('&', Some('&')) => "&&",
                ('=', Some('=')) => "==",
                ('!', Some('=')) => "!=",
                ('!', _) => "!",
                ('(', _) => "(",
                (')', _) => ")",
                ('[', _) => "[",
                (']', _) => "]",
                ('.', _) => ".",
                (',', _) => ",",
                _ => return Err(format!("uses {c:?}, which driftgate does not evaluate")),
            };
            i += p.len();
            out.push(Tok::Punct(p));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    t: &'a [Tok],
    i: usize,
    env: Env<'a>,
    /// Current nesting, bounded by [`MAX_DEPTH`] so that `((((…))))` cannot exhaust the stack.
    depth: usize,
}

impl Parser<'_> {
    fn peek_punct(&self, p: &str) -> bool {
        matches!(self.t.get(self.i), Some(Tok::Punct(x)) if *x == p)
    }

    fn expect(&mut self, p: &str) -> Result<(), Fail> {
        if self.peek_punct(p) {
            self.i += 1;
            Ok(())
        } else {
            Err(format!("is missing {p:?}").into())
        }
    }

    /// One level deeper; fails past [`MAX_DEPTH`].
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Fail>) -> Result<T, Fail> {
        if self.depth >= MAX_DEPTH {
            return Err(capped(format!(
                "nests deeper than {MAX_DEPTH} levels (driftgate's cap)"
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn or(&mut self) -> Result<GoValue, Fail> {
        self.nested(Self::or_inner)
    }

    fn or_inner(&mut self) -> Result<GoValue, Fail> {
        let mut v = self.and()?;
        while self.peek_punct("||") {
            self.i += 1;
            let r = self.and()?;
            if !truthy(&v) {
                v = r;
            }
        }
        Ok(v)
    }

    fn and(&mut self) -> Result<GoValue, Fail> {
        let mut v = self.cmp()?;
        while self.peek_punct("&&") {
            self.i += 1;
            let r = self.cmp()?;
            if truthy(&v) {
                v = r;
            }
        }
        Ok(v)
    }

    fn cmp(&mut self) -> Result<GoValue, Fail> {
        let l = self.unary()?;
        for op in ["==", "!="] {
            if self.peek_punct(op) {
                self.i += 1;
                let r = self.unary()?;
                let eq = loose_eq(&l, &r);
                return Ok(GoValue::Bool(if op == "==" { eq } else { !eq }));
            }
        }
        Ok(l)
    }

    fn unary(&mut self) -> Result<GoValue, Fail> {
        if self.peek_punct("!") {
            self.i += 1;
            let v = self.nested(Self::unary)?;
            return Ok(GoValue::Bool(!truthy(&v)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<GoValue, Fail> {
        let tokens: &[Tok] = self.t;
        let tok = tokens.get(self.i).ok_or("ends early")?;
        self.i += 1;
        match tok {
            Tok::Str(s) => Ok(GoValue::Str(s.clone())),
            Tok::Int(n) => Ok(GoValue::Int(*n)),
            Tok::Float(f) => Ok(GoValue::Float(*f)),
            Tok::Punct("(") => {
                let v = self.or()?;
                self.expect(")")?;
                Ok(v)
            }
            Tok::Ident(id) => match id.as_str() {
                "true" => Ok(GoValue::Bool(true)),
                "false" => Ok(GoValue::Bool(false)),
                "null" => Ok(GoValue::Nil),
                _ if self.peek_punct("(") => self.call(id),
                _ if id.eq_ignore_ascii_case("matrix") => {
                    // `matrix.key` reads the leg in place, as `property` would read its copy
                    // (the leg is sorted, as the copy is): copying the whole leg for each
                    // reference was a fifth of naming a 1,000-workflow run.
                    if let (true, Some(Tok::Ident(key))) =
                        (self.peek_punct("."), tokens.get(self.i + 1))
                    {
                        self.i += 2;
                        let v = self
                            .env
                            .matrix
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case(key))
                            .map_or(GoValue::Nil, |(_, v)| v.clone());
                        return self.path(v);
                    }
                    let leg = GoValue::Map(
                        self.env
                            .matrix
                            .iter()
                            .map(|(k, v)| (k.clone(), v.clone()))
                            .collect(),
                    );
                    self.path(leg)
                }
                _ if self.env.empty.iter().any(|c| c.eq_ignore_ascii_case(id)) => {
                    self.path(GoValue::Nil)
                }
                other => Err(format!("reads `{other}`, known only at run time").into()),
            },
            Tok::Punct(p) => Err(format!("has an unexpected {p:?}").into()),
        }
    }

    fn path(&mut self, mut v: GoValue) -> Result<GoValue, Fail> {
        loop {
            if self.peek_punct(".") {
                self.i += 1;
                let Some(Tok::Ident(key)) = self.t.get(self.i).cloned() else {
                    return Err("has a property access driftgate cannot read".into());
                };
                self.i += 1;
                v = property(&v, &key);
            } else if self.peek_punct("[") {
                self.i += 1;
                let idx = self.or()?;
                self.expect("]")?;
                v = match (&v, &idx) {
                    (GoValue::Seq(a), GoValue::Int(n)) => usize::try_from(*n)
                        .ok()
                        .and_then(|n| a.get(n).cloned())
                        .unwrap_or(GoValue::Nil),
                    (GoValue::Seq(a), GoValue::Float(f)) if *f >= 0.0 => {
                        a.get(*f as usize).cloned().unwrap_or(GoValue::Nil)
                    }
                    (_, GoValue::Str(k)) => property(&v, k),
                    _ => GoValue::Nil,
                };
            } else {
                return Ok(v);
            }
        }
    }

    fn call(&mut self, name: &str) -> Result<GoValue, Fail> {
        self.expect("(")?;
        let mut args = Vec::new();
        if !self.peek_punct(")") {
            loop {
                args.push(self.or()?);
                if self.peek_punct(",") {
                    self.i += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(")")?;
        match name.to_ascii_lowercase().as_str() {
            "format" => format_fn(&args),
            _ => Err(format!("calls {name}(), which driftgate does not evaluate").into()),
        }
    }
}

/// Property access is case-insensitive in the expression language (`strings.EqualFold`).
fn property(v: &GoValue, key: &str) -> GoValue {
    match v {
        GoValue::Map(m) => m
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.clone())
            .unwrap_or(GoValue::Nil),
        _ => GoValue::Nil,
    }
}

fn as_number(v: &GoValue) -> Option<f64> {
    match v {
        GoValue::Int(i) => Some(*i as f64),
        GoValue::Uint(u) => Some(*u as f64),
        GoValue::Float(f) => Some(*f),
        _ => None,
    }
}

fn loose_eq(a: &GoValue, b: &GoValue) -> bool {
    match (a, b) {
        (GoValue::Str(x), GoValue::Str(y)) => x.eq_ignore_ascii_case(y),
        (GoValue::Nil, GoValue::Nil) => true,
        (GoValue::Bool(x), GoValue::Bool(y)) => x == y,
        _ => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
    }
}

fn format_fn(args: &[GoValue]) -> Result<GoValue, Fail> {
    let Some(GoValue::Str(fmt)) = args.first() else {
        return Err("calls format() without a string".into());
    };
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        match c {
            '{' if chars.get(i + 1) == Some(&'{') => {
                out.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                out.push('}');
                i += 2;
            }
            '{' => {
                let end = chars[i..]
                    .iter()
                    .position(|c| *c == '}')
                    .ok_or("has an unclosed format placeholder")?;
                let idx: String = chars[i + 1..i + end].iter().collect();
                let n: usize = idx
                    .trim()
                    .parse()
                    .map_err(|_| "has a bad format placeholder")?;
                let arg = n
                    .checked_add(1)
                    .and_then(|k| args.get(k))
                    .ok_or("has a format placeholder without argument")?;
                out.push_str(&coerce_to_string(arg));
                i += end + 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
        if out.len() > MAX_OUTPUT {
            return Err(capped(format!(
                "format() produces more than {MAX_OUTPUT} bytes (driftgate's cap)"
            )));
        }
    }
    Ok(GoValue::Str(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::go::GoValue;

    fn leg(pairs: &[(&str, GoValue)]) -> Leg {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    fn env(l: &Leg) -> Env<'_> {
        Env {
            matrix: l,
            empty: &["github", "inputs"],
        }
    }

    #[test]
    fn the_template_is_the_escaped_name_up_to_the_first_unknown_part() {
        let l = leg(&[("os", GoValue::Str("lin*ux".into()))]);
        let e = interpolate(
            "a[${{ matrix.os }}] ${{ vars.suffix }} ${{ matrix.os }}",
            env(&l),
        )
        .expect_err("vars are known only at run time");
        assert_eq!(e.template, "a\\[lin\\*ux\\] * lin\\*ux");
        assert!(!e.capped);
        // The cap counts the template too: 40,000 `*` are 80,000 bytes once escaped.
        let name = format!("{} ${{{{ matrix.os }}}}", "*".repeat(40_000));
        let e = interpolate(&name, env(&l)).expect_err("over the cap");
        assert!(e.capped, "{}", e.reason);
        assert!(e.reason.contains("grows past"), "{}", e.reason);
        // It stops at the literal that crossed the cap, before the expression after it.
        let want = glob_escape(&format!("{} ", "*".repeat(40_000)));
        assert!(e.template == want, "template of {} bytes", e.template.len());
        // Under the cap the same kind of name resolves.
        let name = format!("{} ${{{{ matrix.os }}}}", "*".repeat(1_000));
        assert_eq!(
            interpolate(&name, env(&l)),
            Ok(format!("{} lin*ux", "*".repeat(1_000)))
        );
    }

    /// Found by the `expr` fuzz target: a `${{` without any `}}` is no expression for either
    /// forge (act's `rewriteSubExpression` returns such a text unchanged), so it is kept as
    /// written rather than reported unresolved.
    #[test]
    fn an_unclosed_opening_without_closing_is_plain_text() {
        let l = leg(&[]);
        assert_eq!(
            interpolate("half ${{ matrix.os", env(&l)),
            Ok("half ${{ matrix.os".into())
        );
        assert!(interpolate("x ${{ 'a }}", env(&l)).is_err());
    }

    #[test]
    fn matrix_references_and_format_resolve_as_coerce_to_string_prints() {
        let l = leg(&[
            ("os", GoValue::Str("debian".into())),
            (
                "cacher",
                GoValue::Map(vec![("name".into(), GoValue::Str("redis".into()))]),
            ),
            ("py", GoValue::Float(3.1)),
            ("big", GoValue::Float(1e6)),
            ("pi", GoValue::Float(std::f64::consts::PI)),
            ("n", GoValue::Int(2)),
        ]);
        let e = env(&l);
        assert_eq!(
            interpolate("build (${{ matrix.os }})", e),
            Ok("build (debian)".into())
        );
        assert_eq!(
            interpolate(
                "${{ format('test-remote-cacher ({0})', matrix.cacher.name) }}",
                e
            ),
            Ok("test-remote-cacher (redis)".into())
        );
        assert_eq!(
            interpolate("py${{matrix.py}}-${{ matrix.n }}", e),
            Ok("py3.1-2".into())
        );
        assert_eq!(interpolate("${{ matrix.big }}", e), Ok("1000000".into()));
        assert_eq!(
            interpolate("${{ matrix.pi }}", e),
            Ok("3.14159265358979".into())
        );
        assert_eq!(interpolate("${{ matrix.cacher }}", e), Ok("Object".into()));
        assert_eq!(
            interpolate("${{ matrix.missing || 'dflt' }}", e),
            Ok("dflt".into())
        );
        assert_eq!(
            interpolate("x ${{ matrix['OS'] }}", e),
            Ok("x debian".into())
        );
        assert_eq!(interpolate("${{ matrix.missing }}", e), Ok("".into()));
        // An empty context reads as null.
        assert_eq!(interpolate("a${{ github.ref_name }}b", e), Ok("ab".into()));
        // A `}}` inside a quoted string does not end the expression.
        assert_eq!(
            interpolate("${{ format('}}{0}', 'x') }}", e),
            Ok("}x".into())
        );
        assert_eq!(
            interpolate("${{ 1.5 }} ${{ 2 }} ${{ 1e3 }}", e),
            Ok("1.5 2 1000".into())
        );
    }

    #[test]
    fn run_time_contexts_are_unresolved_with_a_glob_template() {
        let l = leg(&[("os", GoValue::Str("a".into()))]);
        let u = interpolate("deploy ${{ vars.target }} (${{ matrix.os }})", env(&l))
            .expect_err("run time");
        assert_eq!(u.template, "deploy * (a)");
        assert!(u.reason.contains("vars"), "{}", u.reason);
        let u = interpolate("[x] ${{ toJSON(matrix) }}", env(&l)).expect_err("unknown fn");
        assert_eq!(u.template, "\\[x\\] *");
        let u = interpolate("a }} ${{ b", env(&l)).expect_err("unclosed");
        assert!(u.reason.contains("unclosed"), "{}", u.reason);
    }
}
