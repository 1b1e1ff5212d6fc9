//! The command line, as clap reads it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sessionpack::{DictKind, KeyType};

/// Encode user sessions compactly, and read them back without deserializing.
#[derive(Parser, Debug)]
#[command(
    name = "sessionpack",
    version,
    after_help = "Examples:\n  sessionpack demo\n  sessionpack encode session.json -o session.bin\n  \
                  sessionpack inspect session.bin\n  sessionpack check session.bin --facility 1234\n  \
                  sessionpack dict new acme.facilities.dict --keys objectid --tenant acme --kind facility\n  \
                  redis-cli --no-raw GET session:42 | sessionpack inspect --hex\n\n\
                  Exit status:\n  \
                  0  success (check: every id is a member; detect: a sessionpack blob)\n  \
                  1  check: some id is not a member; detect: a JSON session\n  \
                  2  error, one line on stderr (detect: damaged, unknown or empty input)\n\n\
                  Output:\n  \
                  Text for people by default; times as Unix milliseconds and ISO 8601 (UTC).\n  \
                  --json (stats, detect, check, inspect) prints exactly one JSON object and a\n  \
                  newline on stdout, even on an error: {\"error\":{\"kind\":..,\"message\":..}},\n  \
                  with the same exit status and the error line on stderr. Errors in the\n  \
                  arguments themselves are usage text on stderr (exit 2), not JSON."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Whether the command was asked for `--json`: then even an error is a JSON object.
    pub fn json(&self) -> bool {
        match &self.command {
            Command::Inspect(a) => a.json.json,
            Command::Check(a) => a.json.json,
            Command::Stats(a) => a.json.json,
            Command::Detect(a) => a.json.json,
            Command::Dict(DictArgs {
                command: DictCommand::Inspect(a),
            }) => a.json.json,
            // convert's --json is the session's JSON form; a refusal writes nothing on stdout.
            Command::Encode(_)
            | Command::Convert(_)
            | Command::Migrate(_)
            | Command::Demo(_)
            | Command::Dict(_) => false,
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Encode a session's JSON form as a blob.
    ///
    /// Times are Unix milliseconds: a warning on stderr says when `issued_at` or `expires_at`
    /// looks like seconds (before 1973 as milliseconds); the blob is written anyway. Refuses to
    /// write a binary blob to a terminal: use -o FILE, redirect or pipe, or --hex.
    #[command(
        after_help = "Examples:\n  sessionpack encode session.json -o session.bin\n  \
                            sessionpack encode --raw < session.json > session.bin\n  \
                            sessionpack encode session.json --key-file mac.key --key-id 3 --hex\n  \
                            sessionpack encode session.json --facility-dict acme.facilities.dict \\\n    \
                            --group-dict acme.groups.dict --append -o session.bin\n\n\
                      With a dictionary, the JSON's facilities (or groups) may be its keys as\n\
                      strings. A key it does not hold is refused unless --append.\n\n\
                      Exit status: 0 written, 2 error (with --append, the dictionaries unchanged)."
    )]
    Encode(EncodeArgs),
    /// Convert a legacy JSON session to a blob through a mapping document (MAPPING.md) and the
    /// tenant's facility and group dictionaries.
    #[command(
        after_help = "Examples:\n  sessionpack convert --mapping examples/legacy-mapping.json \\\n    \
                            --facility-dict acme.facilities.dict --group-dict acme.groups.dict \\\n    \
                            legacy.json > session.bin\n  \
                            redis-cli --raw GET session:42 | sessionpack convert --mapping map.json \\\n    \
                            --facility-dict f.dict --group-dict g.dict --append --json\n\n\
                      A document that does not fit the mapping is refused naming the path and the\n\
                      rule (\"legacy session refused at /facilities/17/_id: ... (M-OID-TEXT)\").\n\
                      With --append the keys the dictionaries lack are appended and the files\n\
                      replaced atomically, only when the whole document converts.\n\n\
                      Exit status: 0 written, 2 error (nothing on stdout, the dictionaries unchanged)."
    )]
    Convert(ConvertArgs),
    /// Convert every legacy JSON session of a Redis server or cluster to a blob beside it.
    ///
    /// SCANs every master (MATCH --match, COUNT --batch, string keys only), converts each legacy
    /// session through --mapping and the tenant's dictionaries in Redis (dict:TENANT:facility,
    /// dict:TENANT:group; keys they lack are appended, safely beside other writers), checks the
    /// blob against the legacy document (parity of the facility and group key sets) and writes
    /// it to the --to key with the legacy key's remaining TTL. Never modifies or deletes a legacy
    /// key.
    #[command(
        after_help = "Examples:\n  sessionpack migrate --redis redis://127.0.0.1:6379 --mapping map.json \\\n    \
                            --match 'session:*' --to 'sp:{key}' --key-file mac.key --key-id 3\n  \
                            sessionpack migrate --cluster redis://10.0.0.1:7000,redis://10.0.0.2:7000 \\\n    \
                            --mapping map.json --match 'session:*' --to 'sp:{key}' --unsigned \\\n    \
                            --rate 2000 --checkpoint migrate.ckpt --dry-run\n\n\
                      --to: {key} exactly once, replaced by the legacy key (sp:{key} + session:42 ->\n\
                      sp:session:42); every other character is copied. Keys of that form are never\n\
                      migrated again; keys that are not strings are skipped.\n\
                      Idempotent: a blob key already holding exactly the bytes to write is left\n\
                      alone (unchanged); a rerun writes only what changed. A key gone between SCAN\n\
                      and GET is counted gone. TTL: the blob gets the legacy key's PTTL (PX), or\n\
                      none when the legacy key has none; an unchanged blob whose TTL is more than\n\
                      1 s from its legacy key's (an expiry slid with EXPIRE) gets it (PEXPIRE or\n\
                      PERSIST: expiry_moved).\n\
                      Never over another writer: a blob key is written only if it still holds what\n\
                      was read (compare-and-set; else changed_meanwhile), never over a blob issued\n\
                      after the legacy JSON read (newer_kept), never over what is not a blob this\n\
                      run opens (the key fails: blob_key_taken); a blob whose legacy key was\n\
                      deleted while it was written is deleted again (gone).\n\
                      --dry-run: reads, converts and checks; writes no blob and no dictionary.\n\
                      --rate N: a token bucket of N keys per second, bursts of at most\n\
                      max(1, N/10) keys: never more than N keys in any second.\n\
                      --checkpoint FILE: after each SCAN batch, the cursor of every master is\n\
                      saved (replaced atomically) with the arguments' fingerprint; a rerun resumes\n\
                      from it (refused if made with another --match, --to or mapping), and the\n\
                      file is removed when the run ends.\n\
                      Output: on a terminal a progress line on stderr and a summary; otherwise JSON\n\
                      lines on stdout: {\"event\":\"batch\",..} per SCAN batch, {\"event\":\"failure\",\n\
                      \"key\":..,\"reason\":..,\"path\":..} per failed key, {\"event\":\"summary\",..}.\n\n\
                      Exit status: 0 every key migrated (or unchanged, gone), 1 some key failed\n\
                      (by reason in the summary; the others were migrated), 2 error (nothing more\n\
                      was done: bad arguments, an unreachable server, a checkpoint of other\n\
                      arguments)."
    )]
    Migrate(MigrateArgs),
    /// Print a blob as the JSON form (or its header with --header).
    #[command(after_help = "Examples:\n  sessionpack inspect session.bin\n  \
                            sessionpack inspect session.bin --header --json\n  \
                            sessionpack inspect session.bin --facility-dict acme.facilities.dict\n  \
                            redis-cli --no-raw GET session:42 | sessionpack inspect --hex\n\n\
                            Exit status: 0 read, 2 error (with --json also {\"error\":{..}} on stdout).")]
    Inspect(InspectArgs),
    /// Check facility and group membership: exit 0 if all are members, 1 if any is not, 2 on error.
    #[command(
        after_help = "Examples:\n  sessionpack check session.bin --facility 1234 --facility 1235\n  \
                            sessionpack check session.bin --group 10 --expired-at 1764150000000\n  \
                            sessionpack check session.bin --facility 1234 --json | jq .member\n  \
                            sessionpack check session.bin --facility-dict acme.facilities.dict \\\n    \
                            --facility 64b7f0c2e1a9d3f4a5b6c7d8\n\n\
                      Exit status: 0 every id is a member, 1 some id is not (or some key is not\n\
                      in the dictionary: never a member), 2 error (unreadable, expired at\n\
                      --expired-at or by the clock, unsigned with --key-file unless\n\
                      --allow-unsigned, a dictionary of another kind or lineage, a malformed\n\
                      key). With --json stdout holds one object\n\
                      either way: the answer, or {\"error\":{\"kind\":..,\"message\":..}}."
    )]
    Check(CheckArgs),
    /// Show where a blob's bytes go: header, body, each field, each id set's containers.
    #[command(after_help = "Examples:\n  sessionpack stats session.bin\n  \
                            sessionpack stats session.bin --json | jq .id_sets\n\n\
                            Exit status: 0 read, 2 error (with --json also {\"error\":{..}} on stdout).")]
    Stats(StatsArgs),
    /// Tell a sessionpack blob (and its version) from JSON or anything else.
    #[command(after_help = "Examples:\n  sessionpack detect session.bin\n  \
                            redis-cli --no-raw GET session:42 | sessionpack detect --hex\n  \
                            sessionpack detect value --json | jq -r .format\n\n\
                            Exit status:\n  \
                            0  a sessionpack blob whose header checks (only the header is read)\n  \
                            1  a JSON document (a legacy session)\n  \
                            2  anything else: a damaged header, an unknown format, empty input\n\
                            With --json stdout holds one object in every case: {\"format\":..},\n\
                            with \"error\":{\"kind\":..,\"message\":..} for status 2, or only\n\
                            {\"error\":..} when the input cannot be read (a missing file, bad --hex).")]
    Detect(DetectArgs),
    /// Create, extend and read id dictionaries: a tenant's facility or group keys (ObjectIds,
    /// UUIDs or strings) mapped to dense ids, append-only.
    #[command(after_help = "Examples:\n  \
                            sessionpack dict new acme.facilities.dict --keys objectid --tenant acme --kind facility\n  \
                            sessionpack dict add acme.facilities.dict 64b7f0c2e1a9d3f4a5b6c7d8\n  \
                            sessionpack dict lookup acme.facilities.dict 64b7f0c2e1a9d3f4a5b6c7d8\n  \
                            sessionpack dict inspect acme.facilities.dict --json\n\n\
                            Files are replaced atomically (a new file, then a rename): a refused\n\
                            command leaves them byte for byte as they were.")]
    Dict(DictArgs),
    /// Generate sessions from the legacy 3 KB to 2.6 MB JSON profiles, encode, read and check
    /// them, and print what it means for the cache.
    #[command(
        after_help = "Examples:\n  sessionpack demo\n  sessionpack demo --seed 7 --quick\n  \
                            sessionpack demo --svg docs/demo.svg\n\n\
                            --svg needs redis-server (on the PATH, or REDIS_SERVER): without it the\n\
                            demo refuses at once (exit 2) rather than run without the picture."
    )]
    Demo(DemoArgs),
}

