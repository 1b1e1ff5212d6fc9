//! The per-key step: a legacy document to the blob to write, through the mapping and the
//! tenant's dictionaries, checked against the document (parity) before anything is written.

use sessionpack::error::{LegacyError, LegacyRule};
use sessionpack::{Decoder, Encoder, Error, Expiry, LegacyMapping, Session};

use super::dictionaries::{DictFailure, Dictionaries, TenantDicts};
use super::parity::{self, ListPaths};
use super::tenant::TenantReader;
use crate::Failure;

/// Why one key failed: the run goes on.
#[derive(Debug)]
pub struct KeyFailure {
    /// The M-… rule, `parity`, or an error kind.
    pub reason: String,
    /// Where in the legacy document (a JSON pointer), when known.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl KeyFailure {
    fn of(e: &Error) -> KeyFailure {
        match e {
            Error::Legacy(l) => KeyFailure {
                reason: l.rule.id().to_owned(),
                path: Some(l.path.clone()),
                message: crate::explain::message(e),
            },
            _ => KeyFailure {
                reason: crate::explain::kind(e).to_owned(),
                path: None,
                message: crate::explain::message(e),
            },
        }
    }

    /// A legacy value longer than `limit` bytes, of which only `limit` + 1 were read:
    /// M-DOC-SIZE, as the mapping refuses it, unparsed.
    pub fn too_long(limit: usize) -> KeyFailure {
        KeyFailure::of(&Error::Legacy(LegacyError::document_too_long(
            limit,
            "the document",
            "--max-document-bytes",
        )))
    }

    fn parity(message: String) -> KeyFailure {
        KeyFailure {
            reason: "parity".into(),
            path: None,
            message,
        }
    }
}

/// What the step needs across keys: the mapping, the dictionaries, the encoder and decoder.
pub struct Converter {
    pub mapping: LegacyMapping,
    pub tenants: TenantReader,
    pub lists: ListPaths,
    pub dicts: Dictionaries,
    pub encoder: Encoder,
    pub decoder: Decoder,
    /// The tenant of the last key converted: tried first.
    last_tenant: Option<String>,
}

/// A converted key: the blob (its parity checked equal), and when its session was issued.
pub struct Converted {
    pub blob: Vec<u8>,
    pub issued_at: i64,
}

impl Converter {
    pub fn new(
        mapping: LegacyMapping,
        tenants: TenantReader,
        lists: ListPaths,
        dicts: Dictionaries,
        encoder: Encoder,
        decoder: Decoder,
    ) -> Converter {
        Converter {
            mapping,
            tenants,
            lists,
            dicts,
            encoder,
            decoder: decoder.with_expiry(Expiry::Ignore),
            last_tenant: None,
        }
    }

    /// The blob of the legacy `document`, its parity checked. `Err(Ok(_))`: this key failed;
    /// `Err(Err(_))`: the run stops.
    pub fn convert(&mut self, document: &[u8]) -> Result<Converted, Result<KeyFailure, Failure>> {
        let session = self.session(document)?;
        let blob = self
            .encoder
            .encode(&session)
            .map_err(|e| Ok(KeyFailure::of(&e)))?
            .to_vec();
        self.check_parity(document, &session.tenant_id, &blob)
            .map_err(|m| Ok(KeyFailure::parity(m)))?;
        Ok(Converted {
            blob,
            issued_at: session.issued_at,
        })
    }

    /// When the session of a blob already at a blob key was issued; `None` when those bytes
    /// are not a blob this run can open (another format, another MAC key): never written over.
    pub fn issued_at_of(&mut self, blob: &[u8]) -> Option<i64> {
        self.decoder.open(blob).ok().map(|view| view.issued_at())
    }

    /// The session of `document` through its tenant's dictionaries, growing them as needed.
    fn session(&mut self, document: &[u8]) -> Result<Session, Result<KeyFailure, Failure>> {
        let fail = |e: &Error| Ok(KeyFailure::of(e));
        let mut tenant = match self.last_tenant.clone() {
            Some(t) => t,
            None => self.tenants.tenant_of(document).map_err(|e| fail(&e))?,
        };
        for _ in 0..2 {
            match self.session_of(document, &tenant)? {
                Ok(session) if session.tenant_id == tenant => {
                    self.last_tenant = Some(tenant);
                    return Ok(session);
                }
                Ok(session) => tenant = session.tenant_id,
                Err(Error::Legacy(l)) if l.rule == LegacyRule::DictTenant => {
                    tenant = self.tenants.tenant_of(document).map_err(|e| fail(&e))?;
                }
                Err(e) => return Err(fail(&e)),
            }
        }
        Err(Ok(KeyFailure {
            reason: "invalid_input".into(),
            path: None,
            message: "the document's tenant could not be settled".into(),
        }))
    }

    /// Converts through `tenant`'s dictionaries; the keys they lack are appended first.
    fn session_of(
        &mut self,
        document: &[u8],
        tenant: &str,
    ) -> Result<Result<Session, Error>, Result<KeyFailure, Failure>> {
        let dicts = self.dicts.of(tenant).map_err(dict_failure)?;
        let first = self
            .mapping
            .convert(document, &dicts.facilities.view(), &dicts.groups.view());
        match first {
            Err(Error::Legacy(l)) if l.rule == LegacyRule::DictAbsent => {}
            other => return Ok(other),
        }
        let mut grown = TenantDicts {
            facilities: dicts.facilities.clone(),
            groups: dicts.groups.clone(),
        };
        if let Err(e) =
            self.mapping
                .convert_appending(document, &mut grown.facilities, &mut grown.groups)
        {
            return Ok(Err(e));
        }
        self.dicts.grow(tenant, grown).map_err(dict_failure)?;
        let dicts = self.dicts.of(tenant).map_err(dict_failure)?;
        Ok(self
            .mapping
            .convert(document, &dicts.facilities.view(), &dicts.groups.view()))
    }

    /// The keys the blob reaches through the tenant's dictionaries equal the document's.
    fn check_parity(&mut self, document: &[u8], tenant: &str, blob: &[u8]) -> Result<(), String> {
        let doc: serde_json::Value =
            serde_json::from_slice(document.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(document))
                .map_err(|e| format!("the document is not JSON: {e}"))?;
        let dicts = self
            .dicts
            .of(tenant)
            .map_err(|_| "the tenant's dictionaries could not be read".to_owned())?;
        let (f, g) = (dicts.facilities.view(), dicts.groups.view());
        let legacy = self.lists.legacy_keys(&doc, [f.key_type(), g.key_type()])?;
        let view = self
            .decoder
            .open(blob)
            .map_err(|e| format!("the blob does not open: {e}"))?;
        let [lf, lg] = legacy;
        for (what, legacy, set, dict) in [
            ("facilities", lf, view.facilities(), &f),
            ("groups", lg, view.groups(), &g),
        ] {
            let legacy = legacy.unwrap_or_default();
            let blob = if set.is_empty() {
                Default::default()
            } else {
                parity::blob_keys(set, dict)?
            };
            if legacy != blob {
                return Err(parity::difference(what, &legacy, &blob));
            }
        }
        Ok(())
    }
}

fn dict_failure(e: DictFailure) -> Result<KeyFailure, Failure> {
    match e {
        DictFailure::Refused(kind, message) => Ok(KeyFailure {
            reason: kind.to_owned(),
            path: None,
            message,
        }),
        DictFailure::Fatal(f) => Err(f),
    }
}
