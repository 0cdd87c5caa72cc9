//! Required-context patterns as the forges match them (`services/pull/commit_status.go`:
//! `glob.Compile(pattern)` of gobwas/glob without separators): `*` any text (`/` included), `?`
//! one character, `[…]` / `[!…]` classes with ranges, `{a,b}` alternatives (nested, empty ones
//! allowed), `\` escaping the next character; anchored at both ends.
//!
//! A small matcher of driftgate's own rather than a regex per pattern: thousands of patterns are
//! prepared in microseconds and take a few bytes each, and `RequiredSet` indexes them by their
//! literal prefix so a context is only tried against the patterns that can match it. Patterns
//! whose alternatives would expand past a cap fall back to a compiled `globset` matcher. The
//! `globset` crate (which reproduces gobwas's semantics) is the oracle of the tests.

use globset::{GlobBuilder, GlobMatcher};

/// Alternatives one pattern may expand to before it is compiled as a regex instead.
const MAX_ALTERNATIVES: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `*`: any text.
    Any,
    /// `?`: one character.
    One,
    /// `[…]`: one character in (or, negated, not in) the ranges.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// A prepared pattern.
#[derive(Debug, Clone)]
pub struct Glob(Prepared);

#[derive(Debug, Clone)]
enum Prepared {
    /// Every alternative as a flat token list.
    Alts(Vec<Vec<Tok>>),
    /// Too many alternatives to expand: a compiled matcher.
    Compiled(Box<GlobMatcher>),
}

/// A parsed piece before alternatives are expanded.
#[derive(Debug, Clone)]
enum Node {
    Tok(Tok),
    Alt(Vec<Vec<Node>>),
}

impl Glob {
    /// Prepares `text`, or says why the forge cannot compile it either.
    pub fn new(text: &str) -> Result<Glob, String> {
        // The oracle decides what is valid, so that driftgate refuses exactly what it refuses.
        let compiled = GlobBuilder::new(text)
            .literal_separator(false)
            .backslash_escape(true)
            .empty_alternates(true)
            .build()
            .map_err(|e| e.kind().to_string())?;
        let chars: Vec<char> = text.chars().collect();
        let mut pos = 0;
        let parsed = parse_seq(&chars, &mut pos, false);
        match parsed.and_then(|seq| expand(&seq)) {
            Some(alts) if pos == chars.len() => Ok(Glob(Prepared::Alts(alts))),
            _ => Ok(Glob(Prepared::Compiled(Box::new(
                compiled.compile_matcher(),
            )))),
        }
    }

    /// Whether the pattern matches the whole of `text`.
    pub fn matches(&self, text: &str) -> bool {
        match &self.0 {
            Prepared::Compiled(m) => m.is_match(text),
            Prepared::Alts(alts) => {
                let t: Vec<char> = text.chars().collect();
                alts.iter().any(|a| match_tokens(a, &t))
            }
        }
    }

    /// The literal text every match starts with (the shortest over the alternatives).
    pub fn prefix(&self) -> String {
        match &self.0 {
            Prepared::Compiled(_) => String::new(),
            Prepared::Alts(alts) => alts
                .iter()
                .map(|a| {
                    a.iter()
                        .map_while(|t| match t {
                            Tok::Lit(c) => Some(*c),
                            _ => None,
                        })
                        .collect::<String>()
                })
                .reduce(|a, b| common_prefix(&a, &b))
                .unwrap_or_default(),
        }
    }
}

