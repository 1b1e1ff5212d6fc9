//! The JSON form of a [`Session`] (`SPEC.md`, "JSON form"), for migration and tooling.
//!
//! ```json
//! {"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque…","issued_at":1764147600000,
//!  "expires_at":1764151200000,"roles":["staff"],"settings":{"language":"en"},"attributes":{},
//!  "facilities":[1,2,3],"groups":[10,11]}
//! ```
//!
//! Every field is required. Unknown fields, duplicate fields, duplicate setting or attribute
//! keys, duplicate ids, ids outside `0..=4294967295` and `expires_at < issued_at` are refused
//! with an error that names the field. Ids are written in ascending order.

use std::collections::BTreeMap;
use std::fmt;

use roaring::RoaringBitmap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

#[cfg(feature = "json")]
use crate::{Error, Limits};
use crate::{IdDictionaryView, Key, KeyType, Session};

#[cfg(feature = "json")]
mod keyed;
#[cfg(feature = "json")]
pub use keyed::JsonDicts;

impl Serialize for Session {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        write_session(self, [None, None], serializer)
    }
}

/// Writes `session`'s fields; a set with a dictionary in `keys` (facilities, groups) is written
/// as its members' keys, in id order. In a human-readable format the lineages are written only
/// when present, as 16 lowercase hex digits; in others always, as integers (0 for none).
pub(crate) fn write_session<S: Serializer>(
    session: &Session,
    keys: [Option<&IdDictionaryView<'_>>; 2],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    struct Ids<'a>(&'a RoaringBitmap, Option<&'a IdDictionaryView<'a>>);
    impl Serialize for Ids<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(usize::try_from(self.0.len()).ok())?;
            for id in self.0 {
                match self.1 {
                    None => seq.serialize_element(&id)?,
                    Some(dict) => {
                        let key = dict.key_of(id).ok_or_else(|| {
                            ser::Error::custom(format_args!(
                                "id {id} is past the end of the dictionary ({} keys): \
                                 fetch the current dictionary",
                                dict.len()
                            ))
                        })?;
                        seq.serialize_element(&key.to_string())?;
                    }
                }
            }
            seq.end()
        }
    }
    let human = serializer.is_human_readable();
    let lineages = [session.facility_lineage, session.group_lineage];
    let extra = if human {
        lineages.iter().flatten().count()
    } else {
        2
    };
    let [facility_keys, group_keys] = keys;
    let mut s = serializer.serialize_struct("Session", 10 + extra)?;
    s.serialize_field("user_id", &session.user_id)?;
    s.serialize_field("tenant_id", &session.tenant_id)?;
    s.serialize_field("token", &session.token)?;
    s.serialize_field("issued_at", &session.issued_at)?;
    s.serialize_field("expires_at", &session.expires_at)?;
    s.serialize_field("roles", &session.roles)?;
    s.serialize_field("settings", &session.settings)?;
    s.serialize_field("attributes", &session.attributes)?;
    s.serialize_field("facilities", &Ids(&session.facilities, facility_keys))?;
    s.serialize_field("groups", &Ids(&session.groups, group_keys))?;
    for (name, lineage) in LINEAGE_FIELDS.into_iter().zip(lineages) {
        match lineage {
            Some(lineage) if human => s.serialize_field(name, &format!("{lineage:016x}"))?,
            None if human => s.skip_field(name)?,
            lineage => s.serialize_field(name, &lineage.unwrap_or(0))?,
        }
    }
    s.end()
}

impl<'de> Deserialize<'de> for Session {
    /// Reads the JSON form. In a self-describing, human-readable format (JSON) every value is
    /// read with `deserialize_any`, so that a refusal can say what was found and where
    /// (`settings.theme: expected a string, found a map`); other formats get each field's type
    /// as a hint, in the order of the fields.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Whole::default().read(deserializer).map(|read| read.session)
    }
}

/// The two optional fields, written after the ten when present: the lineage of the dictionary
/// each id set refers to.
const LINEAGE_FIELDS: [&str; 2] = ["facility_lineage", "group_lineage"];

