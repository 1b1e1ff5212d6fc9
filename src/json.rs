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

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::fmt;

use roaring::RoaringBitmap;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize};

#[cfg(feature = "json")]
use crate::Error;
use crate::Session;

impl Serialize for Session {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Ids<'a>(&'a RoaringBitmap);
        impl Serialize for Ids<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut seq = serializer.serialize_seq(usize::try_from(self.0.len()).ok())?;
                for id in self.0 {
                    seq.serialize_element(&id)?;
                }
                seq.end()
            }
        }
        let mut s = serializer.serialize_struct("Session", 10)?;
        s.serialize_field("user_id", &self.user_id)?;
        s.serialize_field("tenant_id", &self.tenant_id)?;
        s.serialize_field("token", &self.token)?;
        s.serialize_field("issued_at", &self.issued_at)?;
        s.serialize_field("expires_at", &self.expires_at)?;
        s.serialize_field("roles", &self.roles)?;
        s.serialize_field("settings", &self.settings)?;
        s.serialize_field("attributes", &self.attributes)?;
        s.serialize_field("facilities", &Ids(&self.facilities))?;
        s.serialize_field("groups", &Ids(&self.groups))?;
        s.end()
    }
}

/// The JSON form as serde reads it; turned into a [`Session`] once `expires_at` is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionJson {
    user_id: String,
    tenant_id: String,
    token: String,
    issued_at: i64,
    expires_at: i64,
    roles: Vec<String>,
    #[serde(deserialize_with = "settings")]
    settings: BTreeMap<String, String>,
    #[serde(deserialize_with = "attributes")]
    attributes: BTreeMap<String, String>,
    #[serde(deserialize_with = "facilities")]
    facilities: RoaringBitmap,
    #[serde(deserialize_with = "groups")]
    groups: RoaringBitmap,
}

impl<'de> Deserialize<'de> for Session {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let j = SessionJson::deserialize(deserializer)?;
        if j.expires_at < j.issued_at {
            return Err(de::Error::custom(format_args!(
                "`expires_at` ({}) is before `issued_at` ({})",
                j.expires_at, j.issued_at
            )));
        }
        Ok(Session {
            user_id: j.user_id,
            tenant_id: j.tenant_id,
            token: j.token,
            issued_at: j.issued_at,
            expires_at: j.expires_at,
            roles: j.roles,
            settings: j.settings,
            attributes: j.attributes,
            facilities: j.facilities,
            groups: j.groups,
        })
    }
}

fn settings<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    d.deserialize_map(UniqueMap("settings"))
}

fn attributes<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    d.deserialize_map(UniqueMap("attributes"))
}

fn facilities<'de, D: Deserializer<'de>>(d: D) -> Result<RoaringBitmap, D::Error> {
    d.deserialize_seq(IdList("facilities"))
}

fn groups<'de, D: Deserializer<'de>>(d: D) -> Result<RoaringBitmap, D::Error> {
    d.deserialize_seq(IdList("groups"))
}

/// A string-to-string map that refuses repeated keys.
struct UniqueMap(&'static str);

impl<'de> Visitor<'de> for UniqueMap {
    type Value = BTreeMap<String, String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` as an object of strings", self.0)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some((key, value)) = map.next_entry::<String, String>()? {
            match out.entry(key) {
                Entry::Vacant(slot) => {
                    slot.insert(value);
                }
                Entry::Occupied(slot) => {
                    return Err(de::Error::custom(format_args!(
                        "`{}`: key {:?} appears twice",
                        self.0,
                        slot.key()
                    )));
                }
            }
        }
        Ok(out)
    }
}

/// An array of distinct `u32` ids, in any order.
struct IdList(&'static str);

impl<'de> Visitor<'de> for IdList {
    type Value = RoaringBitmap;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` as an array of ids", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = RoaringBitmap::new();
        while let Some(id) = seq.next_element_seed(Id(self.0))? {
            if !out.insert(id) {
                return Err(de::Error::custom(format_args!(
                    "`{}`: id {id} appears twice",
                    self.0
                )));
            }
        }
        Ok(out)
    }
}

/// One id of the list named `.0`: an integer in `0..=4294967295`.
struct Id(&'static str);

impl Id {
    fn out_of_range<E: de::Error>(&self, shown: impl fmt::Display) -> E {
        E::custom(format_args!(
            "`{}`: id {shown} is outside 0..=4294967295",
            self.0
        ))
    }
}

impl<'de> DeserializeSeed<'de> for Id {
    type Value = u32;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_u32(self)
    }
}

impl Visitor<'_> for Id {
    type Value = u32;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an id of `{}` (an integer in 0..=4294967295)", self.0)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
        u32::try_from(v).map_err(|_| self.out_of_range(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
        u32::try_from(v).map_err(|_| self.out_of_range(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
        Err(E::custom(format_args!(
            "`{}`: id {v} is not an integer in 0..=4294967295",
            self.0
        )))
    }
}

#[cfg(feature = "json")]
impl Session {
    /// Reads a session from its JSON form.
    ///
    /// # Errors
    ///
    /// [`Error::Json`] naming the field for unknown or duplicate fields, duplicate keys or
    /// ids, ids outside `u32`, and `expires_at < issued_at`.
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
    /// assert!(err.to_string().contains("`facilities`: id -1 is outside"));
    /// # Ok::<(), sessionpack::Error>(())
    /// ```
    pub fn from_json(json: &[u8]) -> Result<Session, Error> {
        serde_json::from_slice(json).map_err(Error::Json)
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
