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
    Template::new(text).render(env)
}

/// A text split into literals and expressions, each expression lexed once: a job's name is
/// rendered for every matrix leg, and lexing it again per leg was a third of naming.
pub struct Template<'a> {
    text: &'a str,
    parts: Compiled<'a>,
}

enum Compiled<'a> {
    /// No `${{ … }}`: the text as it is.
    Plain,
    /// An unclosed `${{` or string.
    Unsplit,
    Parts(Vec<Piece<'a>>),
}

enum Piece<'a> {
    Literal(&'a str),
    Expr {
        src: &'a str,
        tokens: Result<Vec<Tok>, Fail>,
    },
}

impl<'a> Template<'a> {
    pub fn new(text: &'a str) -> Template<'a> {
        let parts = if !contains_expression(text) {
            Compiled::Plain
        } else {
            match split(text) {
                None => Compiled::Unsplit,
                Some(parts) => Compiled::Parts(
                    parts
                        .into_iter()
                        .map(|p| match p {
                            Part::Literal(l) => Piece::Literal(l),
                            Part::Expr(src) => Piece::Expr {
                                src,
                                tokens: tokens(src),
                            },
                        })
                        .collect(),
                ),
            }
        };
        Template { text, parts }
    }

    /// Whether the forges interpolate this text at all (it holds `${{` and `}}`).
    pub fn has_expression(&self) -> bool {
        !matches!(self.parts, Compiled::Plain)
    }

    pub fn render(&self, env: Env) -> Result<String, Unresolved> {
        let parts = match &self.parts {
            Compiled::Plain => return Ok(self.text.to_string()),
            Compiled::Unsplit => {
                return Err(Unresolved {
                    template: unknown_template(self.text),
                    reason: "has an unclosed `${{` or string, which makes the forge's expression rewriter fail"
                        .into(),
                    capped: false,
                });
            }
            Compiled::Parts(parts) => parts,
        };
        let mut out = String::with_capacity(self.text.len());
        // Until a segment fails, the template is `glob_escape(&out)` (escaping goes character
        // by character), so most names, which resolve, never build it; its length is kept for
        // the cap.
        let mut template: Option<String> = None;
        let mut template_len = 0;
        let mut reason: Option<Fail> = None;
        for part in parts {
            let value = match part {
                Piece::Literal(l) => Ok(Cow::Borrowed(*l)),
                Piece::Expr { src, tokens } => tokens
                    .as_ref()
                    .map_err(Fail::clone)
                    .and_then(|t| eval_tokens(t, env))
                    .map(|v| Cow::Owned(coerce_to_string(&v)))
                    .map_err(|f| (*src, f)),
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
        GoValue::Float(f) => *f != 0.0 && !f.is_nan(),
        GoValue::Str(s) => !s.is_empty(),
        GoValue::Seq(_) | GoValue::Map(_) => true,
        // act's `IsTruthy` has no case for `uint64` or a struct such as `time.Time`: false.
        GoValue::Uint(_) | GoValue::Time(_) => false,
    }
}

/// An expression's tokens, or why it cannot be evaluated whatever the leg.
fn tokens(src: &str) -> Result<Vec<Tok>, Fail> {
    if src.len() > MAX_SOURCE {
        return Err(capped(format!(
            "is longer than {MAX_SOURCE} bytes (driftgate's cap)"
        )));
    }
    Ok(lex(src)?)
}

fn eval_tokens(tokens: &[Tok], env: Env) -> Result<GoValue, Fail> {
    let mut p = Parser {
        t: tokens,
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
        // actionlint's lexer (act's): whitespace and identifiers are ASCII only; any other
        // character outside a string is a lexing error there, so it is one here too.
        if matches!(c, ' ' | '\n' | '\r' | '\t') {
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
            while chars.get(i).is_some_and(|c| {
                c.is_ascii_alphanumeric()
                    || *c == '.'
                    || (*c == '-' && matches!(chars.get(i - 1), Some('e' | 'E')))
            }) {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push(
                number(&text)
                    .ok_or_else(|| format!("has a number driftgate cannot read ({text})"))?,
            );
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while chars
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
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

/// A number as actionlint lexes it (`lexNum`) and parses it (`parseInt`: `strconv.ParseInt(v, 0,
/// 32)`; `parseFloat`: `ParseFloat(v, 64)`), or `None` where act's parser fails or where its
/// versions may differ (a leading zero in an exponent, an underflow to zero): `07`, `1.`,
/// `3000000000` and `1e400` are errors there, not numbers.
fn number(text: &str) -> Option<Tok> {
    let b = text.as_bytes();
    let rest = b.strip_prefix(b"-").unwrap_or(b);
    let negative = rest.len() != b.len();
    if let Some(hex) = rest.strip_prefix(b"0x") {
        if hex.is_empty() || hex.len() > 16 || !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        let v = i64::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?;
        let v = if negative { -v } else { v };
        return i32::try_from(v).ok().map(|v| Tok::Int(v.into()));
    }
    let digits = |from: usize| {
        rest.get(from..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let whole = digits(0);
    if whole == 0 || (whole > 1 && rest.first() == Some(&b'0')) {
        return None;
    }
    let mut end = whole;
    let mut float = false;
    if rest.get(end) == Some(&b'.') {
        let fraction = digits(end + 1);
        if fraction == 0 {
            return None;
        }
        end += 1 + fraction;
        float = true;
    }
    let mantissa = end;
    if matches!(rest.get(end), Some(b'e' | b'E')) {
        let mut at = end + 1;
        if rest.get(at) == Some(&b'-') {
            at += 1;
        }
        let exponent = digits(at);
        if exponent == 0 || (exponent > 1 && rest.get(at) == Some(&b'0')) {
            return None;
        }
        end = at + exponent;
        float = true;
    }
    if end != rest.len() {
        return None;
    }
    if float {
        let f: f64 = text.parse().ok()?;
        let underflow = f == 0.0
            && rest
                .get(..mantissa)
                .is_some_and(|m| m.iter().any(|c| c.is_ascii_digit() && *c != b'0'));
        (f.is_finite() && !underflow).then_some(Tok::Float(f))
    } else {
        let v: i64 = text.parse().ok()?;
        i32::try_from(v).ok().map(|v| Tok::Int(v.into()))
    }
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
                let eq = loose_eq(&l, &r)?;
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
                        let v = lookup(self.env.matrix.iter().map(|(k, v)| (k.as_str(), v)), key)?;
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
                v = property(&v, &key)?;
            } else if self.peek_punct("[") {
                self.i += 1;
                let idx = self.or()?;
                self.expect("]")?;
                v = match (&v, &idx) {
                    (GoValue::Seq(a), GoValue::Int(n)) => usize::try_from(*n)
                        .ok()
                        .and_then(|n| a.get(n).cloned())
                        .unwrap_or(GoValue::Nil),
                    (_, GoValue::Str(k)) => property(&v, k)?,
                    // Only an `int` indexes a list (`evaluateIndexAccess`): `[1.0]` is null.
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

/// Property access on a map (`getPropertyValue`).
fn property(v: &GoValue, key: &str) -> Result<GoValue, Fail> {
    match v {
        GoValue::Map(m) => lookup(m.iter().map(|(k, v)| (k.as_str(), v)), key),
        // A `time.Time` is a struct to act: its fields are looked up by name (`""` when none
        // matches, a panic on an unexported one).
        GoValue::Time(_) => Err(format!("reads `{key}` of a timestamp").into()),
        // A list gives the list of its items' values for `key` (act's `reflect.Slice` case).
        GoValue::Seq(items) => items
            .iter()
            .map(|item| property(item, key))
            .collect::<Result<Vec<_>, _>>()
            .map(GoValue::Seq),
        _ => Ok(GoValue::Nil),
    }
}

/// A map's value for `key` as act's `getPropertyValue` finds it: it ranges over the Go map (in
/// random order) and returns the first key `strings.EqualFold` to `key`, with no exact match
/// first (gitea/act v0.261.7 `pkg/exprparser/interpreter.go` L281-298; the same in the Forgejo
/// runner's `act/exprparser`). Several such keys with different values (`os` and `OS`) make the
/// answer random, and a key that folding might match cannot be told here: both fail.
fn lookup<'v>(
    entries: impl Iterator<Item = (&'v str, &'v GoValue)>,
    key: &str,
) -> Result<GoValue, Fail> {
    let mut found: Option<(&str, &GoValue)> = None;
    for (k, v) in entries {
        match fold_eq(k, key) {
            Some(false) => {}
            Some(true) => match found {
                Some((first, w)) if w != v => {
                    return Err(format!(
                        "reads `{key}`, which matches the keys `{first}` and `{k}` alike: the forge takes either at random"
                    )
                    .into());
                }
                Some(_) => {}
                None => found = Some((k, v)),
            },
            None => {
                return Err(format!(
                    "reads `{key}` beside the key `{k}`, which Go's case folding may match: driftgate cannot tell"
                )
                .into());
            }
        }
    }
    Ok(found.map_or(GoValue::Nil, |(_, v)| v.clone()))
}

/// Go's `strings.EqualFold(a, b)`, or `None` where only Go's Unicode tables could tell.
/// Folding pairs runes one by one. The only ASCII letters whose fold orbit holds a non-ASCII
/// rune are `k` (KELVIN SIGN U+212A) and `s` (LATIN SMALL LETTER LONG S U+017F).
fn fold_eq(a: &str, b: &str) -> Option<bool> {
    rune_pairs(a, b, |x, y| {
        ascii_caseless(x, y, &[('k', '\u{212A}'), ('s', '\u{017F}')])
    })
}

/// Go's `strings.ToLower(a) == strings.ToLower(b)` (act compares strings so: `compareValues`,
/// L366), or `None` where only Go's Unicode tables could tell. `unicode.ToLower` maps rune to
/// rune; the only non-ASCII runes it maps to ASCII are KELVIN SIGN (to `k`) and LATIN CAPITAL
/// LETTER I WITH DOT ABOVE U+0130 (to `i`).
fn lower_eq(a: &str, b: &str) -> Option<bool> {
    rune_pairs(a, b, |x, y| {
        ascii_caseless(x, y, &[('k', '\u{212A}'), ('i', '\u{0130}')])
    })
}

/// Two different runes alike without regard to ASCII case, where `crossings` are the only
/// non-ASCII runes that match an ASCII letter (given lower-case); two non-ASCII runes are left
/// undecided.
fn ascii_caseless(x: char, y: char, crossings: &[(char, char)]) -> Option<bool> {
    match (x.is_ascii(), y.is_ascii()) {
        (true, true) => Some(x.eq_ignore_ascii_case(&y)),
        (false, false) => None,
        _ => {
            let (ascii, other) = if x.is_ascii() { (x, y) } else { (y, x) };
            Some(crossings.contains(&(ascii.to_ascii_lowercase(), other)))
        }
    }
}

/// Whether `a` and `b` are equal rune by rune under `same` (`None`: undecided); texts of a
/// different rune count never are. Equal runes are always the same.
fn rune_pairs(a: &str, b: &str, same: impl Fn(char, char) -> Option<bool>) -> Option<bool> {
    if a == b {
        return Some(true);
    }
    if a.chars().count() != b.chars().count() {
        return Some(false);
    }
    let mut undecided = false;
    for (x, y) in a.chars().zip(b.chars()) {
        if x == y {
            continue;
        }
        match same(x, y) {
            Some(true) => {}
            Some(false) => return Some(false),
            None => undecided = true,
        }
    }
    if undecided { None } else { Some(true) }
}

/// `==` as act's `compareValues` decides it (gitea/act v0.261.7 `pkg/exprparser/interpreter.go`
/// L352-393; the same in the Forgejo runner): operands of one kind compare as that kind
/// (strings lower-cased, booleans and numbers as numbers, two nulls equal, anything else an
/// evaluation error); `int` and `float64` compare as numbers; operands of different kinds are
/// both coerced to numbers first (`coerceToNumber`), where a NaN equals nothing.
fn loose_eq(a: &GoValue, b: &GoValue) -> Result<bool, Fail> {
    use GoValue as V;
    match (a, b) {
        (V::Str(x), V::Str(y)) => lower_eq(x, y).ok_or_else(|| {
            Fail::from(format!(
                "compares `{x}` with `{y}`, which Go's lower-casing may make equal: driftgate cannot tell"
            ))
        }),
        (V::Nil, V::Nil) => Ok(true),
        (V::Bool(x), V::Bool(y)) => Ok(x == y),
        // Two ints too compare as `float64` (`compareNumber`): past 2^53 neighbours are equal.
        (V::Int(_) | V::Float(_), V::Int(_) | V::Float(_)) => {
            Ok(go_number(a).unwrap_or(f64::NAN) == go_number(b).unwrap_or(f64::NAN))
        }
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            Err("compares two values act cannot compare (lists, maps, timestamps or uint64s)".into())
        }
        _ => match (go_number(a), go_number(b)) {
            (Some(x), Some(y)) => Ok(x == y),
            // NaN on one side: unequal, whatever the other side would have been.
            (Some(n), None) | (None, Some(n)) if n.is_nan() => Ok(false),
            _ => Err("compares a text with a value of another kind, and act reads that text as an expression of its own: driftgate cannot tell".into()),
        },
    }
}

/// act's `coerceToNumber`, or `None` for a text only act's own evaluation of it could turn into
/// a number. A text is evaluated as an expression there (`"0x10"` is 16, `"matrix.x"` reads the
/// matrix); read here: the empty text (0), a number literal alone, and a lone identifier other
/// than `Infinity` (an unknown context, a context object or a literal: never a number).
fn go_number(v: &GoValue) -> Option<f64> {
    use GoValue as V;
    match v {
        V::Nil => Some(0.0),
        V::Bool(b) => Some(f64::from(u8::from(*b))),
        V::Int(i) => Some(*i as f64),
        V::Float(f) => Some(*f),
        V::Str(s) if s.is_empty() => Some(0.0),
        V::Str(s) => match lex(s).as_deref() {
            Ok([Tok::Int(i)]) => Some(*i as f64),
            Ok([Tok::Float(f)]) => Some(*f),
            Ok([Tok::Ident(id)]) if !id.eq_ignore_ascii_case("infinity") => Some(f64::NAN),
            _ => None,
        },
        // `uint64`, `time.Time`, lists and maps are not numbers to act.
        V::Uint(_) | V::Time(_) | V::Seq(_) | V::Map(_) => Some(f64::NAN),
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

    /// Property lookup is act's `getPropertyValue` (gitea/act v0.261.7
    /// `pkg/exprparser/interpreter.go` L247-315, the same in the Forgejo runner's
    /// `act/exprparser`): the first key of a Go map, in random order, that `strings.EqualFold`
    /// matches. Two keys that match alike with different values have no one answer, and a
    /// non-ASCII key only Go's Unicode tables could compare is not guessed.
    #[test]
    fn keys_are_matched_as_go_folds_them_and_ambiguity_is_unresolved() {
        let s = |x: &str| GoValue::Str(x.into());
        let l = leg(&[("OS", s("upper")), ("os", s("lower"))]);
        for name in [
            "${{ matrix.os }}",
            "${{ matrix.OS }}",
            "${{ matrix['Os'] }}",
            "${{ format('{0}', matrix.os) }}",
        ] {
            let u = interpolate(name, env(&l)).expect_err("either key, at random");
            assert!(u.reason.contains("at random"), "{name}: {}", u.reason);
        }
        // The same value under both keys is one answer; no key at all is null.
        let l = leg(&[("OS", s("same")), ("os", s("same"))]);
        assert_eq!(interpolate("${{ matrix.Os }}", env(&l)), Ok("same".into()));
        assert_eq!(interpolate("${{ matrix.arch }}", env(&l)), Ok("".into()));
        // KELVIN SIGN and LONG S fold to ASCII letters; other non-ASCII letters to none of them.
        let l = leg(&[
            ("\u{212A}ey", s("kelvin")),
            ("o\u{017F}", s("long-s")),
            ("caf\u{e9}", s("cafe")),
        ]);
        let e = env(&l);
        assert_eq!(interpolate("${{ matrix.key }}", e), Ok("kelvin".into()));
        assert_eq!(interpolate("${{ matrix.OS }}", e), Ok("long-s".into()));
        assert_eq!(interpolate("${{ matrix.cafe }}", e), Ok("".into()));
        assert_eq!(
            interpolate("${{ matrix['caf\u{e9}'] }}", e),
            Ok("cafe".into())
        );
        // É against é: only Go's tables decide.
        let u = interpolate("${{ matrix['CAF\u{c9}'] }}", e).expect_err("not guessed");
        assert!(u.reason.contains("case folding"), "{}", u.reason);
        // A list answers the list of its items' values (act's `reflect.Slice` case).
        let l = leg(&[(
            "db",
            GoValue::Seq(vec![
                GoValue::Map(vec![("name".into(), s("pg"))]),
                s("plain"),
            ]),
        )]);
        assert_eq!(
            interpolate("${{ matrix.db.name }}", env(&l)),
            Ok("Array".into())
        );
        assert_eq!(
            interpolate(
                "${{ matrix.db.name[0] }}-${{ matrix.db.name[1] == null }}",
                env(&l)
            ),
            Ok("pg-true".into())
        );
        // Only an `int` indexes a list: `[1.0]` is null (`evaluateIndexAccess`).
        assert_eq!(interpolate("${{ matrix.db[1.0] }}", env(&l)), Ok("".into()));
        assert_eq!(
            interpolate("${{ matrix.db[1] }}", env(&l)),
            Ok("plain".into())
        );
    }

    /// Identifiers and whitespace are ASCII in actionlint's lexer, which act parses with:
    /// anything else outside a string is a lexing error, never a name.
    #[test]
    fn non_ascii_identifiers_do_not_lex() {
        let l = leg(&[("caf\u{e9}", GoValue::Str("x".into()))]);
        assert!(interpolate("${{ matrix.caf\u{e9} }}", env(&l)).is_err());
        assert!(interpolate("${{ matrix.os\u{a0}== 'x' }}", env(&l)).is_err());
    }

    /// `==` is act's `compareValues` (L352-393): strings compare lower-cased with Go's
    /// `strings.ToLower`, other kinds meet as numbers (`coerceToNumber`), where a text is read
    /// as an expression of its own.
    #[test]
    fn comparisons_follow_compare_values() {
        let l = leg(&[
            ("os", GoValue::Str("Linux".into())),
            ("v", GoValue::Str("18".into())),
            ("n", GoValue::Int(18)),
            ("f", GoValue::Float(18.0)),
            ("yes", GoValue::Bool(true)),
            ("big", GoValue::Uint(u64::MAX)),
            ("list", GoValue::Seq(vec![])),
        ]);
        let e = env(&l);
        let is = |x: &str| interpolate(&format!("${{{{ {x} }}}}"), e);
        for (expr, want) in [
            ("matrix.os == 'LINUX'", "true"),
            ("matrix.os != 'linux'", "false"),
            ("matrix.v == 18", "true"),
            ("matrix.n == matrix.f", "true"),
            ("matrix.missing == ''", "true"),
            ("matrix.missing == 0", "true"),
            ("matrix.missing == false", "true"),
            ("matrix.yes == 1", "true"),
            ("matrix.yes == 'true'", "false"),
            ("matrix.missing == 'ubuntu-latest'", "false"),
            // act reads the text as an expression: `0x12` is 18.
            ("matrix.n == '0x12'", "true"),
            ("matrix.list == 0", "false"),
            ("matrix.big == 'x' || 'no'", "no"),
            // `uint64` and timestamps are never truthy to act.
            ("matrix.big && 'yes' || 'no'", "no"),
            // KELVIN SIGN lower-cases to `k`; LONG S stays itself (not `s`, as folding has it).
            ("'\u{212A}' == 'K'", "true"),
            ("'\u{017F}' == 's'", "false"),
        ] {
            assert_eq!(is(expr), Ok(want.into()), "{expr}");
        }
        // Two ints meet as `float64`: 2^53 + 1 equals 2^53.
        let l = leg(&[
            ("h", GoValue::Int(9_007_199_254_740_993)),
            ("h2", GoValue::Int(9_007_199_254_740_992)),
        ]);
        assert_eq!(
            interpolate("${{ matrix.h == matrix.h2 }}", env(&l)),
            Ok("true".into())
        );
        for expr in [
            // act evaluates these texts as expressions (a context, a function) to compare them.
            "matrix.missing == 'matrix.n'",
            "matrix.n == 'fromJSON(18)'",
            // Texts act's parser refuses (NaN there, so unequal) are not read as numbers here:
            // actionlint lexes no leading zero or bare `.`, `ParseInt(v, 0, 32)` stops at int32.
            "matrix.n == '018'",
            "matrix.n == '18.'",
            "matrix.missing == '00'",
            "matrix.n == '3000000000'",
            // Lists, maps and uint64s of one kind do not compare in act: an evaluation error.
            "matrix.list == matrix.list",
            "matrix.big == matrix.big",
            // Go's tables decide whether these lower-case alike.
            "'\u{c9}' == '\u{e9}'",
        ] {
            assert!(is(expr).is_err(), "{expr}: {:?}", is(expr));
        }
    }

    /// Number literals as actionlint lexes them (`lexNum`) and act's parser reads them
    /// (`ParseInt(v, 0, 32)`, `ParseFloat(v, 64)`); what either refuses is no number here.
    #[test]
    fn number_literals_follow_actionlint() {
        let l = leg(&[]);
        let e = env(&l);
        for (src, want) in [
            ("0x1F", "31"),
            ("-0x10", "-16"),
            ("2147483647", "2147483647"),
            ("-2147483648", "-2147483648"),
            ("1e-2", "0.01"),
            ("1.5E3", "1500"),
            ("0", "0"),
            ("0.5", "0.5"),
        ] {
            assert_eq!(
                interpolate(&format!("${{{{ {src} }}}}"), e),
                Ok(want.into()),
                "{src}"
            );
        }
        for src in [
            "07",
            "1.",
            "2147483648",
            "0x",
            "0X1F",
            "1e400",
            "1e05",
            "1e",
            "1x",
            ".5",
        ] {
            assert!(
                interpolate(&format!("${{{{ {src} }}}}"), e).is_err(),
                "{src}"
            );
        }
    }
}