/// Every field, in the order they are written: the ten required ones, then the lineages.
const ALL_FIELDS: [&str; 12] = [
    "user_id",
    "tenant_id",
    "token",
    "issued_at",
    "expires_at",
    "roles",
    "settings",
    "attributes",
    "facilities",
    "groups",
    "facility_lineage",
    "group_lineage",
];

/// The ten required fields, in the order they are written (a legacy mapping names the same
/// ten, `legacy::mapping`).
pub(crate) const FIELDS: [&str; 10] = [
    "user_id",
    "tenant_id",
    "token",
    "issued_at",
    "expires_at",
    "roles",
    "settings",
    "attributes",
    "facilities",
    "groups",
];

/// Where a value is in the JSON form: what refusals start with.
#[derive(Clone, Copy)]
enum Path<'a> {
    /// The whole document.
    Root,
    /// A field of the session.
    Field(&'static str),
    /// An entry of a list field: `roles[2]`.
    Index(&'static str, usize),
    /// A value of a map field: `settings.theme`, or `settings["a b"]` for a key that is not a
    /// plain word.
    Key(&'static str, &'a str),
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Path::Root => f.write_str("the session"),
            Path::Field(name) => f.write_str(name),
            Path::Index(name, i) => write!(f, "{name}[{i}]"),
            Path::Key(name, key) => {
                let plain = !key.is_empty()
                    && key
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                if plain {
                    write!(f, "{name}.{key}")
                } else {
                    write!(f, "{name}[{key:?}]")
                }
            }
        }
    }
}

/// What was found where something else was expected, in words.
enum Found<'a> {
    Str(&'a str),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Bool(bool),
    Null,
    Map,
    Array,
    Bytes,
    Other,
}

impl fmt::Display for Found<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        /// Strings are shown up to this many characters.
        const SHOWN: usize = 64;
        match *self {
            Found::Str(s) => match s.char_indices().nth(SHOWN) {
                Some((cut, _)) => write!(f, "the string {:?}…", s.get(..cut).unwrap_or(s)),
                None => write!(f, "the string {s:?}"),
            },
            Found::Unsigned(v) => write!(f, "the number {v}"),
            Found::Signed(v) => write!(f, "the number {v}"),
            // Integral floats keep their ".0" (4294967295.0 is not the integer 4294967295);
            // very large or small ones are shown in exponent form.
            Found::Float(v) if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e21 => {
                write!(f, "the number {v:.1}")
            }
            Found::Float(v) if v.is_finite() && v != 0.0 && (v.abs() < 1e-6 || v.abs() >= 1e21) => {
                write!(f, "the number {v:e}")
            }
            Found::Float(v) => write!(f, "the number {v}"),
            Found::Bool(v) => write!(f, "the boolean {v}"),
            Found::Null => f.write_str("null"),
            Found::Map => f.write_str("a map"),
            Found::Array => f.write_str("an array"),
            Found::Bytes => f.write_str("bytes"),
            Found::Other => f.write_str("another kind of value"),
        }
    }
}

/// A refusal at `path`.
fn at<E: de::Error>(path: Path<'_>, what: impl fmt::Display) -> E {
    match path {
        Path::Root => E::custom(what),
        path => E::custom(format_args!("{path}: {what}")),
    }
}

/// One value of the JSON form: what it expects, where it is, and what it accepts. Every kind of
/// value it does not accept is refused in one sentence: `<path>: expected <what>, found <found>`.
trait Expect<'de>: Sized {
    type Value;

    /// Where the value is.
    fn path(&self) -> Path<'_>;
    /// What the value must be, in words (`a string`).
    fn what(&self) -> &'static str;
    /// Reads the value with the type hint of a format that is not self-describing.
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error>;

    fn refuse<E: de::Error>(&self, found: Found<'_>) -> E {
        at(
            self.path(),
            format_args!("expected {}, found {found}", self.what()),
        )
    }
    fn str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Err(self.refuse(Found::Str(v)))
    }
    fn u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Err(self.refuse(Found::Unsigned(v)))
    }
    fn i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Err(self.refuse(Found::Signed(v)))
    }
    fn f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Err(self.refuse(Found::Float(v)))
    }
    fn map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse(Found::Map))
    }
    fn seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.refuse(Found::Array))
    }

    /// Reads the value: any kind in a human-readable format, to name what was found.
    fn read<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if d.is_human_readable() {
            d.deserialize_any(Visit(self))
        } else {
            self.hinted(d)
        }
    }
}

