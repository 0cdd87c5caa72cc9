//! Work spread over the machine's cores: how many there are, and a slice mapped in parts on
//! several threads with the results kept in order. A part no thread could be started for (a low
//! `ulimit -u`) is worked here; a panic in a part comes back as the panic it was.

/// Threads one call uses at most, the calling one included.
const MAX_THREADS: usize = 8;

/// The cores this process may use (1 when that cannot be told).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over consecutive parts of `items`, concatenated in order: the first part on this
/// thread, the others each on a thread of its own, one part per core (at most
/// [`MAX_THREADS`]) and at least `per_thread` items in each. `f` gets a whole part, so that it
/// can keep per-thread scratch state across its items.
pub fn map_parts<T: Sync, R: Send>(
    items: &[T],
    per_thread: usize,
    f: impl Fn(&[T]) -> Vec<R> + Sync,
) -> Vec<R> {
    let threads = available()
        .min(MAX_THREADS)
        .min(items.len() / per_thread.max(1));
    if threads <= 1 {
        return f(items);
    }
    let f = &f;
    let mut parts = items.chunks(items.len().div_ceil(threads));
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let later: Vec<_> = parts
            .map(|part| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, move || f(part))
                    .map_err(|_| part)
            })
            .collect();
        let mut out = f(first);
        for part in later {
            match part {
                Ok(h) => out.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))),
                Err(part) => out.extend(f(part)),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever the split, the parts come back in order, each item once.
    #[test]
    fn parts_come_back_in_order() {
        for len in [0, 1, 7, 64, 1000, 4099] {
            let items: Vec<usize> = (0..len).collect();
            for per_thread in [0, 1, 3, 64, 5000] {
                let out = map_parts(&items, per_thread, |part| {
                    part.iter().map(|i| i * 2).collect()
                });
                assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
            }
        }
    }
}
