//! `sessionpack migrate`: every legacy JSON session of a Redis server or cluster converted to
//! a blob beside it (`--to`), never touching the legacy keys. The parts, one per file: the
//! masters and their SCAN ([`scan`]), reading legacy keys ([`fetch`]), the blob keys
//! ([`blobs`]), the tenants' dictionaries in Redis ([`dictionaries`]), the per-key step
//! ([`step`], with [`tenant`] and [`parity`]), `--rate` ([`pace`]), `--checkpoint`
//! ([`checkpoint`]), the counters ([`summary`]) and what is shown ([`report`]).

mod blobs;
mod checkpoint;
mod dictionaries;
mod fetch;
mod pace;
mod parity;
mod report;
mod scan;
mod step;
mod summary;
mod tenant;

use std::process::ExitCode;
use std::time::Instant;

use sessionpack::{Decoder, DictionaryDecoder, Encoder, LegacyMapping};
use sessionpack_redis::{KeyTemplate, SessionStore, Target};

use self::blobs::{Blobs, Write};
use self::checkpoint::{Checkpoint, Fingerprint, Position};
use self::dictionaries::Dictionaries;
use self::fetch::Legacy;
use self::pace::Pace;
use self::report::Report;
use self::scan::Master;
use self::step::Converter;
use self::summary::Counts;
use crate::args::MigrateArgs;
use crate::{dict_file, input, Failure};