/// The serde visitor of an [`Expect`].
struct Visit<T>(T);

impl<'de, T: Expect<'de>> Visitor<'de> for Visit<T> {
    type Value = T::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.path(), self.0.what())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T::Value, E> {
        Err(self.0.refuse(Found::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T::Value, E> {
        self.0.i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T::Value, E> {
        self.0.u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T::Value, E> {
        self.0.f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T::Value, E> {
        self.0.str(v)
    }
    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<T::Value, E> {
        Err(self.0.refuse(Found::Bytes))
    }
    fn visit_unit<E: de::Error>(self) -> Result<T::Value, E> {
        Err(self.0.refuse(Found::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<T::Value, E> {
        Err(self.0.refuse(Found::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, _: D) -> Result<T::Value, D::Error> {
        Err(self.0.refuse(Found::Other))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<T::Value, D::Error> {
        Err(self.0.refuse(Found::Other))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, _: A) -> Result<T::Value, A::Error> {
        Err(self.0.refuse(Found::Other))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T::Value, A::Error> {
        self.0.map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T::Value, A::Error> {
        self.0.seq(seq)
    }
}

/// Makes an [`Expect`] a seed, for map values and array elements.
struct Seed<T>(T);

impl<'de, T: Expect<'de>> DeserializeSeed<'de> for Seed<T> {
    type Value = T::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<T::Value, D::Error> {
        self.0.read(d)
    }
}

/// A string.
struct Text<'p>(Path<'p>);

impl<'de> Expect<'de> for Text<'_> {
    type Value = String;

    fn path(&self) -> Path<'_> {
        self.0
    }
    fn what(&self) -> &'static str {
        "a string"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_string(Visit(self))
    }
    fn str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

/// A time: Unix milliseconds, an integer in `i64`.
struct Millis(&'static str);

impl<'de> Expect<'de> for Millis {
    type Value = i64;

    fn path(&self) -> Path<'_> {
        Path::Field(self.0)
    }
    fn what(&self) -> &'static str {
        "Unix milliseconds as an integer"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<i64, D::Error> {
        d.deserialize_i64(Visit(self))
    }
    fn i64<E: de::Error>(self, v: i64) -> Result<i64, E> {
        Ok(v)
    }
    fn u64<E: de::Error>(self, v: u64) -> Result<i64, E> {
        i64::try_from(v).map_err(|_| {
            at(
                self.path(),
                format_args!(
                    "expected Unix milliseconds as an integer in {}..={}, found the number {v}",
                    i64::MIN,
                    i64::MAX
                ),
            )
        })
    }
}

/// The roles: an array of strings.
struct RoleList;

impl<'de> Expect<'de> for RoleList {
    type Value = Vec<String>;

    fn path(&self) -> Path<'_> {
        Path::Field("roles")
    }
    fn what(&self) -> &'static str {
        "an array of strings"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_seq(Visit(self))
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        // The hint is the count the input claims: trust it only as far as a small cap.
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
        while let Some(role) = seq.next_element_seed(Seed(Text(Path::Index("roles", out.len()))))? {
            out.push(role);
        }
        Ok(out)
    }
}

/// `settings` or `attributes`: a map of strings to strings with no repeated key.
struct TextMap(&'static str);

impl<'de> Expect<'de> for TextMap {
    type Value = BTreeMap<String, String>;

    fn path(&self) -> Path<'_> {
        Path::Field(self.0)
    }
    fn what(&self) -> &'static str {
        "a map of strings"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(Visit(self))
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(at(self.path(), format_args!("key {key:?} appears twice")));
            }
            let value = map.next_value_seed(Seed(Text(Path::Key(self.0, &key))))?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// `facilities` or `groups`: an array of distinct ids, in any order; with a dictionary's key
/// type, also of distinct keys written as text.
struct IdList(&'static str, Option<KeyType>);

/// What an [`IdList`] holds: the ids given as integers, and the keys given as text (their
/// bytes, in the order given), which the caller translates through its dictionary.
#[derive(Default)]
pub(crate) struct Members {
    pub(crate) ids: RoaringBitmap,
    pub(crate) keys: Vec<Vec<u8>>,
}

impl<'de> Expect<'de> for IdList {
    type Value = Members;

    fn path(&self) -> Path<'_> {
        Path::Field(self.0)
    }
    fn what(&self) -> &'static str {
        "an array of ids"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Members, D::Error> {
        d.deserialize_seq(Visit(self))
    }
    fn seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Members, A::Error> {
        let mut out = Members::default();
        let mut seen = std::collections::HashSet::new();
        let mut index = 0_usize;
        let path = |index| Path::Index(self.0, index);
        while let Some(member) = seq.next_element_seed(Seed(Member(path(index), self.1)))? {
            match member {
                Ok(id) if !out.ids.insert(id) => {
                    return Err(at(path(index), format_args!("id {id} appears twice")));
                }
                Ok(_) => {}
                Err(key) => {
                    if !seen.insert(key.clone()) {
                        return Err(at(path(index), "the key appears twice"));
                    }
                    out.keys.push(key);
                }
            }
            index += 1;
        }
        Ok(out)
    }
}

/// One member of an id list: an id (`Ok`), or, with a key type, a key's bytes (`Err`).
struct Member(Path<'static>, Option<KeyType>);

impl<'de> Expect<'de> for Member {
    type Value = Result<u32, Vec<u8>>;

    fn path(&self) -> Path<'_> {
        self.0
    }
    fn what(&self) -> &'static str {
        match self.1 {
            None => "an id as an integer in 0..=4294967295",
            Some(KeyType::ObjectId) => "an ObjectId (24 hex digits) or an id",
            Some(KeyType::Uuid) => "a UUID or an id",
            Some(_) => "a string key (at most 64 bytes) or an id",
        }
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_u32(Visit(self))
    }
    fn u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        u32::try_from(v)
            .map(Ok)
            .map_err(|_| self.refuse(Found::Unsigned(v)))
    }
    fn str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let Some(key_type) = self.1 else {
            return Err(self.refuse(Found::Str(v)));
        };
        match Key::parse(key_type, v) {
            Ok(key) => Ok(Err(key.as_bytes().to_vec())),
            Err(crate::Error::Dict(crate::error::DictError::InvalidInput { problem })) => Err(at(
                self.path(),
                format_args!("{problem}, found {}", Found::Str(v)),
            )),
            Err(_) => Err(self.refuse(Found::Str(v))),
        }
    }
}

/// A dictionary lineage: 16 lowercase hex digits, not all zero (an integer in formats that are
/// not human-readable, where 0 means none: [`LineageInt`]).
struct LineageValue(&'static str);

impl<'de> Expect<'de> for LineageValue {
    type Value = Option<u64>;

    fn path(&self) -> Path<'_> {
        Path::Field(self.0)
    }
    fn what(&self) -> &'static str {
        "a dictionary lineage as 16 lowercase hex digits, not all zero"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_u64(Visit(LineageInt(self.0)))
    }
    fn str<E: de::Error>(self, v: &str) -> Result<Option<u64>, E> {
        let lower_hex = v.len() == 16 && v.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match u64::from_str_radix(v, 16) {
            Ok(lineage) if lower_hex && lineage != 0 => Ok(Some(lineage)),
            _ => Err(self.refuse(Found::Str(v))),
        }
    }
}

/// A lineage in a format that is not human-readable: a `u64`, 0 for none.
struct LineageInt(&'static str);

impl<'de> Expect<'de> for LineageInt {
    type Value = Option<u64>;

    fn path(&self) -> Path<'_> {
        Path::Field(self.0)
    }
    fn what(&self) -> &'static str {
        "a dictionary lineage as an integer"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Option<u64>, D::Error> {
        d.deserialize_u64(Visit(self))
    }
    fn u64<E: de::Error>(self, v: u64) -> Result<Option<u64>, E> {
        Ok(Some(v).filter(|&v| v != 0))
    }
}

/// The whole session: a map of the ten required fields and, when present, the two lineages
/// (`SPEC.md` section 10); or, in a format that is not self-describing, all twelve fields in
/// order (`ALL_FIELDS`).
#[derive(Clone, Copy, Default)]
pub(crate) struct Whole {
    /// The key types of the dictionaries of `facilities` and `groups`, when given: their
    /// arrays may then hold keys as text.
    pub(crate) key_types: [Option<KeyType>; 2],
}

/// A session read by [`Whole`], with the keys its id lists gave as text (facilities, groups).
pub(crate) struct Read {
    pub(crate) session: Session,
    // Read by the JSON form over dictionaries (feature `json`); serde alone has no keys to read.
    #[cfg_attr(not(feature = "json"), allow(dead_code))]
    pub(crate) keys: [Vec<Vec<u8>>; 2],
}

/// The fields read so far.
#[derive(Default)]
struct Fields {
    user_id: Option<String>,
    tenant_id: Option<String>,
    token: Option<String>,
    issued_at: Option<i64>,
    expires_at: Option<i64>,
    roles: Option<Vec<String>>,
    settings: Option<BTreeMap<String, String>>,
    attributes: Option<BTreeMap<String, String>>,
    facilities: Option<Members>,
    groups: Option<Members>,
    facility_lineage: Option<Option<u64>>,
    group_lineage: Option<Option<u64>>,
}

impl Fields {
    /// Reads the value of field `name` with `from`; refuses an unknown or repeated field
    /// before reading its value, so the error points at its key.
    fn read<'de, R: Reader<'de>>(
        &mut self,
        name: &str,
        from: R,
        key_types: [Option<KeyType>; 2],
    ) -> Result<(), R::Error> {
        fn once<'de, T: Expect<'de>, R: Reader<'de>>(
            slot: &mut Option<T::Value>,
            name: &str,
            from: R,
            expect: T,
        ) -> Result<(), R::Error> {
            if slot.is_some() {
                return Err(de::Error::custom(format_args!("duplicate field `{name}`")));
            }
            *slot = Some(from.value(expect)?);
            Ok(())
        }
        let text = |field| Text(Path::Field(field));
        match name {
            "user_id" => once(&mut self.user_id, name, from, text("user_id")),
            "tenant_id" => once(&mut self.tenant_id, name, from, text("tenant_id")),
            "token" => once(&mut self.token, name, from, text("token")),
            "issued_at" => once(&mut self.issued_at, name, from, Millis("issued_at")),
            "expires_at" => once(&mut self.expires_at, name, from, Millis("expires_at")),
            "roles" => once(&mut self.roles, name, from, RoleList),
            "settings" => once(&mut self.settings, name, from, TextMap("settings")),
            "attributes" => once(&mut self.attributes, name, from, TextMap("attributes")),
            "facilities" => once(
                &mut self.facilities,
                name,
                from,
                IdList("facilities", key_types[0]),
            ),
            "groups" => once(&mut self.groups, name, from, IdList("groups", key_types[1])),
            "facility_lineage" => once(
                &mut self.facility_lineage,
                name,
                from,
                LineageValue("facility_lineage"),
            ),
            "group_lineage" => once(
                &mut self.group_lineage,
                name,
                from,
                LineageValue("group_lineage"),
            ),
            other => Err(de::Error::custom(format_args!(
                "unknown field `{other}`; a session has exactly the fields {}, and optionally {}",
                FIELDS.join(", "),
                LINEAGE_FIELDS.join(", ")
            ))),
        }
    }

    /// The session, once every field is there and `expires_at >= issued_at`.
    fn finish<E: de::Error>(self) -> Result<Read, E> {
        fn need<T, E: de::Error>(slot: Option<T>, name: &str) -> Result<T, E> {
            slot.ok_or_else(|| E::custom(format_args!("missing field `{name}`")))
        }
        let facilities = need(self.facilities, "facilities")?;
        let groups = need(self.groups, "groups")?;
        let session = Session {
            user_id: need(self.user_id, "user_id")?,
            tenant_id: need(self.tenant_id, "tenant_id")?,
            token: need(self.token, "token")?,
            issued_at: need(self.issued_at, "issued_at")?,
            expires_at: need(self.expires_at, "expires_at")?,
            roles: need(self.roles, "roles")?,
            settings: need(self.settings, "settings")?,
            attributes: need(self.attributes, "attributes")?,
            facilities: facilities.ids,
            groups: groups.ids,
            facility_lineage: self.facility_lineage.flatten(),
            group_lineage: self.group_lineage.flatten(),
        };
        if session.expires_at < session.issued_at {
            return Err(at(
                Path::Field("expires_at"),
                format_args!(
                    "{} is before issued_at ({})",
                    session.expires_at, session.issued_at
                ),
            ));
        }
        Ok(Read {
            session,
            keys: [facilities.keys, groups.keys],
        })
    }
}

/// Reads one value with an [`Expect`]: a map's next value or a sequence's next element.
trait Reader<'de> {
    type Error: de::Error;
    fn value<T: Expect<'de>>(self, expect: T) -> Result<T::Value, Self::Error>;
}

struct MapValue<'m, A>(&'m mut A);

