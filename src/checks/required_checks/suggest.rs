//! The closest emitted contexts for a required context nothing posts: the likely rename. Jaro–
//! Winkler on lower-cased text (it favours a shared prefix, which suits
//! `workflow / job (event)`), but only over a few candidates: the contexts of the orphan's own
//! workflow first, and otherwise those sharing the most uncommon trigrams with it. Thousands of
//! orphans against tens of thousands of contexts then cost milliseconds, not minutes.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Suggestions must look at least this close to the required context.
const SUGGEST_AT: f64 = 0.7;
/// Suggestions per orphan.
const SUGGESTIONS: usize = 3;
/// Candidates scored per orphan when its own workflow has none close enough.
const CANDIDATES: usize = 48;
/// A trigram found in more than this share of contexts says nothing about which is closest.
const COMMON: f64 = 0.05;

/// The emitted contexts, prepared once for every orphan.
pub struct Suggester<'a> {
    /// Distinct contexts in a stable order, with their lower-cased text.
    contexts: Vec<(&'a str, String)>,
    /// Lower-cased workflow part → indices into `contexts`.
    by_workflow: HashMap<String, Vec<u32>>,
    /// Trigram → indices of the contexts holding it (built on first need).
    trigrams: OnceLock<Postings>,
}

/// An inverted index as three flat arrays (no map of vectors: building one for 30,000
/// contexts cost more than all the suggestions): the distinct trigrams in ascending order,
/// where each one's postings start in `items`, and the postings.
#[derive(Default)]
struct Postings {
    keys: Vec<u64>,
    starts: Vec<u32>,
    items: Vec<u32>,
}

impl Postings {
    fn get(&self, t: u64) -> &[u32] {
        let Ok(k) = self.keys.binary_search(&t) else {
            return &[];
        };
        let start = self.starts.get(k).copied().unwrap_or(0) as usize;
        let end = self
            .starts
            .get(k + 1)
            .map_or(self.items.len(), |e| *e as usize);
        self.items.get(start..end).unwrap_or(&[])
    }
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
    lower.rsplit_once(" / ").map_or("", |(w, _)| w)
}

fn trigrams_of(lower: &str) -> Vec<u64> {
    let chars: Vec<char> = lower.chars().collect();
    let mut out: Vec<u64> = chars
        .windows(3)
        .map(|w| ((w[0] as u64) << 42) | ((w[1] as u64) << 21) | (w[2] as u64))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

impl<'a> Suggester<'a> {
    pub fn new(contexts: impl IntoIterator<Item = &'a str>) -> Suggester<'a> {
        let mut all: Vec<&'a str> = contexts.into_iter().collect();
        all.sort_unstable();
        all.dedup();
        let contexts: Vec<(&'a str, String)> =
            all.into_iter().map(|c| (c, c.to_lowercase())).collect();
        let mut by_workflow: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, (_, lower)) in contexts.iter().enumerate() {
            by_workflow
                .entry(workflow_part(lower).to_string())
                .or_default()
                .push(i as u32);
        }
        Suggester {
            contexts,
            by_workflow,
            trigrams: OnceLock::new(),
        }
    }

    fn index(&self) -> &Postings {
        self.trigrams.get_or_init(|| {
            let mut pairs: Vec<(u64, u32)> = Vec::new();
            for (i, (_, lower)) in self.contexts.iter().enumerate() {
                pairs.extend(trigrams_of(lower).into_iter().map(|t| (t, i as u32)));
            }
            pairs.sort_unstable();
            let common = ((self.contexts.len() as f64) * COMMON).max(16.0) as usize;
            let mut p = Postings::default();
            for group in pairs.chunk_by(|a, b| a.0 == b.0) {
                if group.len() <= common {
                    p.keys.push(group[0].0);
                    p.starts.push(p.items.len() as u32);
                    p.items.extend(group.iter().map(|(_, i)| *i));
                }
            }
            p
        })
    }

    /// The closest contexts to `required`, best first; the orphan's own workflow's contexts come
    /// before others that score alike.
    pub fn suggest(&self, required: &str) -> Vec<String> {
        self.suggest_with(required, &mut Scratch::default())
    }

    fn suggest_with(&self, required: &str, scratch: &mut Scratch) -> Vec<String> {
        let want = required.to_lowercase();
        let own: &[u32] = self
            .by_workflow
            .get(workflow_part(&want))
            .map_or(&[], Vec::as_slice);
        // (score, candidate rank, index): equal scores go to the candidate sharing more
        // uncommon trigrams, then to the first in sorted order.
        let mut scored: Vec<(f64, usize, u32)> = own
            .iter()
            .map(|i| (self.score(&want, *i), 0, *i))
            .filter(|(s, _, _)| *s >= SUGGEST_AT)
            .collect();
        if scored.len() < SUGGESTIONS {
            for (rank, i) in self.candidates(&want, scratch).into_iter().enumerate() {
                if !own.contains(&i) {
                    let s = self.score(&want, i);
                    if s >= SUGGEST_AT {
                        // Other workflows' contexts rank after the own workflow's.
                        scored.push((s - 1.0, rank, i));
                    }
                }
            }
        }
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)).then(x.2.cmp(&y.2)));
        scored
            .into_iter()
            .take(SUGGESTIONS)
            .filter_map(|(_, _, i)| self.contexts.get(i as usize))
            .map(|(c, _)| c.to_string())
            .collect()
    }

    fn score(&self, want: &str, i: u32) -> f64 {
        self.contexts
            .get(i as usize)
            .map_or(0.0, |(_, lower)| strsim::jaro_winkler(want, lower))
    }

    /// The contexts sharing the most uncommon trigrams with `want`, at most [`CANDIDATES`].
    fn candidates(&self, want: &str, scratch: &mut Scratch) -> Vec<u32> {
        let idx = self.index();
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
        ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        ranked.into_iter().map(|(i, _)| i).collect()
    }
}

/// Suggestions for many orphans, spread over the cores when there are many.
pub fn suggest_all(s: &Suggester, orphans: &[&str]) -> Vec<Vec<String>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if threads < 2 || orphans.len() < 64 {
        let mut scratch = Scratch::default();
        return orphans
            .iter()
            .map(|o| s.suggest_with(o, &mut scratch))
            .collect();
    }
    // Build the shared index once before the threads start.
    let _ = s.index();
    let chunk = orphans.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = orphans
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scratch = Scratch::default();
                    part.iter()
                        .map(|o| s.suggest_with(o, &mut scratch))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
