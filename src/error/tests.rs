//! One of every [`Error`] variant and detail: its kind, its rule, and a message that reads.
//!
//! The list is held exhaustive by `expected`, `match`es without a wildcard: a new variant (of
//! `Error` or of a detail enum) does not compile until it is listed there (inside the crate
//! `#[non_exhaustive]` does not apply), and `every_variant_has_its_kind_rule_and_a_message`
//! fails until it is constructed below.

use super::*;

/// The most top-level variants `Error` may have (issue 22: errors by phase).
const MAX_TOP_LEVEL: usize = 25;

/// The name, kind and rule each variant must have, written independently of [`Error::kind`] and
/// [`Error::rule`]; also the list of variants, by name.
fn expected(e: &Error) -> (String, ErrorKind, Option<&'static str>) {
    use ErrorKind as K;
    let top = |name: &str, kind, rule| (name.to_string(), kind, rule);
    let session = |b: &Blob, s, d| match b {
        Blob::Session => Some(s),
        Blob::Dictionary => Some(d),
    };
    match e {
        Error::NotABlob { blob, .. } => top(
            &format!("NotABlob({blob:?})"),
            K::NotABlob,
            session(blob, "R-HDR-MAGIC", "R-DICT-MAGIC"),
        ),
        Error::Envelope { blob, error } => {
            let (name, kind, s, d) = match error {
                EnvelopeError::Truncated {
                    part: BlobPart::Header,
                    ..
                } => (
                    "Truncated(header)",
                    K::Corrupt,
                    "R-HDR-LEN",
                    "R-DICT-HDR-LEN",
                ),
                EnvelopeError::Truncated { .. } => {
                    ("Truncated", K::Corrupt, "R-BLOB-LEN", "R-DICT-LEN")
                }
                EnvelopeError::TrailingBytes { .. } => {
                    ("TrailingBytes", K::Corrupt, "R-BLOB-LEN", "R-DICT-LEN")
                }
                EnvelopeError::UnsupportedVersion { .. } => (
                    "UnsupportedVersion",
                    K::Unsupported,
                    "R-HDR-VERSION",
                    "R-DICT-VERSION",
                ),
                EnvelopeError::UnknownFlags { .. } => (
                    "UnknownFlags",
                    K::Unsupported,
                    "R-HDR-FLAGS",
                    "R-DICT-FLAGS",
                ),
                EnvelopeError::ReservedNotZero { offset: 32 } => (
                    "ReservedNotZero(32)",
                    K::Corrupt,
                    "R-HDR-RAW",
                    "R-DICT-RESERVED",
                ),
                EnvelopeError::ReservedNotZero { .. } => (
                    "ReservedNotZero",
                    K::Corrupt,
                    "R-HDR-RESERVED",
                    "R-DICT-RESERVED",
                ),
                EnvelopeError::KeyIdMismatch { .. } => {
                    ("KeyIdMismatch", K::Corrupt, "R-HDR-KEYID", "R-DICT-KEYID")
                }
                EnvelopeError::DigestMismatch { .. } => {
                    ("DigestMismatch", K::Corrupt, "R-DIGEST", "R-DICT-DIGEST")
                }
            };
            top(
                &format!("Envelope({blob:?}, {name})"),
                kind,
                session(blob, s, d),
            )
        }
        Error::MacRequired { blob } => top(
            &format!("MacRequired({blob:?})"),
            K::Unauthenticated,
            session(blob, "R-MAC-REQUIRED", "R-DICT-MAC-REQUIRED"),
        ),
        Error::UnknownKey { blob, .. } => top(
            &format!("UnknownKey({blob:?})"),
            K::Unauthenticated,
            session(blob, "R-MAC-KEY", "R-DICT-MAC-KEY"),
        ),
        Error::MacMismatch {
            blob,
            body_damaged: false,
            ..
        } => top(
            &format!("MacMismatch({blob:?})"),
            K::Unauthenticated,
            session(blob, "R-MAC-TAG", "R-DICT-MAC-TAG"),
        ),
        Error::MacMismatch {
            blob,
            body_damaged: true,
            ..
        } => top(
            &format!("MacMismatch({blob:?}, body damaged)"),
            K::Unauthenticated,
            session(blob, "R-MAC-FIRST", "R-DICT-MAC-TAG"),
        ),
        Error::Body(b) => {
            let (name, kind, rule) = match b {
                BodyError::RawLengthMismatch { .. } => {
                    ("RawLengthMismatch", K::Corrupt, "R-HDR-RAW")
                }
                BodyError::BodyDigestMismatch { .. } => {
                    ("BodyDigestMismatch", K::Corrupt, "R-BODY-DIGEST")
                }
                BodyError::BadFrame { problem } => ("BadFrame", K::Corrupt, problem.rule()),
                BodyError::FrameSizeMismatch { .. } => {
                    ("FrameSizeMismatch", K::Corrupt, "R-FRAME-SIZE")
                }
                BodyError::UnknownDictionary { .. } => {
                    ("UnknownDictionary", K::Unsupported, "R-DICT")
                }
                BodyError::DictionaryMismatch { .. } => {
                    ("DictionaryMismatch", K::Corrupt, "R-FRAME-DICT")
                }
                BodyError::Decompress { .. } => ("Decompress", K::Corrupt, "R-FRAME-DATA"),
            };
            top(&format!("Body({name})"), kind, Some(rule))
        }
        Error::Archive(a) => {
            let (name, rule) = match a {
                ArchiveError::Length { .. } => ("Length", "R-ARC-LEN"),
                ArchiveError::Pointer {
                    problem: PointerProblem::OutOfOrder,
                    ..
                } => ("Pointer(OutOfOrder)", "R-ARC-ORDER"),
                ArchiveError::Pointer { .. } => ("Pointer", "R-ARC-PTR"),
                ArchiveError::Layout {
                    problem: LayoutProblem::Gap,
                    ..
                } => ("Layout(Gap)", "R-ARC-GAP"),
                ArchiveError::Layout { .. } => ("Layout(EmptyMoved)", "R-ARC-EMPTY"),
                ArchiveError::Padding { .. } => ("Padding", "R-ARC-PAD"),
                ArchiveError::InvalidUtf8 { .. } => ("InvalidUtf8", "R-ARC-UTF8"),
                ArchiveError::KeysNotSorted { .. } => ("KeysNotSorted", "R-ARC-KEYS"),
                ArchiveError::IdSet { .. } => ("IdSet", "R-SET-RUN-ORDER"),
                ArchiveError::IssuedAfterExpiry { .. } => ("IssuedAfterExpiry", "R-ARC-TIME"),
                ArchiveError::NoLineage => ("NoLineage", "R-ARC3-LINEAGE"),
            };
            top(&format!("Archive({name})"), K::Corrupt, Some(rule))
        }
        Error::IdSet(_) => top("IdSet", K::Corrupt, Some("R-SET-RUN-ORDER")),
        Error::Dict(d) => {
            let (name, kind, rule) = match d {
                DictError::UnknownKeyType { .. } => {
                    ("UnknownKeyType", K::Unsupported, Some("R-DICT-KEYTYPE"))
                }
                DictError::UnknownKind { .. } => {
                    ("UnknownKind", K::Unsupported, Some("R-DICT-KIND"))
                }
                DictError::TenantTooLong { .. } => {
                    ("TenantTooLong", K::Corrupt, Some("R-DICT-TENANT-LEN"))
                }
                DictError::ZeroLineage => ("ZeroLineage", K::Corrupt, Some("R-DICT-LINEAGE")),
                DictError::TooManyKeys { .. } => {
                    ("TooManyKeys", K::Limit, Some("R-DICT-LIMIT-KEYS"))
                }
                DictError::BodyLength { .. } => ("BodyLength", K::Corrupt, Some("R-DICT-BODY-LEN")),
                DictError::NotUtf8 { id: None, .. } => {
                    ("NotUtf8(tenant)", K::Corrupt, Some("R-DICT-TENANT-UTF8"))
                }
                DictError::NotUtf8 { .. } => ("NotUtf8(key)", K::Corrupt, Some("R-DICT-STR-UTF8")),
                DictError::KeyBounds { .. } => ("KeyBounds", K::Corrupt, Some("R-DICT-STR-BOUNDS")),
                DictError::BadIndex { .. } => ("BadIndex", K::Corrupt, Some("R-DICT-INDEX")),
                DictError::IndexCount { .. } => ("IndexCount", K::Corrupt, Some("R-DICT-INDEX")),
                DictError::DuplicateKey { .. } => {
                    ("DuplicateKey", K::Corrupt, Some("R-DICT-UNIQUE"))
                }
                DictError::InvalidInput { .. } => ("InvalidInput", K::InvalidInput, None),
                DictError::TooLarge { .. } => ("TooLarge", K::Limit, None),
            };
            top(&format!("Dict({name})"), kind, rule)
        }
        Error::DecodedTooLarge { .. } => top("DecodedTooLarge", K::Limit, Some("R-LIMIT-DECODED")),
        Error::LimitExceeded { .. } => top("LimitExceeded", K::Limit, Some("R-LIMIT-STRING")),
        Error::Expired { .. } => top("Expired", K::Expired, Some("R-EXPIRED")),
        Error::IssuedAfterExpiry { .. } => top("IssuedAfterExpiry", K::InvalidInput, None),
        Error::Json { .. } => top("Json", K::InvalidInput, None),
        Error::InvalidKey { .. } => top("InvalidKey", K::InvalidInput, None),
        Error::Compress { .. } => top("Compress", K::InvalidInput, None),
        Error::ForeignDictionary { .. } => {
            top("ForeignDictionary", K::WrongDictionary, Some("C-KEY-CHECK"))
        }
        Error::ForeignTenant { .. } => {
            top("ForeignTenant", K::WrongDictionary, Some("C-KEY-CHECK"))
        }
        Error::UnauthenticatedDictionary { .. } => top(
            "UnauthenticatedDictionary",
            K::Unauthenticated,
            Some("C-KEY-MAC"),
        ),
        Error::KeyNotInDictionary { .. } => top("KeyNotInDictionary", K::InvalidInput, None),
        Error::Legacy(e) => top("Legacy", K::InvalidInput, Some(e.rule.id())),
    }
}