impl<'de, A: MapAccess<'de>> Reader<'de> for MapValue<'_, A> {
    type Error = A::Error;
    fn value<T: Expect<'de>>(self, expect: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(expect))
    }
}

struct SeqElement<'s, A>(&'s mut A, usize);

impl<'de, A: SeqAccess<'de>> Reader<'de> for SeqElement<'_, A> {
    type Error = A::Error;
    fn value<T: Expect<'de>>(self, expect: T) -> Result<T::Value, A::Error> {
        self.0
            .next_element_seed(Seed(expect))?
            .ok_or_else(|| de::Error::invalid_length(self.1, &"a session of twelve fields"))
    }
}

impl<'de> Expect<'de> for Whole {
    type Value = Read;

    fn path(&self) -> Path<'_> {
        Path::Root
    }
    fn what(&self) -> &'static str {
        "a session as a map of its ten fields"
    }
    fn hinted<D: Deserializer<'de>>(self, d: D) -> Result<Read, D::Error> {
        d.deserialize_struct("Session", &ALL_FIELDS, Ordered(self))
    }
    fn map<A: MapAccess<'de>>(self, mut map: A) -> Result<Read, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            fields.read(&key, MapValue(&mut map), self.key_types)?;
        }
        fields.finish()
    }
}

/// The session in a format that is not self-describing: the twelve fields, in order.
struct Ordered(Whole);

