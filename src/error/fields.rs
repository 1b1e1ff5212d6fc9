//! The small enums that say which part, field or problem an [`Error`](super::Error) is about:
//! values to match on, each displayed in the words of the error's message.

use core::fmt;

use crate::dict_kind::DictKind;

/// Defines a `Copy` enum of unit variants with a `name` and a `Display` of that name.
macro_rules! words {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident => $words:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// The words the error message uses for this value.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $name::$variant => $words, )+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

words! {
    /// The part of a blob or dictionary that is cut short, in
    /// [`EnvelopeError::Truncated`](super::EnvelopeError::Truncated).
    ///
    /// ```
    /// use sessionpack::error::{BlobPart, EnvelopeError};
    /// use sessionpack::Error;
    ///
    /// let blob = sessionpack::encode(&sessionpack::Session::default())?;
    /// let err = sessionpack::decode(&blob[..20]).unwrap_err();
    /// assert!(matches!(
    ///     err,
    ///     Error::Envelope { error: EnvelopeError::Truncated { part: BlobPart::Header, .. }, .. }
    /// ));
    /// assert_eq!(BlobPart::MacTrailer.to_string(), "MAC trailer");
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub enum BlobPart {
        /// The fixed 40-byte header: "header".
        Header => "header",
        /// The body the header declares: "body".
        Body => "body",
        /// The 32-byte MAC trailer of a signed blob: "MAC trailer".
        MacTrailer => "MAC trailer",
    }
}

words! {
    /// Which kind of input an error is about: a session blob (`SPEC.md` sections 2 to 9) or an
    /// id dictionary (section 16). The two share their envelope's faults
    /// ([`Error::NotABlob`](super::Error::NotABlob), [`Error::Envelope`](super::Error::Envelope)
    /// and the MAC's), each told apart by the rule it breaks ([`Error::rule`](super::Error::rule)).
    ///
    /// ```
    /// use sessionpack::error::Blob;
    /// use sessionpack::{DictionaryDecoder, Error};
    ///
    /// let err = DictionaryDecoder::new().open(b"{}").unwrap_err();
    /// assert!(matches!(err, Error::NotABlob { blob: Blob::Dictionary, .. }));
    /// assert_eq!(err.rule(), Some("R-DICT-MAGIC"));
    /// assert_eq!(Blob::Session.to_string(), "blob");
    /// ```
    pub enum Blob {
        /// A session blob (magic `93 53 50 4B`): "blob".
        Session => "blob",
        /// An id dictionary (magic `93 53 50 44`): "dictionary".
        Dictionary => "dictionary",
    }
}

words! {
    /// What is wrong with a compressed body, in [`BodyError::BadFrame`](super::BodyError::BadFrame)
    /// (`SPEC.md`, "The body").
    ///
    /// ```
    /// use sessionpack::error::FrameProblem;
    ///
    /// assert_eq!(
    ///     FrameProblem::NoChecksum.to_string(),
    ///     "the zstd frame has no content checksum"
    /// );
    /// ```
    pub enum FrameProblem {
        /// The body is shorter than the zstd magic number.
        TooShort => "the body is shorter than a zstd frame's magic number",
        /// The body is a skippable frame.
        Skippable => "the body is a skippable frame, not a zstd frame",
        /// The body does not start with the zstd magic number.
        NoMagic => "the body does not start with the zstd magic number",
        /// The frame header descriptor is missing.
        HeaderTruncated => "the zstd frame header is truncated",
        /// The frame carries no content checksum.
        NoChecksum => "the zstd frame has no content checksum",
        /// The frame header sets its unused or reserved bit.
        ReservedBits => "the zstd frame header sets its unused or reserved bit",
        /// The frame's window is larger than libzstd accepts: its window log (10 plus the
        /// exponent of its `Window_Descriptor`) is above 31 (R-FRAME-WINDOW).
        WindowTooLarge => "the zstd frame's window is larger than libzstd accepts (its window log is above 31)",
        /// The frame does not declare its content size.
        NoContentSize => "the zstd frame does not declare its content size",
        /// zstd cannot read the frame header.
        MalformedHeader => "the zstd frame header is malformed",
        /// The blob header names a dictionary, but the body is stored raw.
        DictionaryOnRawBody => "the header names a dictionary but the body is stored raw",
        /// Bytes follow the frame.
        TrailingData => "bytes follow the zstd frame (a second frame?)",
        /// The frame ends early or its blocks are malformed.
        Malformed => "the zstd frame is truncated or malformed",
    }
}

words! {
    /// What is wrong with an archive field's relative pointer, in
    /// [`ArchiveError::Pointer`](super::ArchiveError::Pointer) (`SPEC.md`, "Vectors and
    /// relative pointers").
    ///
    /// ```
    /// assert_eq!(
    ///     sessionpack::error::PointerProblem::Misaligned.to_string(),
    ///     "its target is not aligned to 4 bytes"
    /// );
    /// ```
    pub enum PointerProblem {
        /// The pointer's own 8 bytes are not inside the archive.
        OutsideArchive => "the pointer itself is outside the archive",
        /// Its target is before the archive's first byte.
        BeforeStart => "it points before the start of the archive",
        /// Its length, in bytes, does not fit in memory.
        LengthTooLarge => "its length is too large",
        /// Its data runs past where the root starts.
        PastEnd => "it points past the end of the data (which ends where the root starts)",
        /// Its target breaks the table's 4-byte alignment.
        Misaligned => "its target is not aligned to 4 bytes",
        /// Its data overlaps or precedes an earlier field's.
        OutOfOrder => "its data overlaps or precedes an earlier field's (SPEC.md section 6.4 fixes the order)",
    }
}

words! {
    /// Why a field's data is not where `SPEC.md` section 6.4 places it, in
    /// [`ArchiveError::Layout`](super::ArchiveError::Layout). One session has exactly one
    /// archive: every vector's data starts where the previous one's ends, aligned as its step
    /// requires, and an empty vector points where its data would start.
    ///
    /// ```
    /// use sessionpack::error::LayoutProblem;
    ///
    /// assert_eq!(
    ///     LayoutProblem::EmptyMoved.to_string(),
    ///     "an empty field points where its data would start (SPEC.md section 6.4)"
    /// );
    /// ```
    pub enum LayoutProblem {
        /// A non-empty vector's data, or the root, does not start right after the previous
        /// field's data and the padding its step's alignment needs (R-ARC-GAP).
        Gap => "a field's data starts right after the previous field's data and the padding its alignment needs (SPEC.md section 6.4)",
        /// An empty vector does not point where its data would start (R-ARC-EMPTY).
        EmptyMoved => "an empty field points where its data would start (SPEC.md section 6.4)",
    }
}

words! {
    /// Why a MAC key was refused, in [`Error::InvalidKey`](super::Error::InvalidKey).
    ///
    /// ```
    /// use sessionpack::error::KeyProblem;
    /// use sessionpack::{Error, MacKey};
    ///
    /// let err = MacKey::new(1, b"short").unwrap_err();
    /// assert_eq!(err, Error::InvalidKey { problem: KeyProblem::TooShort });
    /// ```
    pub enum KeyProblem {
        /// Key id 0 means "unsigned".
        ReservedId => "key id 0 is reserved for unsigned blobs",
        /// The key is shorter than [`MacKey::MIN_LEN`](crate::MacKey::MIN_LEN).
        TooShort => "a MAC key must be at least 16 bytes (32 random bytes recommended)",
        /// The HMAC implementation refused the key.
        Refused => "HMAC-SHA256 refused the key",
    }
}

words! {
    /// What a dictionary writer or [`Key::parse`](crate::Key::parse) refused, in
    /// [`DictError::InvalidInput`](super::DictError::InvalidInput).
    ///
    /// ```
    /// use sessionpack::error::{DictError, DictInputProblem};
    /// use sessionpack::{Error, Key, KeyType};
    ///
    /// let err = Key::parse(KeyType::ObjectId, "64b7").unwrap_err();
    /// assert_eq!(err, Error::Dict(DictError::InvalidInput { problem: DictInputProblem::ObjectIdText }));
    /// ```
    pub enum DictInputProblem {
        /// An ObjectId's text is not 24 hexadecimal digits.
        ObjectIdText => "an ObjectId is written as 24 hexadecimal digits",
        /// A UUID's text is not 8-4-4-4-12 hexadecimal digits.
        UuidText => "a UUID is written as 32 hexadecimal digits in groups of 8-4-4-4-12",
        /// A key's bytes have the wrong length for its key type.
        KeyLength => "the key's bytes have the wrong length for its key type (12 for an ObjectId, 16 for a UUID)",
        /// A string key is longer than 64 bytes.
        StringTooLong => "a string key is at most 64 bytes",
        /// A string key's bytes are not UTF-8.
        NotUtf8 => "a string key must be UTF-8",
        /// A key is not of the dictionary's key type.
        WrongKeyType => "the key is not of the dictionary's key type",
        /// The tenant is longer than 64 bytes.
        TenantTooLong => "a tenant is at most 64 bytes",
        /// Lineage 0 is reserved.
        ZeroLineage => "lineage 0 is reserved (use 64 random bits)",
    }
}

words! {
    /// A session's map of string entries, in
    /// [`ArchiveError::KeysNotSorted`](super::ArchiveError::KeysNotSorted).
    ///
    /// ```
    /// assert_eq!(sessionpack::error::EntriesField::Attributes.to_string(), "attributes");
    /// ```
    pub enum EntriesField {
        /// `settings`.
        Settings => "settings",
        /// `attributes`.
        Attributes => "attributes",
    }
}

words! {
    /// A session's id set, in [`ArchiveError::IdSet`](super::ArchiveError::IdSet) and the errors
    /// of checks by key ([`Error::ForeignDictionary`](super::Error::ForeignDictionary), …).
    ///
    /// ```
    /// assert_eq!(sessionpack::error::IdSetField::Facilities.to_string(), "facilities");
    /// ```
    pub enum IdSetField {
        /// `facilities`.
        Facilities => "facilities",
        /// `groups`.
        Groups => "groups",
    }
}

words! {
    /// What is above its limit, in [`Error::LimitExceeded`](super::Error::LimitExceeded): one
    /// name per [`Limits`](crate::Limits) check, the same from the encoder and the decoder.
    ///
    /// ```
    /// use sessionpack::error::LimitName;
    /// use sessionpack::{Encoder, Error, Limits, Session};
    ///
    /// let session = Session::default().with_roles(["a", "b"]);
    /// let err = Encoder::new().with_limits(Limits::default().with_max_roles(1)).encode(&session);
    /// assert!(matches!(err, Err(Error::LimitExceeded { what: LimitName::Roles, value: 2, limit: 1 })));
    /// assert_eq!(LimitName::SettingKeyOrValue.to_string(), "setting key or value");
    /// ```
    pub enum LimitName {
        /// The decoded archive's size ([`Limits::max_decoded_len`](crate::Limits)), checked by
        /// the encoder; the decoder reports [`Error::DecodedTooLarge`](super::Error::DecodedTooLarge).
        DecodedSize => "decoded size",
        /// `user_id`'s length.
        UserId => "user_id",
        /// `tenant_id`'s length.
        TenantId => "tenant_id",
        /// `token`'s length.
        Token => "token",
        /// The number of roles.
        Roles => "roles",
        /// A role's length.
        Role => "role",
        /// The number of settings.
        Settings => "settings",
        /// A setting key's or value's length.
        SettingKeyOrValue => "setting key or value",
        /// The number of attributes.
        Attributes => "attributes",
        /// An attribute key's or value's length.
        AttributeKeyOrValue => "attribute key or value",
        /// The decoded size a compressed body declares, against what its stored size allows
        /// ([`Limits::max_inflation_ratio`](crate::Limits)); checked by the decoder from the
        /// header (the encoder stores such a body raw instead).
        InflatedSize => "decoded size of a compressed body",
    }
}

/// The name of an archive field, with an index for list entries (`roles[2]`,
/// `settings[0].key`), in [`ArchiveError::Pointer`](super::ArchiveError::Pointer),
/// [`ArchiveError::InvalidUtf8`](super::ArchiveError::InvalidUtf8) and the other archive faults.
///
/// ```
/// let name = sessionpack::error::FieldName { field: "settings", index: Some(0), part: Some("key") };
/// assert_eq!(name.to_string(), "settings[0].key");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FieldName {
    /// The field.
    pub field: &'static str,
    /// The entry of a list field, if any.
    pub index: Option<usize>,
    /// The part of an entry (`key` or `value`), if any.
    pub part: Option<&'static str>,
}

