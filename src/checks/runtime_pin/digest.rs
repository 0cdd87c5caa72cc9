//! Image digests: `sha256:` + 64 lowercase hex, from a flag or from a buildx metadata file.

use crate::error::Error;

/// Whether `s` is a digest driftgate can compare: `sha256:` followed by 64 lowercase hex digits.
pub fn is_digest(s: &str) -> bool {
    s.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `--digest`: refused unless it is exactly a digest.
pub fn parse(s: &str) -> Result<String, Error> {
    if is_digest(s) {
        Ok(s.to_string())
    } else {
        Err(Error::Usage(format!(
            "the digest {s:?} is not sha256: followed by 64 lowercase hex digits"
        )))
    }
}

/// `--digest-file`: a buildx `--metadata-file` (`containerimage.digest`) or a bare digest.
pub fn from_file_text(text: &str, path: &str) -> Result<String, Error> {
    let trimmed = text.trim();
    if trimmed.starts_with('{') {
        let v: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| Error::Usage(format!("{path} is not valid JSON: {e}")))?;
        let d = v
            .get("containerimage.digest")
            .and_then(|d| d.as_str())
            .ok_or_else(|| {
                Error::Usage(format!("{path} has no \"containerimage.digest\" string (is it a buildx --metadata-file?)"))
            })?;
        return parse(d).map_err(|e| Error::Usage(format!("{path}: {e}")));
    }
    parse(trimmed).map_err(|e| Error::Usage(format!("{path}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn only_exact_sha256_digests_pass() {
        assert!(is_digest(D));
        assert!(!is_digest(&D.to_uppercase()));
        assert!(!is_digest(&D.replace("sha256", "sha512")));
        assert!(!is_digest(&D[..D.len() - 1]));
        assert!(!is_digest(&format!("{D}0")));
        assert!(!is_digest(&D.replace('a', "g")));
        assert!(!is_digest(&format!(" {D}")));
        assert_eq!(parse("latest").map_err(|e| e.verdict().exit_code()), Err(1));
    }

    #[test]
    fn digest_files_are_buildx_metadata_or_bare() {
        let meta = format!(r#"{{"buildx.build.ref": "b/x", "containerimage.digest": "{D}"}}"#);
        assert_eq!(from_file_text(&meta, "m.json"), Ok(D.to_string()));
        assert_eq!(
            from_file_text(&format!("{D}\n"), "d.txt"),
            Ok(D.to_string())
        );
        assert!(from_file_text(r#"{"containerimage.config.digest": "x"}"#, "m.json").is_err());
        assert!(from_file_text("{not json", "m.json").is_err());
        assert!(from_file_text("", "d.txt").is_err());
    }
}