impl<'de> Visitor<'de> for Ordered {
    type Value = Read;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a session of twelve fields")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Read, A::Error> {
        let mut fields = Fields::default();
        for (i, name) in ALL_FIELDS.into_iter().enumerate() {
            fields.read(name, SeqElement(&mut seq, i), self.0.key_types)?;
        }
        fields.finish()
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Read, A::Error> {
        self.0.map(map)
    }
}

#[cfg(feature = "json")]
impl Session {
    /// Reads a session from its JSON form.
    ///
    /// # Errors
    ///
    /// [`Error::Json`] with the line and column where reading stopped, and a message that
    /// names the field's path and what was found: for broken JSON, unknown, missing or
    /// duplicate fields, values of the wrong type, duplicate keys or ids, ids outside `u32`,
    /// and `expires_at < issued_at`. [`Error::LimitExceeded`] for a session above the default
    /// [`Limits`] (a string over 16 KiB, more than 1,024 roles, …): the JSON form accepts
    /// nothing the default encoder refuses.
    ///
    /// ```
    /// let json = br#"{"user_id":"64b7f0c2e1a9","tenant_id":"acme","token":"opaque",
    ///   "issued_at":1764147600000,"expires_at":1764151200000,"roles":["staff"],
    ///   "settings":{"language":"en"},"attributes":{},"facilities":[1,2,3],"groups":[10,11]}"#;
    /// let session = sessionpack::Session::from_json(json)?;
    /// assert!(session.facilities.contains(2));
    ///
    /// let bad = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":0,
    ///   "roles":[],"settings":{},"attributes":{},"facilities":[-1],"groups":[]}"#;
    /// let err = sessionpack::Session::from_json(bad).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "invalid JSON session at line 2, column 59: \
    ///      facilities[0]: expected an id as an integer in 0..=4294967295, found the number -1"
    /// );
    /// assert_eq!(err.kind(), sessionpack::ErrorKind::InvalidInput);
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Session, Error> {
        Session::from_json_with_limits(json, &Limits::DEFAULT)
    }

