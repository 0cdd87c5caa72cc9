//! The closest emitted contexts for a required context nothing posts: the likely rename. Jaro–
//! Winkler on lower-cased text (it favours a shared prefix, which suits
//! `workflow / job (event)`), but only over a few candidates: the contexts of the orphan's own
//! workflow first, and otherwise those sharing the most uncommon trigrams with it. Thousands of
//! orphans against tens of thousands of contexts then cost milliseconds, not minutes.

use std::borrow::Cow;
use std::hash::BuildHasher;

use foldhash::{HashMap, HashMapExt};

/// strsim's `jaro_winkler`, with the same arithmetic in the same order (so the same `f64`), on
/// bytes when both texts are ASCII: strsim walks each candidate window from the start of the
/// other text's `chars()`, which made scoring 80% of a run with 1,600 orphans.
fn jaro_winkler(a: &str, b: &str) -> f64 {
    if !a.is_ascii() || !b.is_ascii() {
        return strsim::jaro_winkler(a, b);
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let sim = jaro(a, b);
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// strsim's `generic_jaro` over bytes, visiting only each byte's match window.
fn jaro(a: &[u8], b: &[u8]) -> f64 {
    let (a_len, b_len) = (a.len(), b.len());
    if a_len == 0 && b_len == 0 {
        return 1.0;
    } else if a_len == 0 || b_len == 0 {
        return 0.0;
    }
    let range = (a_len.max(b_len) / 2).saturating_sub(1);
    let mut a_flags = vec![false; a_len];
    let mut b_flags = vec![false; b_len];
    let mut matches = 0usize;
    for (i, x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = b_len.min(i + range + 1);
        for j in lo..hi {
            if b.get(j) == Some(x) && b_flags.get(j) == Some(&false) {
                if let Some(f) = a_flags.get_mut(i) {
                    *f = true;
                }
                if let Some(f) = b_flags.get_mut(j) {
                    *f = true;
                }
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut bs = b.iter().zip(&b_flags).filter(|(_, f)| **f).map(|(c, _)| c);
    for (x, _) in a.iter().zip(&a_flags).filter(|(_, f)| **f) {
        if bs.next().is_some_and(|y| y != x) {
            transpositions += 1;
        }
    }
    transpositions /= 2;
    ((matches as f64 / a_len as f64)
        + (matches as f64 / b_len as f64)
        + ((matches - transpositions) as f64 / matches as f64))
        / 3.0
}

/// Suggestions must look at least this close to the required context.
const SUGGEST_AT: f64 = 0.7;
/// Suggestions per orphan.
const SUGGESTIONS: usize = 3;
/// Candidates scored per orphan when its own workflow has none close enough.
const CANDIDATES: usize = 48;
/// An orphan's own workflow is scored whole up to this many contexts.
const OWN_SCORED: usize = 512;
/// A trigram found in more than this share of contexts says nothing about which is closest.
const COMMON: f64 = 0.05;

/// The emitted contexts, prepared once for every orphan.
pub struct Suggester<'a> {
    /// Distinct contexts in the order first given, with their lower-cased text (borrowed when
    /// the context has no capital letter, as most do). Ties between candidates go to the
    /// smaller context text ([`Suggester::before`]), so the order here decides nothing.
    contexts: Vec<(&'a str, Cow<'a, str>)>,
    /// Hash of the lower-cased workflow part → indices into `contexts` (compared in full when
    /// looked up).
    by_workflow: HashMap<u64, Vec<u32>>,
    hasher: foldhash::fast::RandomState,
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_lowercase())
    }
}

/// Which contexts hold each trigram of the orphans being looked up — only theirs: indexing
/// every trigram of 30,000 contexts cost more than all the suggestions.
struct Postings {
    /// The orphans' distinct trigrams, ascending.
    keys: Vec<u64>,
    /// Per key, the contexts holding it (empty when too common to tell contexts apart).
    lists: Vec<Vec<u32>>,
}

impl Postings {
    fn get(&self, t: u64) -> &[u32] {
        match self.keys.binary_search(&t) {
            Ok(k) => self.lists.get(k).map_or(&[], Vec::as_slice),
            Err(_) => &[],
        }
    }
}

/// Contexts past which the index's pass is split between two cores.
const SPLIT_INDEX: usize = 8192;

/// The postings of two consecutive ranges of contexts as one pass over both would leave them:
/// a list is dropped when either part dropped it (its count there already passed `common`) or
/// when the two together pass `common`.
fn merge_postings(
    first: (Vec<Vec<u32>>, Vec<bool>),
    second: (Vec<Vec<u32>>, Vec<bool>),
    common: usize,
) -> (Vec<Vec<u32>>, Vec<bool>) {
    let (mut lists, mut dropped) = first;
    for ((list, gone), (more, more_gone)) in lists
        .iter_mut()
        .zip(dropped.iter_mut())
        .zip(second.0.into_iter().zip(second.1))
    {
        *gone = *gone || more_gone || list.len() + more.len() > common;
        if !*gone {
            list.extend(more);
        }
    }
    (lists, dropped)
}

/// Words of the trigram prefilter: 2^16 bits, 8 KiB.
const BLOOM_WORDS: usize = 1024;

/// A trigram's bit in the prefilter (Fibonacci hashing to 16 bits).
fn bucket(t: u64) -> usize {
    (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as usize
}

/// Per-thread scratch for counting shared trigrams: a count per context, and which are set.
#[derive(Default)]
pub struct Scratch {
    counts: Vec<u32>,
    touched: Vec<u32>,
}

/// The workflow part of a context (before the last ` / ` that precedes the job part): a
/// workflow name may itself contain ` / `, so the job part is taken as the text after the last
/// separator.
fn workflow_part(lower: &str) -> &str {
    // The last ` / `, as `rsplit_once(" / ")` finds it, by a plain scan from the end: the
    // string searcher's setup cost more than the search for 36,000 short contexts.
    let b = lower.as_bytes();
    (0..b.len().saturating_sub(2))
        .rev()
        .find(|&i| b.get(i..i + 3) == Some(b" / "))
        .and_then(|i| lower.get(..i))
        .unwrap_or("")
}

/// Every trigram of characters in `lower`, packed 21 bits per character, in text order.
fn trigrams(lower: &str) -> Vec<u64> {
    let mut out = Vec::with_capacity(lower.len());
    for_each_trigram(lower, |t| out.push(t));
    out
}

/// Calls `f` with every trigram of `lower`, as [`trigrams`] lists them. This is the suggestion
/// index's inner loop (every context of a run): an ASCII text's characters are its bytes, which
/// need no decoding.
fn for_each_trigram(lower: &str, mut f: impl FnMut(u64)) {
    const MASK: u64 = (1u64 << 63) - 1;
    let mut window = 0u64;
    if lower.is_ascii() {
        for (n, c) in lower.bytes().enumerate() {
            window = ((window << 21) | u64::from(c)) & MASK;
            if n >= 2 {
                f(window);
            }
        }
    } else {
        for (n, c) in lower.chars().enumerate() {
            window = ((window << 21) | u64::from(c)) & MASK;
            if n >= 2 {
                f(window);
            }
        }
    }
}

fn trigrams_of(lower: &str) -> Vec<u64> {
    let mut out = trigrams(lower);
    out.sort_unstable();
    out.dedup();
    out
}

impl<'a> Suggester<'a> {
    pub fn new(contexts: impl IntoIterator<Item = &'a str>) -> Suggester<'a> {
        // Distinct by hashing, not by sorting 36,000 texts (the index's largest cost).
        let mut seen: foldhash::HashSet<&'a str> = foldhash::HashSet::default();
        let contexts: Vec<(&'a str, Cow<'a, str>)> = contexts
            .into_iter()
            .filter(|c| seen.insert(*c))
            .map(|c| (c, lower(c)))
            .collect();
        drop(seen);
        let hasher = foldhash::fast::RandomState::default();
        let mut by_workflow: HashMap<u64, Vec<u32>> = HashMap::new();
        for (i, (_, lower)) in contexts.iter().enumerate() {
            by_workflow
                .entry(hasher.hash_one(workflow_part(lower)))
                .or_default()
                .push(i as u32);
        }
        Suggester {
            contexts,
            by_workflow,
            hasher,
        }
    }

    /// The contexts of the workflow whose lower-cased part is `part`, ascending.
    fn own(&self, part: &str) -> Vec<u32> {
        self.by_workflow
            .get(&self.hasher.hash_one(part))
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .copied()
            .filter(|i| {
                self.contexts
                    .get(*i as usize)
                    .is_some_and(|(_, l)| workflow_part(l) == part)
            })
            .collect()
    }

    /// The postings of the trigrams of `wants` (lower-cased), in one pass over the contexts,
    /// split between two cores for a large run: it was the longest step of a 36,000-context
    /// run's findings, on one core while the other waited.
    fn index(&self, wants: &[String]) -> Postings {
        self.index_in(
            wants,
            self.contexts.len() >= SPLIT_INDEX && crate::cores::available() >= 2,
        )
    }

    /// [`Self::index`], its pass split in two halves (one on another thread) or not.
    fn index_in(&self, wants: &[String], split: bool) -> Postings {
        let mut keys: Vec<u64> = wants.iter().flat_map(|w| trigrams(w)).collect();
        keys.sort_unstable();
        keys.dedup();
        // A list past `common` is dropped as it grows, so memory stays at `common` per key.
        let common = ((self.contexts.len() as f64) * COMMON).max(16.0) as usize;
        // Most trigrams of the contexts are none of the orphans': a bit per hash bucket says so
        // without the binary search (a 2,000-context run looked up 70,000 trigrams for 2 orphans).
        let mut maybe = Box::new([0u64; BLOOM_WORDS]);
        for &t in &keys {
            let b = bucket(t);
            if let Some(w) = maybe.get_mut(b / 64) {
                *w |= 1 << (b % 64);
            }
        }
        let part = |range: std::ops::Range<usize>| self.postings_of(range, &keys, &maybe, common);
        let n = self.contexts.len();
        let (mut lists, mut dropped) = if !split {
            part(0..n)
        } else {
            let mid = n / 2;
            std::thread::scope(|scope| {
                let later = std::thread::Builder::new().spawn_scoped(scope, || part(mid..n));
                let first = part(0..mid);
                let second = match later {
                    Ok(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    Err(_) => part(mid..n),
                };
                merge_postings(first, second, common)
            })
        };
        for (list, gone) in lists.iter_mut().zip(dropped.iter_mut()) {
            if *gone {
                *list = Vec::new();
            }
        }
        Postings { keys, lists }
    }

    /// The postings of `keys` among the contexts in `range` (indices of the whole list), and
    /// which lists grew past `common` there (emptied).
    fn postings_of(
        &self,
        range: std::ops::Range<usize>,
        keys: &[u64],
        maybe: &[u64; BLOOM_WORDS],
        common: usize,
    ) -> (Vec<Vec<u32>>, Vec<bool>) {
        let mut lists: Vec<Vec<u32>> = vec![Vec::new(); keys.len()];
        let mut dropped = vec![false; keys.len()];
        let start = range.start;
        for (n, (_, lower)) in self
            .contexts
            .get(range)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let i = (start + n) as u32;
            for_each_trigram(lower, |t| {
                let b = bucket(t);
                if maybe.get(b / 64).is_none_or(|w| w & (1 << (b % 64)) == 0) {
                    return;
                }
                let Ok(k) = keys.binary_search(&t) else {
                    return;
                };
                if let (Some(list), Some(gone)) = (lists.get_mut(k), dropped.get_mut(k))
                    && !*gone
                    && list.last() != Some(&i)
                {
                    list.push(i);
                    if list.len() > common {
                        *list = Vec::new();
                        *gone = true;
                    }
                }
            });
        }
        (lists, dropped)
    }

    /// The closest contexts to `required`, best first; the orphan's own workflow's contexts come
    /// before others that score alike.
    pub fn suggest(&self, required: &str) -> Vec<String> {
        let want = required.to_lowercase();
        let idx = self.index(std::slice::from_ref(&want));
        self.suggest_with(&want, &idx, &mut Scratch::default())
    }

    /// `want` is the orphan lower-cased; `idx` holds its trigrams.
    fn suggest_with(&self, want: &str, idx: &Postings, scratch: &mut Scratch) -> Vec<String> {
        let own = self.own(workflow_part(want));
        let own = own.as_slice();
        // (score, candidate rank, index): equal scores go to the candidate sharing more
        // uncommon trigrams, then to the first in sorted order. A workflow of many contexts is
        // not scored whole: its contexts among the candidates still come first.
        let whole_own = own.len() <= OWN_SCORED;
        let mut scored: Vec<(f64, usize, u32)> = if whole_own {
            own.iter()
                .map(|i| (self.score(want, *i), 0, *i))
                .filter(|(s, _, _)| *s >= SUGGEST_AT)
                .collect()
        } else {
            Vec::new()
        };
        if !whole_own || scored.len() < SUGGESTIONS {
            for (rank, i) in self.candidates(want, idx, scratch).into_iter().enumerate() {
                // `own` is ascending (indices pushed in order).
                let in_own = own.binary_search(&i).is_ok();
                if in_own && whole_own {
                    continue;
                }
                let s = self.score(want, i);
                if s >= SUGGEST_AT {
                    // Other workflows' contexts rank after the own workflow's.
                    scored.push((if in_own { s } else { s - 1.0 }, rank, i));
                }
            }
        }
        scored.sort_by(|x, y| {
            y.0.total_cmp(&x.0)
                .then(x.1.cmp(&y.1))
                .then_with(|| self.before(x.2, y.2))
        });
        scored
            .into_iter()
            .take(SUGGESTIONS)
            .filter_map(|(_, _, i)| self.contexts.get(i as usize))
            .map(|(c, _)| c.to_string())
            .collect()
    }

    /// The order of two contexts by their text: the tie-break between candidates alike.
    fn before(&self, a: u32, b: u32) -> std::cmp::Ordering {
        let text = |i: u32| self.contexts.get(i as usize).map(|(c, _)| *c);
        text(a).cmp(&text(b))
    }

    fn score(&self, want: &str, i: u32) -> f64 {
        self.contexts
            .get(i as usize)
            .map_or(0.0, |(_, lower)| jaro_winkler(want, lower))
    }

    /// The contexts sharing the most uncommon trigrams with `want`, at most [`CANDIDATES`].
    fn candidates(&self, want: &str, idx: &Postings, scratch: &mut Scratch) -> Vec<u32> {
        let Scratch { counts, touched } = scratch;
        counts.resize(self.contexts.len(), 0);
        for t in trigrams_of(want) {
            for &i in idx.get(t) {
                if let Some(c) = counts.get_mut(i as usize) {
                    if *c == 0 {
                        touched.push(i);
                    }
                    *c += 1;
                }
            }
        }
        let mut ranked: Vec<(u32, u32)> = touched
            .drain(..)
            .map(|i| {
                let c = counts.get_mut(i as usize).map_or(0, std::mem::take);
                (i, c)
            })
            .collect();
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| self.before(a.0, b.0)));
        ranked.truncate(CANDIDATES);
        ranked.into_iter().map(|(i, _)| i).collect()
    }
}

/// Suggestions for many orphans, spread over the cores when there are many.
pub fn suggest_all(s: &Suggester, orphans: &[&str]) -> Vec<Vec<String>> {
    let wants: Vec<String> = orphans.iter().map(|o| o.to_lowercase()).collect();
    let idx = s.index(&wants);
    suggest_with_index(s, &wants, &idx)
}

/// Orphans suggested for on one thread at a time below this many.
const ORPHANS_PER_THREAD: usize = 32;

fn suggest_with_index(s: &Suggester, wants: &[String], idx: &Postings) -> Vec<Vec<String>> {
    crate::cores::map_parts(wants, ORPHANS_PER_THREAD, |part| {
        let mut scratch = Scratch::default();
        part.iter()
            .map(|w| s.suggest_with(w, idx, &mut scratch))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The index's pass split in two halves gives the postings one pass gives: the same
    /// contexts per trigram, and the same lists dropped as too common (some only across both
    /// halves, some within one).
    #[test]
    fn the_split_index_is_the_single_pass() {
        // `zq ` is in 200 contexts, 100 in each half: under the cap (152) in either, over it in
        // both together.
        let contexts: Vec<String> = (0..3000)
            .map(|i| {
                let mark = if i % 15 == 0 { "zq" } else { "" };
                format!("ci-{:03} / build-{}{mark} (push)", i % 700, i % 7)
            })
            .chain((0..40).map(|i| format!("rare-{i} / lint (pull_request)")))
            .collect();
        let s = Suggester::new(contexts.iter().map(String::as_str));
        let wants = vec![
            "ci-017 / bild-3zq (push)".to_string(),
            "rare-7 / lnt (pull_request)".to_string(),
        ];
        let one = s.index_in(&wants, false);
        let two = s.index_in(&wants, true);
        assert_eq!(one.keys, two.keys);
        assert_eq!(one.lists, two.lists);
        // Both kinds of list are there: kept ones and dropped (common) ones.
        assert!(one.lists.iter().any(|l| !l.is_empty()));
        assert!(one.lists.iter().any(Vec::is_empty));
        let zq = trigrams("zq ")[0];
        let k = one.keys.binary_search(&zq).expect("indexed");
        assert!(one.lists[k].is_empty() && two.lists[k].is_empty());
        let half = s.postings_of(
            0..s.contexts.len() / 2,
            &one.keys,
            &[u64::MAX; BLOOM_WORDS],
            152,
        );
        assert!(!half.1[k], "not dropped within one half");
    }

    proptest! {
        /// Exactly strsim's score (the same f64), ASCII or not.
        #[test]
        fn jaro_winkler_is_strsim_s(a in "[a-d /()-]{0,40}", b in "[a-d /()-]{0,40}", u in "[a-cé]{0,6}") {
            prop_assert_eq!(jaro_winkler(&a, &b).to_bits(), strsim::jaro_winkler(&a, &b).to_bits());
            prop_assert_eq!(jaro_winkler(&u, &b).to_bits(), strsim::jaro_winkler(&u, &b).to_bits());
        }

        /// The byte scans are the plain definitions: the last ` / ` as `rsplit_once` finds it,
        /// and the trigrams of the characters, ASCII or not.
        #[test]
        fn workflow_part_and_trigrams_are_their_definitions(t in "[a/ é]{0,24}") {
            prop_assert_eq!(workflow_part(&t), t.rsplit_once(" / ").map_or("", |(w, _)| w));
            let by_chars: Vec<u64> = t
                .chars()
                .collect::<Vec<_>>()
                .windows(3)
                .map(|w| w.iter().fold(0u64, |acc, c| (acc << 21) | *c as u64))
                .collect();
            prop_assert_eq!(trigrams(&t), by_chars);
        }
    }

    #[test]
    fn jaro_winkler_on_contexts_is_strsim_s() {
        let pairs = [
            ("ci / test (push)", "ci / tests (push)"),
            (
                "ci-0005 / build (pull_request)",
                "ci-0005 / build-4 (pull_request)",
            ),
            ("", ""),
            ("a", ""),
            ("abcd", "dcba"),
            ("cheeseburger", "cheese fries"),
        ];
        for (a, b) in pairs {
            assert_eq!(
                jaro_winkler(a, b).to_bits(),
                strsim::jaro_winkler(a, b).to_bits(),
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn the_own_workflow_comes_first_and_others_are_found_by_trigrams() {
        let mut contexts = vec![
            "ci / test (pull_request)".to_string(),
            "CI / tests (push)".to_string(),
            "other / test (pull_request)".to_string(),
        ];
        for i in 0..5000 {
            contexts.push(format!("wf{i} / build-{i} (push)"));
        }
        let s = Suggester::new(contexts.iter().map(String::as_str));
        let got = s.suggest("ci / test (push)");
        assert_eq!(got[0], "CI / tests (push)");
        assert!(
            got.contains(&"ci / test (pull_request)".to_string()),
            "{got:?}"
        );
        // Renamed workflow: found among the others.
        let got = s.suggest("retired / build-4242 (push)");
        assert_eq!(
            got.first().map(String::as_str),
            Some("wf4242 / build-4242 (push)")
        );
        // Nothing close: no suggestion.
        assert!(s.suggest("zzzz").is_empty());
        // The same whether spread over threads or not.
        let orphans: Vec<String> = (0..100)
            .map(|i| format!("wf{i} / bild-{i} (push)"))
            .collect();
        let refs: Vec<&str> = orphans.iter().map(String::as_str).collect();
        let spread = suggest_all(&s, &refs);
        let serial: Vec<Vec<String>> = refs.iter().map(|o| s.suggest(o)).collect();
        assert_eq!(spread, serial);
        assert_eq!(spread[7][0], "wf7 / build-7 (push)");
    }
}
