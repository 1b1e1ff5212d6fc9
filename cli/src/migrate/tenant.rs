//! Which tenant a legacy document belongs to, before its dictionaries are chosen: the mapping
//! without its lists (no dictionary needed) read through the library.

use serde_json::Value;
use sessionpack::{DictKind, Error, IdDictionary, KeyType, LegacyMapping};

/// The mapping's fields but its lists, and two empty dictionaries to convert through.
pub struct TenantReader {
    mapping: LegacyMapping,
    facilities: IdDictionary,
    groups: IdDictionary,
}

impl TenantReader {
    /// From the mapping document `mapping` (accepted by the library already) and the size
    /// limit of a legacy document.
    pub fn new(mapping: &Value, max_document_len: usize) -> Result<TenantReader, Error> {
        let mut fields = mapping.clone();
        if let Value::Object(members) = &mut fields {
            for list in ["roles", "settings", "attributes", "facilities", "groups"] {
                members.remove(list);
            }
        }
        let text = serde_json::to_vec(&fields).unwrap_or_default();
        Ok(TenantReader {
            mapping: LegacyMapping::from_json(&text)?.with_max_document_len(max_document_len),
            facilities: IdDictionary::new("-", DictKind::Facility, KeyType::String, 1)?,
            groups: IdDictionary::new("-", DictKind::Group, KeyType::String, 2)?,
        })
    }

    /// The tenant of `document`: its refusal names the path when the document does not fit.
    pub fn tenant_of(&self, document: &[u8]) -> Result<String, Error> {
        let session =
            self.mapping
                .convert(document, &self.facilities.view(), &self.groups.view())?;
        Ok(session.tenant_id)
    }
}