impl FieldName {
    pub(crate) const fn plain(field: &'static str) -> Self {
        FieldName {
            field,
            index: None,
            part: None,
        }
    }
}

impl fmt::Display for FieldName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field)?;
        if let Some(i) = self.index {
            write!(f, "[{i}]")?;
        }
        if let Some(p) = self.part {
            write!(f, ".{p}")?;
        }
        Ok(())
    }
}

impl FrameProblem {
    /// The `SPEC.md` rule a body with this problem breaks.
    pub(crate) const fn rule(self) -> &'static str {
        use FrameProblem::*;
        match self {
            TooShort | Skippable | NoMagic => "R-FRAME-MAGIC",
            NoChecksum => "R-FRAME-CHECKSUM",
            ReservedBits => "R-FRAME-BITS",
            WindowTooLarge => "R-FRAME-WINDOW",
            NoContentSize | MalformedHeader => "R-FRAME-SIZE",
            DictionaryOnRawBody => "R-HDR-RAW",
            HeaderTruncated | TrailingData | Malformed => "R-FRAME-WHOLE",
        }
    }
}

impl LimitName {
    /// The `SPEC.md` rule (section 8) of this limit.
    pub(crate) const fn rule(self) -> &'static str {
        use LimitName::*;
        match self {
            DecodedSize => "R-LIMIT-DECODED",
            InflatedSize => "R-LIMIT-RATIO",
            UserId | TenantId | Token | Role | SettingKeyOrValue | AttributeKeyOrValue => {
                "R-LIMIT-STRING"
            }
            Roles => "R-LIMIT-ROLES",
            Settings => "R-LIMIT-SETTINGS",
            Attributes => "R-LIMIT-ATTRIBUTES",
        }
    }
}

impl IdSetField {
    /// The kind of dictionary the ids of this set refer to.
    pub(crate) const fn dict_kind(self) -> DictKind {
        match self {
            IdSetField::Facilities => DictKind::Facility,
            IdSetField::Groups => DictKind::Group,
        }
    }
}
