//! Redaction of streamed output. The JSON report is written line by line (pretty JSON: one
//! value per line, and no string holds a raw line break), so each line is redacted whole before
//! it is written; a secret's JSON-escaped form is registered beside it.

use std::io::{self, Write};

/// A writer that redacts every registered secret line by line, or passes bytes straight
/// through when there is no secret.
pub struct Lines<W: Write> {
    inner: W,
    redacting: bool,
    line: Vec<u8>,
}

/// A line longer than this is redacted and written in pieces rather than buffered without
/// bound: pretty JSON lines are short, but a string value can be long.
const MAX_LINE: usize = 1024 * 1024;
/// Bytes held back at a cut, for a secret whose end has not arrived yet.
const CUT_MARGIN: usize = 64 * 1024;

impl<W: Write> Lines<W> {
    pub fn new(inner: W, redacting: bool) -> Self {
        Lines {
            inner,
            redacting,
            line: Vec::new(),
        }
    }

    /// Writes what is buffered and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line);
        let red = crate::secrets::redact(&text);
        self.inner.write_all(red.as_bytes())?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Lines<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.redacting {
            return self.inner.write(buf);
        }
        let mut rest = buf;
        while let Some(i) = rest.iter().position(|b| *b == b'\n') {
            self.line.extend_from_slice(&rest[..=i]);
            self.emit()?;
            rest = &rest[i + 1..];
        }
        self.line.extend_from_slice(rest);
        if self.line.len() > MAX_LINE {
            // Cut where no secret spans the cut (the escaped form of one may arrive in several
            // writes), at a character boundary.
            let valid = match std::str::from_utf8(&self.line) {
                Ok(t) => t.len(),
                Err(e) => e.valid_up_to(),
            };
            let text = String::from_utf8_lossy(&self.line[..valid]);
            let cut = crate::secrets::safe_cut(&text, valid.saturating_sub(CUT_MARGIN));
            if cut > 0 {
                let tail = self.line.split_off(cut);
                self.emit()?;
                self.line = tail;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A secret written in pieces (as serde_json writes an escaped string) right where a long
    /// line is cut is still redacted whole.
    #[test]
    fn a_secret_at_the_cut_of_a_long_line_is_redacted() {
        crate::secrets::register("hunter2\"x-long");
        let mut out = Vec::new();
        let mut w = Lines::new(&mut out, true);
        let filler = "a".repeat(MAX_LINE - 3);
        w.write_all(filler.as_bytes()).expect("write");
        for piece in ["hunter2", "\\\"", "x-long", " end\n"] {
            w.write_all(piece.as_bytes()).expect("write");
        }
        w.finish().expect("finish");
        let text = String::from_utf8(out).expect("utf-8");
        assert!(!text.contains("hunter2"), "leaked at the cut");
        assert!(text.ends_with("a*** end\n"));
        assert_eq!(text.len(), filler.len() + " end\n".len() + 3);
    }
}