pub fn run(args: &MigrateArgs) -> Result<ExitCode, Failure> {
    let template = KeyTemplate::parse(&args.to).map_err(|e| Failure::Input(e.to_string()))?;
    let key = input::key(&args.key)?;
    if key.is_none() && !args.unsigned {
        return Err(Failure::Input(
            "migrate writes signed blobs: give the MAC key (--key-file FILE --key-id ID), or \
             --unsigned to write unsigned blobs and dictionaries"
                .into(),
        ));
    }
    let mapping_bytes = dict_file::read(&args.mapping)?;
    let mapping = LegacyMapping::from_json(&mapping_bytes)
        .map_err(|e| dict_file::in_file(&args.mapping, e))?
        .with_max_document_len(args.max_document_bytes);
    let mapping_json: serde_json::Value = serde_json::from_slice(&mapping_bytes)
        .map_err(|e| Failure::Input(format!("{}: {e}", args.mapping.display())))?;
    let tenants = tenant::TenantReader::new(&mapping_json, args.max_document_bytes)
        .map_err(|e| dict_file::in_file(&args.mapping, e))?;
    let lists = parity::ListPaths::from_mapping(&mapping_json);
    let mut checkpoint = args
        .checkpoint
        .as_deref()
        .map(|p| Checkpoint::open(p, Fingerprint::new(&args.pattern, &args.to, &mapping_bytes)))
        .transpose()?;

    // Where to read and write.
    let (mut masters, mut blobs, target) = match (&args.target.redis, &args.target.cluster) {
        (Some(url), _) => {
            let masters = scan::standalone(url)?;
            let conn = scan::connect(scan::info(url)?, url)?;
            (
                masters,
                Blobs::Server(conn),
                Target::standalone(url.clone()),
            )
        }
        (None, Some(list)) => {
            let seeds: Vec<String> = list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            let masters = scan::cluster(&seeds)?;
            (masters, Blobs::cluster(&seeds)?, Target::cluster(seeds))
        }
        (None, None) => {
            return Err(Failure::Input(
                "give --redis URL or --cluster URL[,URL...]".into(),
            ))
        }
    };
    let target = target.with_timeout(std::time::Duration::from_secs(10));
    let redis_failed =
        |e: sessionpack_redis::Error| Failure::Input(format!("cannot use the Redis target: {e}"));
    let mut dict_decoder = DictionaryDecoder::new();
    let mut encoder = Encoder::new();
    let mut decoder = Decoder::new();
    if let Some(key) = &key {
        dict_decoder = dict_decoder.with_key(key.clone());
        encoder = encoder.with_key(key.clone());
        decoder = decoder.with_key(key.clone());
    }
    if args.allow_unsigned || key.is_none() {
        dict_decoder = dict_decoder.allow_unsigned();
    }
    let store = SessionStore::connect(&target)
        .map_err(redis_failed)?
        .with_dictionaries(dict_decoder, key.clone());
    let dicts = Dictionaries::new(store, args.dict_keys.into(), args.dry_run);
    let mut converter = Converter::new(mapping, tenants, lists, dicts, encoder, decoder);

    let mut run = Run {
        args,
        template: &template,
        counts: Counts::default(),
        report: Report::new(args.dry_run),
        pace: args.rate.map(Pace::new),
    };
    for master in &mut masters {
        let mut position = checkpoint.as_ref().map_or(
            Position {
                cursor: 0,
                done: false,
            },
            |c| c.position(&master.address),
        );
        while !position.done {
            let (next, keys) = scan::step(master, position.cursor, &args.pattern, args.batch)?;
            let found = keys.len();
            run.batch(master, &mut blobs, &mut converter, keys)?;
            position = Position {
                cursor: next,
                done: next == 0,
            };
            run.counts.dictionary_keys_appended = converter.dicts.appended;
            if let Some(c) = checkpoint.as_mut() {
                c.save(&master.address, position)?;
            }
            run.report
                .batch(&run.counts, &master.address, next, found)?;
        }
    }
    if let Some(c) = checkpoint {
        c.finish()?;
    }
    run.report.summary(&run.counts)?;
    Ok(if run.counts.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// A run in progress.
struct Run<'a> {
    args: &'a MigrateArgs,
    template: &'a KeyTemplate,
    counts: Counts,
    report: Report,
    pace: Option<Pace>,
}

impl Run<'_> {
    /// The keys of one SCAN batch, in chunks (a burst of `--rate`, or the whole batch).
    fn batch(
        &mut self,
        master: &mut Master,
        blobs: &mut Blobs,
        converter: &mut Converter,
        keys: Vec<Vec<u8>>,
    ) -> Result<(), Failure> {
        let mut legacy_keys = Vec::with_capacity(keys.len());
        for raw in keys {
            match String::from_utf8(raw) {
                Ok(key) if self.template.is_blob_key(&key) => {
                    self.counts.skipped_blob_keys += 1;
                }
                Ok(key) => legacy_keys.push(key),
                Err(e) => {
                    self.counts.scanned += 1;
                    self.counts.fail("key_not_utf8");
                    let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
                    self.report.failure(
                        &shown,
                        "key_not_utf8",
                        None,
                        "the key is not UTF-8 text: it has no blob key",
                    )?;
                }
            }
        }
        let chunk = self
            .pace
            .as_ref()
            .map_or(legacy_keys.len().max(1), Pace::burst);
        for keys in legacy_keys.chunks(chunk) {
            if let Some(pace) = self.pace.as_mut() {
                pace.admit(keys.len());
            }
            self.chunk(master, blobs, converter, keys)?;
        }
        Ok(())
    }

    /// Reads, converts, checks and writes `keys` (three round trips: the legacy keys, the
    /// blob keys, the writes).
    fn chunk(
        &mut self,
        master: &mut Master,
        blobs: &mut Blobs,
        converter: &mut Converter,
        keys: &[String],
    ) -> Result<(), Failure> {
        self.counts.scanned += u64::try_from(keys.len()).unwrap_or(u64::MAX);
        let limit = converter.mapping.max_document_len();
        let legacy = fetch::legacy(master, keys, limit)?;
        let mut converted = Vec::new();
        for (key, found) in keys.iter().zip(legacy) {
            match found {
                Legacy::Gone => self.counts.gone += 1,
                // Never parsed, never converted: no blob is written for it.
                Legacy::TooLong => self.failed(key, &step::KeyFailure::too_long(limit))?,
                Legacy::Refused(message) => {
                    self.counts.fail("wrong_type");
                    self.report.failure(key, "wrong_type", None, &message)?;
                }
                Legacy::Found(document, expires) => match converter.convert(&document) {
                    Ok(c) => {
                        self.counts.converted += 1;
                        self.counts.parity_checked += 1;
                        self.counts.parity_equal += 1;
                        self.counts.bytes_before += len(&document);
                        self.counts.bytes_after += len(&c.blob);
                        converted.push((
                            Write {
                                key: self.template.apply(key),
                                bytes: c.blob,
                                ttl_ms: None,
                                held: None,
                            },
                            expires,
                            (key.clone(), c.issued_at, len(&document)),
                        ));
                    }
                    Err(Ok(failure)) => {
                        if failure.reason == "parity" {
                            self.counts.parity_checked += 1;
                        }
                        self.failed(key, &failure)?;
                    }
                    Err(Err(fatal)) => return Err(fatal),
                },
            }
        }
        let blob_keys: Vec<String> = converted.iter().map(|(w, _, _)| w.key.clone()).collect();
        let current = blobs.read(&blob_keys)?;
        let now = Instant::now();
        let mut writes = Vec::with_capacity(converted.len());
        let mut legacy_of = Vec::with_capacity(converted.len());
        let mut expiries = Vec::new();
        for ((mut w, expires, (legacy_key, issued_at, doc_len)), held) in
            converted.into_iter().zip(current)
        {
            if let Some(at) = expires {
                // The time the legacy key has left now: the blob expires with it.
                let left = at.saturating_duration_since(now).as_millis();
                if left == 0 {
                    self.went(doc_len, len(&w.bytes));
                    continue;
                }
                w.ttl_ms = Some(u64::try_from(left).unwrap_or(u64::MAX));
            }
            if held.value.as_deref() == Some(w.bytes.as_slice()) {
                self.counts.unchanged += 1;
                // The bytes are current; the expiry may have moved since (a legacy key whose
                // TTL was slid with EXPIRE, or made persistent): the blob's follows it.
                if expiry_moved(held.pttl_ms, w.ttl_ms) {
                    expiries.push((w.key, w.ttl_ms));
                }
                continue;
            }
            match &held.value {
                // Nothing there: write (if still nothing at the write).
                None if held.pttl_ms == -2 => {}
                // A value that is no blob of this run (another type, another format, another
                // MAC key — or a legacy key that happens to have the blob key's form): never
                // written over.
                None => {
                    self.taken(
                        (&legacy_key, &w.key, "a value that is not a string"),
                        doc_len,
                        len(&w.bytes),
                    )?;
                    continue;
                }
                Some(bytes) => match converter.issued_at_of(bytes) {
                    None => {
                        self.taken(
                            (
                                &legacy_key,
                                &w.key,
                                "bytes that are not a blob this run opens",
                            ),
                            doc_len,
                            len(&w.bytes),
                        )?;
                        continue;
                    }
                    // A blob issued after the legacy JSON read here: a dual writer's, kept.
                    Some(theirs) if theirs > issued_at => {
                        self.counts.newer_kept += 1;
                        continue;
                    }
                    Some(_) => {}
                },
            }
            w.held = held.value;
            legacy_of.push((legacy_key, doc_len));
            writes.push(w);
        }
        let moved = u64::try_from(expiries.len()).unwrap_or(u64::MAX);
        if self.args.dry_run {
            self.counts.would_write += u64::try_from(writes.len()).unwrap_or(u64::MAX);
            self.counts.would_move_expiry += moved;
            return Ok(());
        }
        let made = blobs.write(&writes)?;
        blobs.expire(&expiries)?;
        self.counts.expiry_moved += moved;
        // A legacy key deleted (a logout) while its blob was being written: the blob goes too,
        // so that the migration never revives a session.
        let written: Vec<(&(String, u64), &Write)> = legacy_of
            .iter()
            .zip(&writes)
            .zip(made)
            .filter_map(|((l, w), made)| {
                if !made {
                    self.counts.changed_meanwhile += 1;
                }
                made.then_some((l, w))
            })
            .collect();
        let legacy_keys: Vec<String> = written.iter().map(|((l, _), _)| l.clone()).collect();
        let alive = fetch::exist(master, &legacy_keys)?;
        let mut revoked = Vec::new();
        for (((_, doc_len), w), alive) in written.iter().zip(alive) {
            if alive {
                self.counts.written += 1;
            } else {
                self.went(*doc_len, len(&w.bytes));
                revoked.push((w.key.clone(), w.bytes.clone()));
            }
        }
        blobs.delete_if_held(&revoked)?;
        Ok(())
    }

    /// A key converted whose legacy key went (expired, deleted) before its blob was kept: it
    /// counts once, as `gone`, and no longer as converted (nor its parity, nor its bytes).
    fn went(&mut self, doc_len: u64, blob_len: u64) {
        self.counts.gone += 1;
        self.uncount(doc_len, blob_len);
    }

    /// Takes back the counts a key's conversion made (`converted`, its parity, its bytes): the
    /// key ends up counted once, elsewhere (`gone`, or failed as `blob_key_taken`).
    fn uncount(&mut self, doc_len: u64, blob_len: u64) {
        let c = &mut self.counts;
        c.converted = c.converted.saturating_sub(1);
        c.parity_checked = c.parity_checked.saturating_sub(1);
        c.parity_equal = c.parity_equal.saturating_sub(1);
        c.bytes_before = c.bytes_before.saturating_sub(doc_len);
        c.bytes_after = c.bytes_after.saturating_sub(blob_len);
    }

    /// A key that fails: counted by its reason, and reported.
    fn failed(&mut self, key: &str, failure: &step::KeyFailure) -> Result<(), Failure> {
        self.counts.fail(&failure.reason);
        self.report.failure(
            key,
            &failure.reason,
            failure.path.as_deref(),
            &failure.message,
        )
    }

    /// A blob key that holds something this run never writes over: the key fails, and counts
    /// once, as failed (no longer as converted).
    fn taken(
        &mut self,
        (legacy_key, blob_key, what): (&str, &str, &str),
        doc_len: u64,
        blob_len: u64,
    ) -> Result<(), Failure> {
        self.uncount(doc_len, blob_len);
        self.counts.fail("blob_key_taken");
        self.report.failure(
            legacy_key,
            "blob_key_taken",
            None,
            &format!(
                "the blob key {blob_key:?} holds {what}: it is left as it is (choose another --to, or remove it)"
            ),
        )
    }
}

