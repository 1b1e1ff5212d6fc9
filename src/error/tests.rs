//! One of every [`Error`] variant: its kind, and a message that reads.
//!
//! The list is held exhaustive by `expected_kind`, a `match` without a wildcard: a new variant
//! does not compile until it is listed there (inside the crate `#[non_exhaustive]` does not
//! apply), and `every_variant` fails until it is constructed below.

use super::*;

/// The kind each variant must have, written independently of [`Error::kind`]; also the list of
/// variants, by name.
fn expected_kind(e: &Error) -> (&'static str, ErrorKind) {
    use ErrorKind as K;
    match e {
        Error::NotSessionpack { .. } => ("NotSessionpack", K::NotABlob),
        Error::Truncated { .. } => ("Truncated", K::Corrupt),
        Error::TrailingBytes { .. } => ("TrailingBytes", K::Corrupt),
        Error::UnsupportedVersion { .. } => ("UnsupportedVersion", K::Unsupported),
        Error::UnknownFlags { .. } => ("UnknownFlags", K::Unsupported),
        Error::ReservedNotZero { .. } => ("ReservedNotZero", K::Corrupt),
        Error::DecodedTooLarge { .. } => ("DecodedTooLarge", K::Limit),
        Error::RawLengthMismatch { .. } => ("RawLengthMismatch", K::Corrupt),
        Error::BadFrame { .. } => ("BadFrame", K::Corrupt),
        Error::FrameSizeMismatch { .. } => ("FrameSizeMismatch", K::Corrupt),
        Error::Decompress { .. } => ("Decompress", K::Corrupt),
        Error::UnknownDictionary { .. } => ("UnknownDictionary", K::Unsupported),
        Error::BodyDigestMismatch { .. } => ("BodyDigestMismatch", K::Corrupt),
        Error::DictionaryMismatch { .. } => ("DictionaryMismatch", K::Corrupt),
        Error::DigestMismatch { .. } => ("DigestMismatch", K::Corrupt),
        Error::KeyIdMismatch { .. } => ("KeyIdMismatch", K::Corrupt),
        Error::MacRequired => ("MacRequired", K::Unauthenticated),
        Error::UnknownKey { .. } => ("UnknownKey", K::Unauthenticated),
        Error::MacMismatch { .. } => ("MacMismatch", K::Unauthenticated),
        Error::InvalidKey { .. } => ("InvalidKey", K::InvalidInput),
        Error::Expired { .. } => ("Expired", K::Expired),
        Error::ArchiveLength { .. } => ("ArchiveLength", K::Corrupt),
        Error::ArchivePointer { .. } => ("ArchivePointer", K::Corrupt),
        Error::ArchiveLayout { .. } => ("ArchiveLayout", K::Corrupt),
        Error::ArchivePadding { .. } => ("ArchivePadding", K::Corrupt),
        Error::InvalidUtf8 { .. } => ("InvalidUtf8", K::Corrupt),
        Error::KeysNotSorted { .. } => ("KeysNotSorted", K::Corrupt),
        Error::InvalidIdSet { .. } => ("InvalidIdSet", K::Corrupt),
        Error::ArchiveIssuedAfterExpiry { .. } => ("ArchiveIssuedAfterExpiry", K::Corrupt),
        Error::ArchiveNoLineage => ("ArchiveNoLineage", K::Corrupt),
        Error::ForeignDictionary { .. } => ("ForeignDictionary", K::InvalidInput),
        Error::KeyNotInDictionary { .. } => ("KeyNotInDictionary", K::InvalidInput),
        Error::UnauthenticatedDictionary { .. } => {
            ("UnauthenticatedDictionary", K::Unauthenticated)
        }
        Error::IdSet(_) => ("IdSet", K::Corrupt),
        Error::IssuedAfterExpiry { .. } => ("IssuedAfterExpiry", K::InvalidInput),
        Error::LimitExceeded { .. } => ("LimitExceeded", K::Limit),
        Error::Json { .. } => ("Json", K::InvalidInput),
        Error::Compress { .. } => ("Compress", K::InvalidInput),
        Error::DictNotADictionary { .. } => ("DictNotADictionary", K::NotABlob),
        Error::DictTruncated { .. } => ("DictTruncated", K::Corrupt),
        Error::DictTrailingBytes { .. } => ("DictTrailingBytes", K::Corrupt),
        Error::DictUnsupportedVersion { .. } => ("DictUnsupportedVersion", K::Unsupported),
        Error::DictUnknownFlags { .. } => ("DictUnknownFlags", K::Unsupported),
        Error::DictReservedNotZero { .. } => ("DictReservedNotZero", K::Corrupt),
        Error::DictKeyIdMismatch { .. } => ("DictKeyIdMismatch", K::Corrupt),
        Error::DictUnknownKeyType { .. } => ("DictUnknownKeyType", K::Unsupported),
        Error::DictUnknownKind { .. } => ("DictUnknownKind", K::Unsupported),
        Error::DictTenantTooLong { .. } => ("DictTenantTooLong", K::Corrupt),
        Error::DictZeroLineage => ("DictZeroLineage", K::Corrupt),
        Error::DictTooManyKeys { .. } => ("DictTooManyKeys", K::Limit),
        Error::DictBodyLength { .. } => ("DictBodyLength", K::Corrupt),
        Error::DictMacRequired => ("DictMacRequired", K::Unauthenticated),
        Error::DictUnknownKey { .. } => ("DictUnknownKey", K::Unauthenticated),
        Error::DictMacMismatch { .. } => ("DictMacMismatch", K::Unauthenticated),
        Error::DictDigestMismatch { .. } => ("DictDigestMismatch", K::Corrupt),
        Error::DictNotUtf8 { .. } => ("DictNotUtf8", K::Corrupt),
        Error::DictKeyBounds { .. } => ("DictKeyBounds", K::Corrupt),
        Error::DictBadIndex { .. } => ("DictBadIndex", K::Corrupt),
        Error::DictIndexCount { .. } => ("DictIndexCount", K::Corrupt),
        Error::DictDuplicateKey { .. } => ("DictDuplicateKey", K::Corrupt),
        Error::DictInvalidInput { .. } => ("DictInvalidInput", K::InvalidInput),
        Error::DictTooLarge { .. } => ("DictTooLarge", K::Limit),
    }
}

