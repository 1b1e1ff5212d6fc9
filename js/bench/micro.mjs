// The Node column of `npm run bench:compare` (bench/compare.mjs): the package's hot paths on
// the files benches/examples/node_compare.rs reads (bench/data, from the Rust generator), timed
// as that example times them (bench/timing.mjs), printed as one JSON object of ns per
// operation. Every answer is checked against the generator's before anything is timed.
//
//   node bench/micro.mjs [profile] [--form oid|bytes|hex] [--ms 40] [--rounds 15]
//
// Without --form: open, the dictionaries, the JSON jobs. With --form F: the check and the job
// by keys of that one form only (a bson ObjectId, a 12-byte Buffer, 24 hex digits), in a process
// that has used no other form, as a service's call site uses one; compare.mjs runs one process
// per form. (Mixing forms in one process makes V8's inline caches polymorphic: a few tens of
// nanoseconds more per check on this machine.)

import { readFileSync } from "node:fs";
import path from "node:path";
import { ObjectId } from "bson";
import { createHash, createHmac } from "node:crypto";
import { Decoder, DictionaryDecoder } from "../dist/index.js";
import { DATA, ensureData } from "./data.mjs";
import { timeAll } from "./timing.mjs";

const args = process.argv.slice(2);
let profile = "worst";
let ms = 40;
let rounds = 15;
let form;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--ms") ms = Number(args[++i]);
  else if (args[i] === "--rounds") rounds = Number(args[++i]);
  else if (args[i] === "--form") form = args[++i];
  else profile = args[i];
}

ensureData(profile);
const read = (suffix) => new Uint8Array(readFileSync(path.join(DATA, `${profile}.${suffix}`)));
const raw = read("raw.bin");
const signed = read("signed.bin");
const facilityDict = read("facility.dict");
const groupDict = read("group.dict");
const legacyText = readFileSync(path.join(DATA, `${profile}.legacy.json`), "utf8");
const idsOnlyText = readFileSync(path.join(DATA, `${profile}.ids-only.json`), "utf8");
const meta = JSON.parse(readFileSync(path.join(DATA, `${profile}.meta.json`), "utf8"));

// The key forms a service holds: the hex text (from JSON, a URL), the 12 bytes (a Buffer), a bson
// ObjectId straight from the driver (bson 7.3.4: its `id` getter builds 12 bytes at every read,
// so the package reads the four numbers it keeps them in; see src/key.ts).
const hex = meta.probes.map((p) => p.object_id);
const bytes = hex.map((h) => Buffer.from(h, "hex"));
const oids = hex.map((h) => new ObjectId(h));
const members = meta.probes.map((p) => p.member);

const expiry = { rejectAt: meta.issued_at };
const key = { id: 1, key: new Uint8Array(32).fill(7) }; // the generator's signing key
const decoder = new Decoder({ expiry });
const signedDecoder = new Decoder({ keys: [key], expiry });
const dictionaries = new DictionaryDecoder();
const facilities = dictionaries.open(facilityDict);
const groups = dictionaries.open(groupDict);

// The answers first.
const view = decoder.open(raw);
const keyed = view.facilities.keyed(facilities);
const forms = { oid: oids, bytes, hex };
let sink = 0;
let ops;
if (form !== undefined) {
  const keys = forms[form];
  if (keys === undefined) throw new Error(`--form oid, bytes or hex, not ${form}`);
  for (let i = 0; i < keys.length; i++) {
    if (keyed.has(keys[i]) !== members[i]) throw new Error(`probe ${hex[i]} as ${form}: expected ${members[i]}`);
  }
  ops = {
    // bson 7's `ObjectId.id` getter alone (it builds a 12-byte Buffer at every read): what a
    // check from a bson ObjectId would pay per key if the package read `id`.
    ...(form === "oid" ? { check_oid_getter: () => {
      let n = 0;
      for (let i = 0; i < keys.length; i++) n += keys[i].id[11];
      sink += n;
    } } : {}),
    [`check_${form}`]: () => {
      let n = 0;
      for (let i = 0; i < keys.length; i++) if (keyed.has(keys[i])) n++;
      sink += n;
    },
    // The job: open, pair with the dictionary once, 100 checks from the records' ObjectIds.
    [`job_${form}`]: () => {
      const set = decoder.open(raw).facilities.keyed(facilities);
      let n = 0;
      for (let i = 0; i < keys.length; i++) if (set.has(keys[i])) n++;
      sink += n;
    },
  };
} else {
  if (signedDecoder.open(signed).toJson() !== view.toJson()) throw new Error("the signed blob reads differently");
  if (groups.size !== 60_000 && profile === "worst") throw new Error(`the group dictionary has ${groups.size} keys`);
  const legacy = JSON.parse(legacyText);
  const idsOnly = JSON.parse(idsOnlyText);
  for (let i = 0; i < hex.length; i++) {
    if (legacy.facilities.some((f) => f._id === hex[i]) !== members[i]) throw new Error(`legacy probe ${hex[i]}`);
    if (idsOnly.facilityIds.includes(hex[i]) !== members[i]) throw new Error(`ids-only probe ${hex[i]}`);
  }
  const signedPart = signed.subarray(0, signed.length - 32);
  const pad = (v) => Uint8Array.from({ length: 64 }, (_, i) => (key.key[i] ?? 0) ^ v);
  const inner = createHash("sha256").update(pad(0x36));
  const outer = createHash("sha256").update(pad(0x5c));
  if (!outer.copy().update(inner.copy().update(signedPart).digest()).digest().equals(createHmac("sha256", key.key).update(signedPart).digest())) {
    throw new Error("the HMAC from a prepared state differs");
  }
  ops = {
    open_raw: () => (sink += decoder.open(raw).facilities.size),
    open_signed: () => (sink += signedDecoder.open(signed).facilities.size),
    // The MAC alone: what open_signed adds (HMAC-SHA256 of header and body, node:crypto).
    hmac: () => (sink += createHmac("sha256", key.key).update(signedPart).digest()[0]),
    // HMAC from a keyed state prepared once (the ipad and opad blocks hashed, then copy() per
    // call): what a reader could save on the key schedule; and SHA-256 alone, the floor of any
    // HMAC over these bytes.
    hmac_state_copy: () => (sink += outer.copy().update(inner.copy().update(signedPart).digest()).digest()[0]),
    sha256: () => (sink += createHash("sha256").update(signedPart).digest()[0]),
    dict_facility: () => (sink += dictionaries.open(facilityDict).size),
    dict_group: () => (sink += dictionaries.open(groupDict).size),
    // The same, then one look-up by ObjectId: the first one copies the validated keys and index
    // into the view's own WebAssembly instance (src/oid-index.ts), once per view.
    dict_facility_first: () => (sink += dictionaries.open(facilityDict).idOf(oids[0]) ?? 1),
    dict_group_first: () => (sink += dictionaries.open(groupDict).idOf(oids[0]) ?? 1),
    job_legacy: () => {
      const s = JSON.parse(legacyText);
      for (const o of hex) if (s.facilities.some((f) => f._id === o)) sink++;
    },
    job_ids_only: () => {
      const s = JSON.parse(idsOnlyText);
      for (const o of hex) if (s.facilityIds.includes(o)) sink++;
    },
  };
}
const t = timeAll(ops, { ms, rounds });
for (const k of Object.keys(t)) if (k.startsWith("check_")) t[k] /= hex.length;
t.facility_keys = facilities.size;
t.group_keys = groups.size;
console.log(JSON.stringify(t));
if (sink === 0.5) console.error(sink);