/// Where a blob comes from.
#[derive(Args, Debug)]
pub struct BlobInput {
    /// The blob file; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    /// The input is text: hex digits (spaces and a `0x` prefix allowed) or a quoted string with
    /// `\xHH` escapes as `redis-cli --no-raw` prints it.
    #[arg(long)]
    pub hex: bool,
}

/// `--json`, on the commands that answer in text.
#[derive(Args, Debug)]
pub struct JsonArg {
    /// Print exactly one JSON object (and a newline) on stdout instead of text, also on an
    /// error: {"error":{"kind":…,"message":…}}.
    #[arg(long)]
    pub json: bool,
}

/// A MAC key: for `encode`, the key to sign with; for readers, a key to accept.
#[derive(Args, Debug)]
pub struct KeyArgs {
    /// File holding the MAC key: hex digits, or raw bytes (at least 16).
    #[arg(long, requires = "key_id", value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// The key's id (from 1), written in the header of signed blobs.
    #[arg(long, requires = "key_file", value_name = "ID")]
    pub key_id: Option<u32>,
}

/// The id dictionaries a session's sets are keyed by.
#[derive(Args, Debug)]
#[group(id = "dict_files", multiple = true)]
pub struct DictFiles {
    /// The tenant's facility dictionary: facilities are then its keys (ObjectIds, UUIDs or
    /// strings) instead of ids.
    #[arg(long, value_name = "FILE")]
    pub facility_dict: Option<PathBuf>,
    /// The tenant's group dictionary: groups are then its keys instead of ids.
    #[arg(long, value_name = "FILE")]
    pub group_dict: Option<PathBuf>,
}