/// How far a blob's remaining TTL may be from its legacy key's before the migration moves it:
/// the time between reading the two.
const EXPIRY_SLACK_MS: i64 = 1_000;

/// Whether a current blob with PTTL `held_ms` (-1: none) must be given the legacy key's
/// remaining TTL `want_ms` (`None`: none): one has a TTL and the other not, or they differ by
/// more than [`EXPIRY_SLACK_MS`].
fn expiry_moved(held_ms: i64, want_ms: Option<u64>) -> bool {
    match (held_ms, want_ms) {
        (-1, None) => false,
        (held, Some(want)) if held >= 0 => {
            let want = i64::try_from(want).unwrap_or(i64::MAX);
            held.abs_diff(want) > EXPIRY_SLACK_MS.unsigned_abs()
        }
        _ => true,
    }
}

fn len(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::expiry_moved;

    #[test]
    fn an_expiry_moves_when_the_ttls_differ_by_more_than_a_second_or_one_is_missing() {
        assert!(!expiry_moved(-1, None));
        assert!(!expiry_moved(60_000, Some(60_500)));
        assert!(!expiry_moved(60_000, Some(59_000)));
        assert!(expiry_moved(60_000, Some(61_001)));
        assert!(expiry_moved(60_000, Some(58_999)));
        assert!(expiry_moved(60_000, None));
        assert!(expiry_moved(-1, Some(60_000)));
        assert!(expiry_moved(-2, Some(60_000)));
        assert!(expiry_moved(-2, None));
    }
}
