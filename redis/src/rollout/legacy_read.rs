//! The bounded read of a legacy key (`ROLLOUT.md` RO-LEGACY-BOUND): `GETRANGE key 0 limit`,
//! so that at most the mapping's size limit plus one byte crosses the wire, and `EXISTS` only
//! when the reply is empty.

use sessionpack::error::LegacyError;

use crate::core::one;
use crate::op::read;
use crate::{AsyncSessionStore, Error};

impl AsyncSessionStore {
    /// The legacy value under `key`, read with `GETRANGE key 0 limit`: `None` when the key is
    /// missing (asked with `EXISTS` only for an empty reply; a key that exists then is read
    /// again, as it may have been written between the two), the bytes when they are at most
    /// `limit`, M-DOC-SIZE (kind `limit`) when the value is longer, unparsed. A key of another
    /// type is the server's `WRONGTYPE` error.
    pub(crate) async fn get_legacy(
        &self,
        key: &str,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, Error> {
        // GETRANGE takes a signed 64-bit end: a limit beyond it reads everything.
        let last = i64::try_from(limit).unwrap_or(i64::MAX);
        let range = || one(key, Ok(crate::link::get_range(key, last)), read::<Vec<u8>>);
        let mut bytes: Vec<u8> = self.link.drive(range()).await?;
        if bytes.is_empty() {
            let exists: bool = self
                .link
                .drive(one(key, Ok(crate::link::exists(key)), read::<bool>))
                .await?;
            if !exists {
                return Ok(None);
            }
            // Present now: empty, or written (a login) between the two questions — read again.
            bytes = self.link.drive(range()).await?;
        }
        if bytes.len() > limit {
            return Err(too_long(key, limit));
        }
        Ok(Some(bytes))
    }
}

/// M-DOC-SIZE for the legacy value under `key`, longer than `limit` bytes (only its first
/// `limit` + 1 bytes were read: its length is not known).
pub(crate) fn too_long(key: &str, limit: usize) -> Error {
    Error::Session(sessionpack::Error::Legacy(LegacyError::document_too_long(
        limit,
        &format!("the legacy value under {key:?}"),
        "the mapping's max_document_len",
    )))
}

#[cfg(test)]
mod tests {
    use super::too_long;
    use crate::ErrorKind;

    #[test]
    fn an_oversized_value_is_m_doc_size_of_kind_limit() {
        let e = too_long("sess:1", 8);
        assert_eq!(e.kind(), ErrorKind::Limit);
        assert_eq!(e.session().and_then(|s| s.rule()), Some("M-DOC-SIZE"));
        assert!(e.to_string().contains("more than 8 bytes"), "{e}");
    }
}