/// The top-level variant's name: `expected`'s name up to its first `(`.
fn top_level(e: &Error) -> String {
    let name = expected(e).0;
    name.split('(').next().unwrap_or_default().to_string()
}

/// Number of top-level arms of `expected`.
const TOP_LEVEL: usize = 21;

fn one_of_each() -> Vec<Error> {
    let field = FieldName {
        field: "settings",
        index: Some(2),
        part: Some("key"),
    };
    let id_set = IdSetError::RunsOverlap {
        offset: 22,
        container: 1,
        previous_end: 9,
        start: 10,
    };
    let mut all = vec![
        Error::NotABlob {
            blob: Blob::Session,
            found: Format::Json,
        },
        Error::NotABlob {
            blob: Blob::Dictionary,
            found: Format::Unknown,
        },
    ];
    let envelope = [
        EnvelopeError::Truncated {
            part: BlobPart::Header,
            needed: 40,
            available: 12,
        },
        EnvelopeError::Truncated {
            part: BlobPart::Body,
            needed: 4096,
            available: 1200,
        },
        EnvelopeError::TrailingBytes {
            expected: 100,
            actual: 101,
        },
        EnvelopeError::UnsupportedVersion { version: 2 },
        EnvelopeError::UnknownFlags { bits: 0x80 },
        EnvelopeError::ReservedNotZero { offset: 6 },
        EnvelopeError::KeyIdMismatch {
            key_id: 0,
            mac_flag: true,
        },
        EnvelopeError::DigestMismatch {
            declared: 1,
            actual: 2,
        },
    ];
    for blob in [Blob::Session, Blob::Dictionary] {
        all.extend(envelope.map(|error| Error::Envelope { blob, error }));
        all.push(Error::MacRequired { blob });
        all.push(Error::UnknownKey { blob, key_id: 3 });
        all.push(Error::MacMismatch {
            blob,
            key_id: 3,
            body_damaged: false,
        });
    }
    all.push(Error::MacMismatch {
        blob: Blob::Session,
        key_id: 3,
        body_damaged: true,
    });
    all.push(Error::session(EnvelopeError::ReservedNotZero {
        offset: 32,
    }));
    all.extend(
        [
            BodyError::RawLengthMismatch {
                stored: 10,
                decoded: 12,
            },
            BodyError::BodyDigestMismatch {
                declared: 1,
                actual: 2,
            },
            BodyError::BadFrame {
                problem: FrameProblem::NoChecksum,
            },
            BodyError::FrameSizeMismatch {
                header: 100,
                frame: 99,
            },
            BodyError::UnknownDictionary { id: 7 },
            BodyError::DictionaryMismatch {
                header: 1,
                frame: 2,
            },
            BodyError::Decompress {
                message: "Data corruption detected".into(),
            },
        ]
        .map(Error::Body),
    );
    all.extend(
        [
            ArchiveError::Length { len: 12, min: 80 },
            ArchiveError::Pointer {
                field,
                offset: 40,
                problem: PointerProblem::PastEnd,
            },
            ArchiveError::Pointer {
                field,
                offset: 40,
                problem: PointerProblem::OutOfOrder,
            },
            ArchiveError::Layout {
                field: FieldName::plain("tenant_id"),
                offset: 3,
                expected: 2,
                problem: LayoutProblem::Gap,
            },
            ArchiveError::Layout {
                field: FieldName::plain("tenant_id"),
                offset: 3,
                expected: 2,
                problem: LayoutProblem::EmptyMoved,
            },
            ArchiveError::Padding {
                offset: 14,
                byte: 1,
                before: FieldName::plain("roles"),
            },
            ArchiveError::InvalidUtf8 { field, offset: 8 },
            ArchiveError::KeysNotSorted {
                field: EntriesField::Attributes,
                key: "b".into(),
            },
            ArchiveError::IdSet {
                field: IdSetField::Groups,
                offset: 64,
                error: id_set,
            },
            ArchiveError::IssuedAfterExpiry {
                issued_at: 2,
                expires_at: 1,
            },
            ArchiveError::NoLineage,
        ]
        .map(Error::Archive),
    );
    all.push(Error::IdSet(id_set));
    all.extend(
        [
            DictError::UnknownKeyType { value: 9 },
            DictError::UnknownKind { value: 3 },
            DictError::TenantTooLong { len: 65 },
            DictError::ZeroLineage,
            DictError::TooManyKeys {
                count: 2_000_000,
                limit: 1_000_000,
            },
            DictError::BodyLength {
                declared: 10,
                min: 17,
                max: 17,
            },
            DictError::NotUtf8 {
                id: None,
                offset: 40,
            },
            DictError::NotUtf8 {
                id: Some(3),
                offset: 90,
            },
            DictError::KeyBounds { id: 2, offset: 70 },
            DictError::BadIndex { id: 5, slot: 9 },
            DictError::IndexCount {
                occupied: 6,
                count: 5,
            },
            DictError::DuplicateKey { id: 4, first: 1 },
            DictError::InvalidInput {
                problem: DictInputProblem::UuidText,
            },
            DictError::TooLarge { len: 1 << 32 },
        ]
        .map(Error::Dict),
    );
    all.extend([
        Error::DecodedTooLarge {
            declared: 1 << 30,
            limit: 16 << 20,
        },
        Error::LimitExceeded {
            what: LimitName::SettingKeyOrValue,
            value: 20_000,
            limit: 16_384,
        },
        Error::Expired {
            expires_at: 1,
            now: 2,
        },
        Error::IssuedAfterExpiry {
            issued_at: 2,
            expires_at: 1,
        },
        Error::Json {
            message: "settings.theme: expected a string, found a map".into(),
            line: 1,
            column: 30,
        },
        Error::InvalidKey {
            problem: KeyProblem::TooShort,
        },
        Error::Compress {
            message: "Allocation error".into(),
        },
        Error::ForeignDictionary {
            set: IdSetField::Facilities,
            set_lineage: Some(1),
            dictionary: 2,
            dictionary_kind: DictKind::Facility,
        },
        Error::ForeignTenant {
            set: IdSetField::Facilities,
            session_tenant: "acme".into(),
            dictionary_tenant: "umbrella".into(),
        },
        Error::UnauthenticatedDictionary {
            set: IdSetField::Facilities,
        },
        Error::KeyNotInDictionary {
            set: IdSetField::Groups,
            key: "icu".into(),
        },
        Error::Legacy(super::LegacyError::new(
            super::LegacyRule::OidText,
            "/facilities/17/_id",
            "expected 24 hexadecimal digits, found 23",
        )),
    ]);
    all
}