/// Number of arms of `expected_kind`.
const VARIANTS: usize = 62;

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
    vec![
        Error::NotSessionpack {
            found: Format::Json,
        },
        Error::Truncated {
            part: BlobPart::Body,
            needed: 4096,
            available: 1200,
        },
        Error::TrailingBytes {
            expected: 100,
            actual: 101,
        },
        Error::UnsupportedVersion { version: 2 },
        Error::UnknownFlags { bits: 0x80 },
        Error::ReservedNotZero { offset: 6 },
        Error::DecodedTooLarge {
            declared: 1 << 30,
            limit: 16 << 20,
        },
        Error::RawLengthMismatch {
            stored: 10,
            decoded: 12,
        },
        Error::BadFrame {
            problem: FrameProblem::NoChecksum,
        },
        Error::FrameSizeMismatch {
            header: 100,
            frame: 99,
        },
        Error::Decompress {
            message: "Data corruption detected".into(),
        },
        Error::UnknownDictionary { id: 7 },
        Error::BodyDigestMismatch {
            declared: 1,
            actual: 2,
        },
        Error::DictionaryMismatch {
            header: 1,
            frame: 2,
        },
        Error::DigestMismatch {
            declared: 1,
            actual: 2,
        },
        Error::KeyIdMismatch {
            key_id: 0,
            mac_flag: true,
        },
        Error::MacRequired,
        Error::UnknownKey { key_id: 3 },
        Error::MacMismatch { key_id: 3 },
        Error::InvalidKey {
            problem: KeyProblem::TooShort,
        },
        Error::Expired {
            expires_at: 1,
            now: 2,
        },
        Error::ArchiveLength { len: 12, min: 80 },
        Error::ArchivePointer {
            field,
            offset: 40,
            problem: PointerProblem::PastEnd,
        },
        Error::ArchiveLayout {
            field: FieldName::plain("tenant_id"),
            offset: 3,
            expected: 2,
            problem: LayoutProblem::Gap,
        },
        Error::ArchivePadding {
            offset: 14,
            byte: 1,
            before: FieldName::plain("roles"),
        },
        Error::InvalidUtf8 { field, offset: 8 },
        Error::KeysNotSorted {
            field: EntriesField::Attributes,
            key: "b".into(),
        },
        Error::InvalidIdSet {
            field: IdSetField::Groups,
            offset: 64,
            error: id_set,
        },
        Error::ArchiveIssuedAfterExpiry {
            issued_at: 2,
            expires_at: 1,
        },
        Error::IdSet(id_set),
        Error::IssuedAfterExpiry {
            issued_at: 2,
            expires_at: 1,
        },
        Error::LimitExceeded {
            what: LimitName::SettingKeyOrValue,
            value: 20_000,
            limit: 16_384,
        },
        Error::Json {
            message: "settings.theme: expected a string, found a map".into(),
            line: 1,
            column: 30,
        },
        Error::Compress {
            message: "Allocation error".into(),
        },
        Error::DictNotADictionary {
            found: Format::Unknown,
        },
        Error::DictTruncated {
            part: BlobPart::Header,
            needed: 40,
            available: 12,
        },
        Error::DictTrailingBytes {
            expected: 100,
            actual: 101,
        },
        Error::DictUnsupportedVersion { version: 2 },
        Error::DictUnknownFlags { bits: 0x02 },
        Error::DictReservedNotZero { offset: 27 },
        Error::DictKeyIdMismatch {
            key_id: 3,
            mac_flag: false,
        },
        Error::DictUnknownKeyType { value: 9 },
        Error::DictUnknownKind { value: 3 },
        Error::DictTenantTooLong { len: 65 },
        Error::DictZeroLineage,
        Error::DictTooManyKeys {
            count: 2_000_000,
            limit: 1_000_000,
        },
        Error::DictBodyLength {
            declared: 10,
            min: 17,
            max: 17,
        },
        Error::DictMacRequired,
        Error::DictUnknownKey { key_id: 4 },
        Error::DictMacMismatch { key_id: 4 },
        Error::DictDigestMismatch {
            declared: 1,
            actual: 2,
        },
        Error::DictNotUtf8 {
            id: Some(3),
            offset: 90,
        },
        Error::DictKeyBounds { id: 2, offset: 70 },
        Error::DictBadIndex { id: 5, slot: 9 },
        Error::DictIndexCount {
            occupied: 6,
            count: 5,
        },
        Error::DictDuplicateKey { id: 4, first: 1 },
        Error::DictInvalidInput {
            problem: DictInputProblem::UuidText,
        },
        Error::DictTooLarge { len: 1 << 32 },
        Error::ArchiveNoLineage,
        Error::ForeignDictionary {
            set: IdSetField::Facilities,
            set_lineage: Some(1),
            dictionary: 2,
            dictionary_kind: DictKind::Facility,
        },
        Error::KeyNotInDictionary {
            set: IdSetField::Groups,
            key: "icu".into(),
        },
        Error::UnauthenticatedDictionary {
            set: IdSetField::Facilities,
        },
    ]
}