impl DictFiles {
    /// Whether any dictionary is given.
    pub fn any(&self) -> bool {
        self.facility_dict.is_some() || self.group_dict.is_some()
    }
}

#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// The session's JSON form; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    /// Where to write the blob; standard output when absent or `-`.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// zstd level, 1 to 22.
    #[arg(long, value_parser = clap::value_parser!(i32).range(1..=22))]
    pub level: Option<i32>,
    /// Store the body raw, uncompressed.
    #[arg(long, conflicts_with = "compress")]
    pub raw: bool,
    /// Always compress the body, even when that saves little.
    #[arg(long)]
    pub compress: bool,
    /// Write the blob as hex text instead of bytes.
    #[arg(long)]
    pub hex: bool,
    // With a key, dictionaries must be signed with it too, and are written signed.
    #[command(flatten)]
    pub key: KeyArgs,
    #[command(flatten)]
    pub dicts: DictFiles,
    /// Append the keys the dictionaries do not hold (run by the dictionaries' one writer). The
    /// files are replaced atomically, before the blob is written, and only if the session
    /// encodes.
    #[arg(long, requires = "dict_files")]
    pub append: bool,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// The legacy JSON session; standard input when absent or `-`.
    pub input: Option<PathBuf>,
    /// The mapping document (MAPPING.md): where each field lives in the legacy session.
    #[arg(long, value_name = "FILE")]
    pub mapping: PathBuf,
    /// The tenant's facility dictionary.
    #[arg(long, value_name = "FILE")]
    pub facility_dict: PathBuf,
    /// The tenant's group dictionary.
    #[arg(long, value_name = "FILE")]
    pub group_dict: PathBuf,
    /// Append the keys the dictionaries do not hold (run by the dictionaries' one writer); the
    /// files are replaced atomically, only when the document converts.
    #[arg(long)]
    pub append: bool,
    /// Print the session's JSON form (one line) instead of the blob.
    #[arg(long)]
    pub json: bool,
    /// The largest legacy document read, in bytes; a larger one is refused before it is parsed.
    #[arg(long, value_name = "BYTES", default_value_t = sessionpack::LegacyMapping::DEFAULT_MAX_DOCUMENT_LEN)]
    pub max_document_bytes: usize,
    // With a key, the dictionaries must be signed with it, are written signed, and so is the blob.
    #[command(flatten)]
    pub key: KeyArgs,
}

