//! A file written on another thread. A large report is 17 MB of JSON (1,000 workflows): making
//! it took 14 ms and the kernel's share of writing it (the page cache, truncating the old file)
//! 12 ms more, one after the other. Here the two overlap.

use std::io::{self, Write};
use std::path::Path;
use std::sync::mpsc;

/// Bytes handed to the writing thread at a time.
const CHUNK: usize = 256 * 1024;
/// Chunks waiting for it at most: memory stays bounded when the disk is slower.
const DEPTH: usize = 4;

/// Creates (or truncates) `path` and writes into it what `produce` writes, on a second thread.
/// An error of the file (creating, writing, flushing) is returned before one of `produce`:
/// `produce` then only saw the thread stop. Without a thread to spare, it is written here.
pub fn create_file<T>(
    path: &Path,
    produce: impl FnOnce(&mut dyn Write) -> io::Result<T>,
) -> io::Result<T> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<Vec<u8>>(DEPTH);
        let writer = std::thread::Builder::new()
            .name("report-file".into())
            .spawn_scoped(scope, move || -> io::Result<()> {
                let mut f = std::fs::File::create(path)?;
                for chunk in rx {
                    f.write_all(&chunk)?;
                }
                f.flush()
            });
        let Ok(writer) = writer else {
            let mut f = io::BufWriter::new(std::fs::File::create(path)?);
            let out = produce(&mut f)?;
            f.flush()?;
            return Ok(out);
        };
        let mut w = Chunks {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        let produced = produce(&mut w).and_then(|out| w.send().map(|()| out));
        // Closing the channel ends the writer's loop.
        drop(w);
        let written = writer
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        written.and(produced)
    })
}

struct Chunks {
    tx: mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl Chunks {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let full = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK));
        self.tx
            .send(full)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the file's writer stopped"))
    }
}

impl Write for Chunks {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(b);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(b.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_arrives_in_order_and_the_value_comes_back() {
        let dir = crate::report::tests::tempdir("behind-order");
        let path = dir.join("out.json");
        std::fs::write(&path, vec![b'x'; 3 * CHUNK]).expect("an older, longer file");
        // Pieces of every size, across many chunks, with no pattern that repeats at CHUNK.
        let mut want = Vec::new();
        let n = create_file(&path, |w| {
            for i in 0..20_000u32 {
                let piece = i.to_string().repeat((i % 97) as usize);
                w.write_all(piece.as_bytes())?;
                want.extend_from_slice(piece.as_bytes());
            }
            Ok(want.len())
        })
        .expect("written");
        let got = std::fs::read(&path).expect("read back");
        assert_eq!(got.len(), n);
        assert!(n > 4 * CHUNK, "{n} bytes cross several chunks");
        assert!(got == want, "the file holds exactly what was written");
    }

    #[test]
    fn the_file_error_wins_over_the_stopped_producer() {
        let dir = crate::report::tests::tempdir("behind-missing");
        let path = dir.join("missing").join("out.json");
        let err = create_file(&path, |w| {
            for _ in 0..100 {
                w.write_all(&[b'a'; CHUNK])?;
            }
            Ok(())
        })
        .expect_err("the folder does not exist");
        assert_eq!(err.kind(), io::ErrorKind::NotFound, "{err}");
    }

    #[test]
    fn an_error_of_the_producer_is_returned() {
        let dir = crate::report::tests::tempdir("behind-failing");
        let path = dir.join("out.json");
        let err = create_file(&path, |w| -> io::Result<()> {
            w.write_all(b"partial")?;
            Err(io::Error::other("serialising failed"))
        })
        .expect_err("the producer failed");
        assert_eq!(err.to_string(), "serialising failed");
    }
}