#[test]
fn every_variant_has_its_kind_and_a_message() {
    let all = one_of_each();
    let mut names: Vec<&str> = all.iter().map(|e| expected_kind(e).0).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), all.len(), "a variant is listed twice");
    assert_eq!(all.len(), VARIANTS, "a variant is missing from one_of_each");
    for e in &all {
        let (name, kind) = expected_kind(e);
        assert_eq!(e.kind(), kind, "{name}");
        let message = e.to_string();
        assert!(!message.is_empty(), "{name}");
        assert!(!message.ends_with(['.', ' ', '\n']), "{name}: {message:?}");
        // Only the JSON refusal names a function path on purpose ("use sessionpack::detect").
        let intended = matches!(
            e,
            Error::NotSessionpack {
                found: Format::Json
            }
        );
        assert_eq!(
            message.contains("sessionpack::"),
            intended,
            "{name}: {message}"
        );
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
            "invalid_input"
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
    let e = Error::Truncated {
        part: BlobPart::Body,
        needed: 4096,
        available: 1200,
    };
    assert_eq!(
        e.to_string(),
        "blob is truncated: the body needs 4096 bytes, 1200 present"
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
    let e = Error::KeysNotSorted {
        field: EntriesField::Settings,
        key: "a".into(),
    };
    assert_eq!(
        e.to_string(),
        "`settings` keys must be sorted and unique; \"a\" is out of order or repeated"
    );
    assert_eq!(
        Error::ArchiveLayout {
            field: FieldName::plain("root"),
            offset: 88,
            expected: 80,
            problem: LayoutProblem::Gap,
        }
        .to_string(),
        "archive field `root` starts at byte 88, but a writer puts it at byte 80: a field's data \
         starts right after the previous field's data and the padding its alignment needs \
         (SPEC.md section 6.4)"
    );
    assert_eq!(
        Error::ArchivePadding {
            offset: 14,
            byte: 1,
            before: FieldName::plain("roles"),
        }
        .to_string(),
        "archive padding byte 14 (before `roles`) is 0x01: padding bytes are zero (SPEC.md \
         section 6.4)"
    );
    assert_eq!(
        Error::ArchiveLength { len: 12, min: 80 }.to_string(),
        "archive of 12 bytes cannot hold a session: it must be at least 80 bytes and a multiple \
         of 8"
    );
}

#[test]
fn an_id_set_error_is_the_source_of_a_session_error() {
    let error = IdSetError::TrailingBytes {
        offset: 10,
        extra: 2,
    };
    let e = Error::InvalidIdSet {
        field: IdSetField::Facilities,
        offset: 64,
        error,
    };
    let source = std::error::Error::source(&e).map(ToString::to_string);
    assert_eq!(source, Some(error.to_string()));
    assert_eq!(error.kind(), ErrorKind::Corrupt);
    assert_eq!(error.offset(), 10);
    assert_eq!(Error::from(error), Error::IdSet(error));
    assert_eq!(Error::IdSet(error).to_string(), error.to_string());
}