/// Where `migrate` reads and writes: one server, or a cluster by its seeds.
#[derive(Args, Debug)]
#[group(id = "migrate_target", required = true, multiple = false)]
pub struct MigrateTarget {
    /// One Redis server (redis://host:port[/db]).
    #[arg(long, value_name = "URL")]
    pub redis: Option<String>,
    /// A Redis Cluster by some of its nodes (comma-separated URLs): every master is scanned.
    #[arg(long, value_name = "URL[,URL...]")]
    pub cluster: Option<String>,
}

#[derive(Args, Debug)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub target: MigrateTarget,
    /// The mapping document (MAPPING.md): where each field lives in the legacy sessions.
    #[arg(long, value_name = "FILE")]
    pub mapping: PathBuf,
    /// The legacy keys: a SCAN MATCH pattern (session:*).
    #[arg(long = "match", value_name = "PATTERN")]
    pub pattern: String,
    /// The blob key of each legacy key: {key} exactly once (sp:{key}).
    #[arg(long, value_name = "TEMPLATE")]
    pub to: String,
    /// Read, convert and check, but write nothing (no blob, no dictionary).
    #[arg(long)]
    pub dry_run: bool,
    /// At most N legacy keys per second.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: Option<u32>,
    /// Save the SCAN cursors here after each batch, and resume from them.
    #[arg(long, value_name = "FILE")]
    pub checkpoint: Option<PathBuf>,
    /// SCAN COUNT, and how many keys are read and written per round trip.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch: u32,
    /// The key type of a dictionary migrate creates (for a tenant with none in Redis).
    #[arg(long, value_enum, value_name = "TYPE", default_value = "objectid")]
    pub dict_keys: KeyTypeArg,
    /// The largest legacy document read, in bytes; a larger one fails (M-DOC-SIZE).
    #[arg(long, value_name = "BYTES", default_value_t = sessionpack::LegacyMapping::DEFAULT_MAX_DOCUMENT_LEN)]
    pub max_document_bytes: usize,
    // The blobs are signed with the key, and so are the dictionaries written; the dictionaries
    // read must be signed with it unless --allow-unsigned.
    #[command(flatten)]
    pub key: KeyArgs,
    /// Without --key-file: write unsigned blobs and dictionaries (say so explicitly).
    #[arg(long, conflicts_with = "key_file")]
    pub unsigned: bool,
    /// With a key: open unsigned dictionaries in Redis too (they are written signed).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub blob: BlobInput,
    #[command(flatten)]
    pub json: JsonArg,
    /// Print the header's fields instead of the session (needs only the first 40 bytes): text,
    /// or with --json an object. Without --header, --json prints the session on one line.
    #[arg(long)]
    pub header: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// With a key: open unsigned blobs and dictionaries too (for migrations; a key otherwise
    /// implies a MAC).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
    // The sets as keys in the JSON.
    #[command(flatten)]
    pub dicts: DictFiles,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub blob: BlobInput,
    #[command(flatten)]
    pub json: JsonArg,
    /// A facility to check: its id, or with --facility-dict its key (repeat for more).
    #[arg(
        long = "facility",
        value_name = "ID|KEY",
        required_unless_present = "groups"
    )]
    pub facilities: Vec<String>,
    /// A group to check: its id, or with --group-dict its key (repeat for more).
    #[arg(long = "group", value_name = "ID|KEY")]
    pub groups: Vec<String>,
    /// Check expiry at this time, Unix milliseconds, instead of the system clock's: an expired
    /// session is refused (exit 2).
    #[arg(
        long,
        value_name = "NOW",
        allow_negative_numbers = true,
        conflicts_with = "ignore_expiry"
    )]
    pub expired_at: Option<i64>,
    /// Answer for an expired session too (never use this to grant access).
    #[arg(long)]
    pub ignore_expiry: bool,
    #[command(flatten)]
    pub key: KeyArgs,
    /// With a key: open unsigned blobs and dictionaries too (for migrations; a key otherwise
    /// implies a MAC).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
    // --facility and --group as keys.
    #[command(flatten)]
    pub dicts: DictFiles,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    pub blob: BlobInput,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Args, Debug)]