    /// Reads a session from its JSON form and checks it against `limits`, as the
    /// [`Encoder`](crate::Encoder) holding those limits would: the JSON form accepts nothing
    /// the encoder refuses. [`from_json`](Self::from_json) uses the default limits.
    ///
    /// # Errors
    ///
    /// As [`from_json`](Self::from_json), and [`Error::LimitExceeded`] (kind
    /// [`Limit`](crate::ErrorKind::Limit)) naming the field and the limit it breaks.
    ///
    /// ```
    /// use sessionpack::error::LimitName;
    /// use sessionpack::{Error, ErrorKind, Limits, Session};
    ///
    /// let json = br#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,
    ///   "roles":["staff","admin"],"settings":{},"attributes":{},"facilities":[],"groups":[]}"#;
    /// assert!(Session::from_json(json).is_ok());
    /// let one_role = Limits::default().with_max_roles(1);
    /// let err = Session::from_json_with_limits(json, &one_role).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::Limit);
    /// assert!(matches!(err, Error::LimitExceeded { what: LimitName::Roles, value: 2, limit: 1 }));
    /// assert_eq!(err.rule(), Some("R-LIMIT-ROLES"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn from_json_with_limits(json: &[u8], limits: &Limits) -> Result<Session, Error> {
        let session: Session = serde_json::from_slice(json).map_err(|e| json_error(&e))?;
        session.check(limits)?;
        Ok(session)
    }

    /// The JSON form, compact.
    ///
    /// ```
    /// let s = sessionpack::Session::new("u", "t", "k", 0, 1).with_facilities([2, 1]);
    /// assert_eq!(
    ///     s.to_json(),
    ///     r#"{"user_id":"u","tenant_id":"t","token":"k","issued_at":0,"expires_at":1,"roles":[],"settings":{},"attributes":{},"facilities":[1,2],"groups":[]}"#
    /// );
    /// ```
    pub fn to_json(&self) -> String {
        // Serializing strings, integers and maps with string keys cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The JSON form, indented.
    ///
    /// ```
    /// let s = sessionpack::Session::default();
    /// assert!(s.to_json_pretty().starts_with("{\n  \"user_id\": \"\""));
    /// ```
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// The [`Error::Json`] of a `serde_json` error: its message without the position serde_json
/// appends, and the position apart.
#[cfg(feature = "json")]
pub(crate) fn json_error(e: &serde_json::Error) -> Error {
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let suffix = format!(" at line {line} column {column}");
    let message = match full.strip_suffix(&suffix) {
        Some(message) if line != 0 => message.to_owned(),
        _ => full,
    };
    Error::Json {
        message,
        line,
        column,
    }
}
