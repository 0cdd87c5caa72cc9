//! Image references come from compose files, module manifests, `--image`, and the engine's and
//! registry's answers; digests from buildx metadata files; challenges from a registry's
//! `WWW-Authenticate` header.
#![no_main]

use driftgate::checks::image_drift::names::{ImageRef, looks_like_image_id};
use driftgate::checks::runtime_pin::digest::{from_file_text, is_digest};
use driftgate::checks::runtime_pin::registry::{parse_challenge, parse_image};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(r) = ImageRef::parse(s) {
        let tagged = r.tagged();
        let _ = looks_like_image_id(&tagged);
        // Normalising is idempotent: the normalised form reads back as the same reference, or
        // a declared image and the engine's name for it would compare unequal.
        let mut canonical = r.repo.clone();
        if let Some(t) = &r.tag {
            canonical.push(':');
            canonical.push_str(t);
        }
        if let Some(d) = &r.digest {
            canonical.push('@');
            canonical.push_str(d);
        }
        assert_eq!(
            ImageRef::parse(&canonical).as_ref(),
            Some(&r),
            "{s:?} normalises to {canonical:?}, which reads back differently"
        );
        assert_eq!(
            ImageRef::parse(&tagged).map(|t| t.tagged()),
            Some(tagged.clone()),
            "{s:?}: tagged form {tagged:?} is not stable"
        );
    }
    let _ = looks_like_image_id(s);
    if let Ok(r) = parse_image(s) {
        assert!(r.digest().is_none(), "--image {s:?} accepted with a digest");
        let _ = (r.registry(), r.repository(), r.tag(), r.api_host());
    }
    let (scheme, params) = parse_challenge(s);
    assert!(scheme.len() <= s.len());
    assert!(params.len() <= s.len());
    if let Ok(d) = from_file_text(s, "digest.json") {
        assert!(is_digest(&d), "from_file_text accepted {d:?}");
    }
});