pub struct DetectArgs {
    #[command(flatten)]
    pub blob: BlobInput,
    #[command(flatten)]
    pub json: JsonArg,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Seed of the generated sessions.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Shorter timings (for a quick look; the numbers are noisier).
    #[arg(long)]
    pub quick: bool,
    /// Also draw the Redis part's measurements as an SVG picture in FILE (replaced atomically):
    /// bytes per job in each mode on a log scale, and the time per job. Needs redis-server:
    /// without it the demo refuses before measuring anything.
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
}

/// `dict` and its subcommands.
#[derive(Args, Debug)]
pub struct DictArgs {
    #[command(subcommand)]
    pub command: DictCommand,
}

#[derive(Subcommand, Debug)]
pub enum DictCommand {
    /// Create an empty dictionary, with a random lineage.
    ///
    /// The lineage (64 random bits) binds sessions to this dictionary: a dictionary made again
    /// from the same keys is another dictionary, and sessions encoded through the old one do
    /// not check against it.
    #[command(after_help = "Examples:\n  \
                            sessionpack dict new acme.facilities.dict --keys objectid --tenant acme --kind facility\n  \
                            sessionpack dict new acme.groups.dict --keys string --tenant acme --kind group \\\n    \
                            --key-file mac.key --key-id 3\n\n\
                            Exit status: 0 created, 2 error (an existing FILE without --force).")]
    New(DictNewArgs),
    /// Give keys their ids, appending the unknown ones: prints one line per key: the key, a tab, its id.
    #[command(after_help = "Examples:\n  \
                            sessionpack dict add acme.facilities.dict 64b7f0c2e1a9d3f4a5b6c7d8 64b7f0c2e1a9d3f4a5b6c7d9\n  \
                            cut -f1 facilities.tsv | sessionpack dict add acme.facilities.dict -\n\n\
                            Keys are printed in their canonical text (lowercase hex digits), in the\n\
                            order given. The file is replaced atomically, and only if every key is\n\
                            valid: one bad key and nothing is added.\n\n\
                            Exit status: 0 every key has its id, 2 error (nothing written).")]
    Add(DictAddArgs),
    /// Look keys up: prints one line per known key: the key, a tab, its id; unknown keys are named on stderr.
    #[command(after_help = "Examples:\n  \
                            sessionpack dict lookup acme.facilities.dict 64b7f0c2e1a9d3f4a5b6c7d8\n  \
                            sessionpack dict lookup acme.facilities.dict - < keys.txt\n\n\
                            Exit status: 0 every key is known, 1 some key is not, 2 error (a\n\
                            damaged, forged or unreadable dictionary, a malformed key).")]
    Lookup(DictLookupArgs),
    /// Describe a dictionary: tenant, kind, key type, lineage, count, digest, signature, size.
    #[command(after_help = "Examples:\n  \
                            sessionpack dict inspect acme.facilities.dict\n  \
                            sessionpack dict inspect acme.facilities.dict --json | jq -r .lineage\n\n\
                            Exit status: 0 read, 2 error (with --json also {\"error\":{..}} on stdout).")]
    Inspect(DictInspectArgs),
}