fn common_prefix(a: &str, b: &str) -> String {
    a.chars()
        .zip(b.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect()
}

/// A sequence up to the end (or, inside braces, up to `,` or `}`). `None` where the text is not
/// what this parser models (the oracle's compiled matcher then decides).
fn parse_seq(c: &[char], pos: &mut usize, in_braces: bool) -> Option<Vec<Node>> {
    let mut out = Vec::new();
    while let Some(&ch) = c.get(*pos) {
        match ch {
            ',' | '}' if in_braces => return Some(out),
            '\\' => {
                let next = *c.get(*pos + 1)?;
                out.push(Node::Tok(Tok::Lit(next)));
                *pos += 2;
            }
            '*' => {
                if !matches!(out.last(), Some(Node::Tok(Tok::Any))) {
                    out.push(Node::Tok(Tok::Any));
                }
                *pos += 1;
            }
            '?' => {
                out.push(Node::Tok(Tok::One));
                *pos += 1;
            }
            '[' => {
                *pos += 1;
                let negated = matches!(c.get(*pos), Some('!') | Some('^'));
                if negated {
                    *pos += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let ch = *c.get(*pos)?;
                    if ch == ']' && !first {
                        *pos += 1;
                        break;
                    }
                    first = false;
                    let lo = if ch == '\\' {
                        *pos += 1;
                        *c.get(*pos)?
                    } else {
                        ch
                    };
                    *pos += 1;
                    if c.get(*pos) == Some(&'-') && c.get(*pos + 1).is_some_and(|n| *n != ']') {
                        let hi = *c.get(*pos + 1)?;
                        if hi == '\\' {
                            return None;
                        }
                        *pos += 2;
                        ranges.push((lo, hi));
                    } else {
                        ranges.push((lo, lo));
                    }
                }
                out.push(Node::Tok(Tok::Class { negated, ranges }));
            }
            '{' => {
                *pos += 1;
                let mut alts = Vec::new();
                loop {
                    alts.push(parse_seq(c, pos, true)?);
                    match c.get(*pos) {
                        Some(',') => *pos += 1,
                        Some('}') => {
                            *pos += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
                out.push(Node::Alt(alts));
            }
            ch => {
                out.push(Node::Tok(Tok::Lit(ch)));
                *pos += 1;
            }
        }
    }
    (!in_braces).then_some(out)
}

/// Every alternative as a flat token list, or `None` past [`MAX_ALTERNATIVES`].
fn expand(seq: &[Node]) -> Option<Vec<Vec<Tok>>> {
    let mut out: Vec<Vec<Tok>> = vec![Vec::new()];
    for node in seq {
        match node {
            Node::Tok(t) => {
                for o in &mut out {
                    if !(*t == Tok::Any && o.last() == Some(&Tok::Any)) {
                        o.push(t.clone());
                    }
                }
            }
            Node::Alt(alts) => {
                let mut choices = Vec::new();
                for a in alts {
                    choices.extend(expand(a)?);
                }
                if out.len().saturating_mul(choices.len()) > MAX_ALTERNATIVES {
                    return None;
                }
                let mut next = Vec::with_capacity(out.len() * choices.len());
                for o in &out {
                    for ch in &choices {
                        let mut v = o.clone();
                        for t in ch {
                            if !(*t == Tok::Any && v.last() == Some(&Tok::Any)) {
                                v.push(t.clone());
                            }
                        }
                        next.push(v);
                    }
                }
                out = next;
            }
        }
    }
    Some(out)
}

fn one(t: &Tok, ch: char) -> bool {
    match t {
        Tok::Lit(c) => *c == ch,
        Tok::One => true,
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(&ch)) != *negated
        }
        Tok::Any => false,
    }
}

/// Wildcard matching with one backtracking point per `*`: O(pattern × text).
fn match_tokens(p: &[Tok], t: &[char]) -> bool {
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Tok::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(tok) if one(tok, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    while matches!(p.get(pi), Some(Tok::Any)) {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oracle(p: &str, t: &str) -> Option<bool> {
        let g = GlobBuilder::new(p)
            .literal_separator(false)
            .backslash_escape(true)
            .empty_alternates(true)
            .build()
            .ok()?;
        Some(g.compile_matcher().is_match(t))
    }

    #[test]
    fn the_forges_examples() {
        let g = Glob::new("ci / test (*)").expect("glob");
        assert!(g.matches("ci / test (push)") && g.matches("ci / test (a/b)"));
        assert!(!g.matches("ci / test (push) x") && !g.matches("xci / test (push)"));
        assert_eq!(g.prefix(), "ci / test (");
        let g = Glob::new("{ci,build} / *").expect("glob");
        assert!(g.matches("build / a / b (push)"));
        assert_eq!(g.prefix(), "");
        assert!(
            Glob::new("ci / te?t \\(push\\)")
                .expect("g")
                .matches("ci / test (push)")
        );
        assert!(Glob::new("ci / [abc").is_err());
        assert!(Glob::new("x[!a-c]y").expect("g").matches("xdy"));
        assert!(!Glob::new("x[!a-c]y").expect("g").matches("xby"));
        assert!(Glob::new("a{,b}c").expect("g").matches("ac"));
    }

    /// gobwas/glob matches runes (`match/single.go`: `utf8.DecodeRuneInString`): `?` is one
    /// character however many bytes it takes, where globset's is one byte.
    #[test]
    fn one_character_is_one_rune() {
        assert!(Glob::new("-?").expect("g").matches("-é"));
        assert!(Glob::new("[é]x").expect("g").matches("éx"));
        assert!(!Glob::new("-?").expect("g").matches("-éé"));
    }

    /// Random patterns and texts over a small alphabet, compared with the oracle.
    #[test]
    fn agrees_with_the_oracle() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        // ASCII only: globset's `?` and classes match one byte, gobwas's one character (see
        // `one_character_is_one_rune`).
        let pat_alpha = [
            'a', 'b', '/', ' ', '*', '?', '[', ']', '!', '-', '{', '}', ',', '\\', '(', ')',
        ];
        let txt_alpha = ['a', 'b', '/', ' ', '(', ')', '-', ',', '!'];
        let mut checked = 0;
        for _ in 0..20_000 {
            let p: String = (0..next(9))
                .map(|_| pat_alpha[next(pat_alpha.len() as u64) as usize])
                .collect();
            let Ok(g) = Glob::new(&p) else {
                assert!(oracle(&p, "").is_none(), "{p:?}: the oracle compiles it");
                continue;
            };
            for _ in 0..8 {
                let t: String = (0..next(7))
                    .map(|_| txt_alpha[next(txt_alpha.len() as u64) as usize])
                    .collect();
                assert_eq!(
                    Some(g.matches(&t)),
                    oracle(&p, &t),
                    "pattern {p:?} text {t:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 50_000, "{checked}");
    }
}