#[test]
fn every_variant_has_its_kind_rule_and_a_message() {
    let all = one_of_each();
    let mut names: Vec<String> = all.iter().map(|e| expected(e).0).collect();
    names.sort_unstable();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a variant is listed twice");
    let mut tops: Vec<String> = all.iter().map(top_level).collect();
    tops.sort_unstable();
    tops.dedup();
    assert_eq!(
        tops.len(),
        TOP_LEVEL,
        "a variant is missing from one_of_each: {tops:?}"
    );
    const { assert!(TOP_LEVEL <= MAX_TOP_LEVEL) };
    for e in &all {
        let (name, kind, rule) = expected(e);
        assert_eq!(e.kind(), kind, "{name}");
        assert_eq!(e.rule(), rule, "{name}");
        let message = e.to_string();
        assert!(!message.is_empty(), "{name}");
        assert!(!message.ends_with(['.', ' ', '\n']), "{name}: {message:?}");
        // Only the JSON refusal names a function path on purpose ("use sessionpack::detect").
        let intended = matches!(
            e,
            Error::NotABlob {
                blob: Blob::Session,
                found: Format::Json
            }
        );
        assert_eq!(
            message.contains("sessionpack::"),
            intended,
            "{name}: {message}"
        );
        // A dictionary's faults say so.
        let of_dictionary = matches!(
            e,
            Error::NotABlob {
                blob: Blob::Dictionary,
                ..
            } | Error::Envelope {
                blob: Blob::Dictionary,
                ..
            } | Error::MacRequired {
                blob: Blob::Dictionary
            } | Error::UnknownKey {
                blob: Blob::Dictionary,
                ..
            } | Error::MacMismatch {
                blob: Blob::Dictionary,
                ..
            } | Error::Dict(_)
        );
        if of_dictionary {
            assert!(message.contains("dictionary"), "{name}: {message}");
        }
        // Clone + Eq: a copy is equal, and no two variants are.
        assert_eq!(e.clone(), *e);
    }
    for (i, a) in all.iter().enumerate() {
        for b in all.get(i + 1..).unwrap_or_default() {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn every_rule_is_a_must_id_of_the_spec() {
    let spec = include_str!("../../SPEC.md");
    let mapping = include_str!("../../MAPPING.md");
    for e in one_of_each() {
        if let Some(rule) = e.rule().filter(|r| r.starts_with("M-")) {
            // The legacy converter's rules are MAPPING.md's (a rule's text may wrap after MUST).
            assert!(
                mapping.contains(&format!("[{rule}]**")),
                "{rule} is no MUST id of MAPPING.md"
            );
        } else if let Some(rule) = e.rule() {
            assert!(
                spec.contains(&format!("MUST [{rule}]")),
                "{rule} ({e:?}) is no MUST id of SPEC.md"
            );
        }
    }
    for p in [
        FrameProblem::TooShort,
        FrameProblem::Skippable,
        FrameProblem::NoMagic,
        FrameProblem::HeaderTruncated,
        FrameProblem::NoChecksum,
        FrameProblem::ReservedBits,
        FrameProblem::WindowTooLarge,
        FrameProblem::NoContentSize,
        FrameProblem::MalformedHeader,
        FrameProblem::DictionaryOnRawBody,
        FrameProblem::TrailingData,
        FrameProblem::Malformed,
    ] {
        assert!(spec.contains(&format!("MUST [{}]", p.rule())), "{p:?}");
    }
}

#[test]
fn the_error_module_imports_nothing_above_it() {
    // `error` is the bottom of the crate: besides its own files, only the leaves `format` and
    // `dict_kind`.
    for (file, text) in [
        ("mod.rs", include_str!("mod.rs")),
        ("archive.rs", include_str!("archive.rs")),
        ("dict.rs", include_str!("dict.rs")),
        ("envelope.rs", include_str!("envelope.rs")),
        ("fields.rs", include_str!("fields.rs")),
        ("idset.rs", include_str!("idset.rs")),
        ("kind.rs", include_str!("kind.rs")),
    ] {
        for line in text.lines().map(str::trim_start) {
            if let Some(path) = line.strip_prefix("use crate::") {
                assert!(
                    path.starts_with("format::") || path.starts_with("dict_kind::"),
                    "error/{file} imports crate::{path}"
                );
            }
        }
    }
    for (file, text) in [
        ("format/mod.rs", include_str!("../format/mod.rs")),
        ("format/magic.rs", include_str!("../format/magic.rs")),
        ("format/detect.rs", include_str!("../format/detect.rs")),
        ("format/flags.rs", include_str!("../format/flags.rs")),
        ("format/digest.rs", include_str!("../format/digest.rs")),
        ("dict_kind.rs", include_str!("../dict_kind.rs")),
    ] {
        assert!(!text.contains("use crate::"), "{file} is no leaf");
    }
}

#[test]
fn every_kind_is_used_and_names_round_trip() {
    let all = one_of_each();
    for kind in ErrorKind::ALL {
        assert!(all.iter().any(|e| e.kind() == kind), "{kind} unused");
        assert_eq!(kind.name().parse::<ErrorKind>(), Ok(kind));
        assert_eq!(kind.to_string(), kind.name());
    }
    let names: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
    assert_eq!(
        names,
        [
            "not_a_blob",
            "corrupt",
            "unsupported",
            "limit",
            "unauthenticated",
            "expired",
            "invalid_input",
            "wrong_dictionary"
        ]
    );
    for wrong in ["", "Corrupt", "not-a-blob", " corrupt", "corrupt "] {
        assert_eq!(
            wrong.parse::<ErrorKind>(),
            Err(UnknownErrorKind),
            "{wrong:?}"
        );
    }
}

#[test]
fn messages_keep_their_words() {
    let e = Error::session(EnvelopeError::Truncated {
        part: BlobPart::Body,
        needed: 4096,
        available: 1200,
    });
    assert_eq!(
        e.to_string(),
        "blob is truncated: the body needs 4096 bytes, 1200 present"
    );
    let e = Error::dictionary(EnvelopeError::Truncated {
        part: BlobPart::Body,
        needed: 4096,
        available: 1200,
    });
    assert_eq!(
        e.to_string(),
        "dictionary is truncated: the body needs 4096 bytes, 1200 present"
    );
    let e = Error::LimitExceeded {
        what: LimitName::SettingKeyOrValue,
        value: 20,
        limit: 16,
    };
    assert_eq!(
        e.to_string(),
        "`setting key or value` is 20, above the limit of 16 (see Limits)"
    );
    let e = Error::Archive(ArchiveError::KeysNotSorted {
        field: EntriesField::Settings,
        key: "a".into(),
    });
    assert_eq!(
        e.to_string(),
        "`settings` keys must be sorted and unique; \"a\" is out of order or repeated"
    );
    assert_eq!(
        Error::Archive(ArchiveError::Layout {
            field: FieldName::plain("root"),
            offset: 88,
            expected: 80,
            problem: LayoutProblem::Gap,
        })
        .to_string(),
        "archive field `root` starts at byte 88, but a writer puts it at byte 80: a field's data \
         starts right after the previous field's data and the padding its alignment needs \
         (SPEC.md section 6.4)"
    );
    assert_eq!(
        Error::Archive(ArchiveError::Padding {
            offset: 14,
            byte: 1,
            before: FieldName::plain("roles"),
        })
        .to_string(),
        "archive padding byte 14 (before `roles`) is 0x01: padding bytes are zero (SPEC.md \
         section 6.4)"
    );
    assert_eq!(
        Error::Archive(ArchiveError::Length { len: 12, min: 80 }).to_string(),
        "archive of 12 bytes cannot hold a session: it must be at least 80 bytes and a multiple \
         of 8"
    );
    assert_eq!(
        Error::session(EnvelopeError::UnsupportedVersion { version: 2 }).to_string(),
        "format version 2 is not supported by this reader (it reads versions 1 and 3); upgrade \
         sessionpack"
    );
    assert_eq!(
        Error::MacMismatch {
            blob: Blob::Dictionary,
            key_id: 7,
            body_damaged: false,
        }
        .to_string(),
        "dictionary MAC check failed for key id 7: it was altered or signed with another key"
    );
}

#[test]
fn an_id_set_error_is_the_source_of_a_session_error() {
    let error = IdSetError::TrailingBytes {
        offset: 10,
        extra: 2,
    };
    let e = Error::Archive(ArchiveError::IdSet {
        field: IdSetField::Facilities,
        offset: 64,
        error,
    });
    let source = std::error::Error::source(&e).map(ToString::to_string);
    assert_eq!(source, Some(error.to_string()));
    assert_eq!(e.rule(), Some("R-SET-TRAILING"));
    assert_eq!(error.kind(), ErrorKind::Corrupt);
    assert_eq!(error.offset(), 10);
    assert_eq!(Error::from(error), Error::IdSet(error));
    assert_eq!(Error::IdSet(error).to_string(), error.to_string());
}

#[test]
fn an_error_stays_small() {
    // Five words: the largest details (an archive field's name and place) are inline, the
    // strings are one pointer each. Boxing would cost an allocation on every refusal.
    assert!(
        core::mem::size_of::<Error>() <= 72,
        "{}",
        core::mem::size_of::<Error>()
    );
}