/// A dictionary's key type, as `--keys` names it.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyTypeArg {
    /// MongoDB ObjectIds: 24 hexadecimal digits.
    #[value(name = "objectid")]
    ObjectId,
    /// UUIDs: 8-4-4-4-12 hexadecimal digits.
    Uuid,
    /// UTF-8 strings of at most 64 bytes.
    String,
}

impl From<KeyTypeArg> for KeyType {
    fn from(arg: KeyTypeArg) -> KeyType {
        match arg {
            KeyTypeArg::ObjectId => KeyType::ObjectId,
            KeyTypeArg::Uuid => KeyType::Uuid,
            KeyTypeArg::String => KeyType::String,
        }
    }
}

/// Which ids a dictionary gives, as `--kind` names it.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum KindArg {
    /// A session's facilities.
    Facility,
    /// A session's groups.
    Group,
}

impl From<KindArg> for DictKind {
    fn from(arg: KindArg) -> DictKind {
        match arg {
            KindArg::Facility => DictKind::Facility,
            KindArg::Group => DictKind::Group,
        }
    }
}

#[derive(Args, Debug)]
pub struct DictNewArgs {
    /// The dictionary file to create.
    pub file: PathBuf,
    /// The type of every key, fixed for the dictionary's life.
    #[arg(long = "keys", value_name = "TYPE")]
    pub key_type: KeyTypeArg,
    /// The tenant (at most 64 bytes).
    #[arg(long)]
    pub tenant: String,
    /// Whether the ids are a session's facilities or its groups.
    #[arg(long)]
    pub kind: KindArg,
    /// Replace FILE if it exists (its ids are lost: sessions encoded through it no longer check).
    #[arg(long)]
    pub force: bool,
    // Signs the dictionary: readers then need the key.
    #[command(flatten)]
    pub key: KeyArgs,
}

#[derive(Args, Debug)]
pub struct DictAddArgs {
    /// The dictionary file, replaced atomically when keys are appended.
    pub file: PathBuf,
    /// The keys, or `-` alone for one key a line on standard input (empty lines skipped).
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    // Verifies the dictionary and signs the new one.
    #[command(flatten)]
    pub key: KeyArgs,
    /// With a key: open an unsigned dictionary too (it is written signed).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
}

#[derive(Args, Debug)]
pub struct DictLookupArgs {
    /// The dictionary file.
    pub file: PathBuf,
    /// The keys, or `-` alone for one key a line on standard input (empty lines skipped).
    #[arg(required = true, value_name = "KEY")]
    pub keys: Vec<String>,
    #[command(flatten)]
    pub key: KeyArgs,
    /// With a key: open an unsigned dictionary too (a key otherwise implies a MAC).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
}

#[derive(Args, Debug)]
pub struct DictInspectArgs {
    /// The dictionary file.
    pub file: PathBuf,
    #[command(flatten)]
    pub json: JsonArg,
    #[command(flatten)]
    pub key: KeyArgs,
    /// With a key: open an unsigned dictionary too (a key otherwise implies a MAC).
    #[arg(long, requires = "key_file")]
    pub allow_unsigned: bool,
}
