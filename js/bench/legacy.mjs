// `npm run bench:legacy`: LegacyMapping.convert of the largest legacy session (the `worst`
// profile, ~2.6 MB: 2,400 whole facility objects and 7,200 group objects) next to one JSON.parse
// of the same text — MAPPING.md's converter must cost about one parse (issue 24).
//
// Data: js/bench/data (not committed), written once by the Rust generator in js/bench/gen, with
// the generator's mapping (examples/legacy-mapping.json); the conversion is checked against
// the generator's own session (its raw blob). Without cargo, a document of the same shape and
// size is built here (`--synthetic` forces it).
//
//   npm run bench:legacy
//   npm run bench:legacy -- --synthetic

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Decoder, IdDictionary, IdDictionaryView, LegacyMapping } from "../dist/index.js";
import { DATA, ensureData } from "./data.mjs";
import { human, timeAll } from "./timing.mjs";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const MAPPING = path.join(HERE, "..", "..", "examples", "legacy-mapping.json");

/** The generator's legacy shape (tests/vectors/legacy/expected.py), with 2,400 facilities and 7,200 groups. */
function synthetic() {
  const tenant = "65a0f0c2e1a9d3f4a5b6c700";
  const oid = (prefix, i) => prefix + i.toString(16).padStart(8, "0");
  const fkeys = Array.from({ length: 20_000 }, (_, i) => oid("65a0f0c2e1a9d3f4", i));
  const gkeys = Array.from({ length: 60_000 }, (_, i) => oid("65a0f0c2e1a9d3f5", i));
  const facilities = IdDictionary.create({ tenant, kind: "facility", keyType: "objectid" }).append(fkeys).dictionary.view();
  const groups = IdDictionary.create({ tenant, kind: "group", keyType: "objectid" }).append(gkeys).dictionary.view();
  const facility = (n) => ({
    _id: fkeys[(n * 7919) % fkeys.length],
    name: `Riverside Clinic ${n}`,
    timezone: "America/Chicago",
    address: { line1: `${100 + n} Main Street`, city: "Springfield", state: "IL", zip: `627${String(n % 100).padStart(2, "0")}`, country: "US" },
    phone: `+1-217-555-${String(n % 10000).padStart(4, "0")}`,
    npi: String(1234567890 + n),
    settings: { ePrescribingEnabled: n % 2 === 0, labInterface: "quest", billingMode: "professional", appointmentSlotMinutes: 15, licensedBeds: 0 },
  });
  const group = (n) => ({
    _id: gkeys[(n * 104729) % gkeys.length],
    name: `Care team ${n}`,
    type: "care-team",
    facilityIds: [fkeys[n % fkeys.length]],
    createdAt: "2024-03-01T10:00:00Z",
    updatedAt: "2025-01-01T10:00:00Z",
    permissions: ["read", "chart"],
  });
  const doc = {
    token: "tok-3f9a1c2e7b",
    user: { _id: "65a0f0c2e1a9d3f4a5b6c701", email: "dana.reyes@example.com", firstName: "Dana", lastName: "Reyes", roles: ["clinician", "scheduler"] },
    tenant: { _id: tenant, name: "Acme Health", slug: "acme-health" },
    issuedAt: 1764147600000,
    expiresAt: 1764151200000,
    settings: { language: "en", theme: "dark", timezone: "America/Chicago" },
    facilities: Array.from({ length: 2_400 }, (_, n) => facility(n)),
    groups: Array.from({ length: 7_200 }, (_, n) => group(n)),
  };
  return { name: "synthetic", text: JSON.stringify(doc), facilities, groups, expected: undefined };
}

function generated() {
  ensureData("worst");
  const read = (f) => new Uint8Array(readFileSync(path.join(DATA, f)));
  const raw = read("worst.raw.bin");
  return {
    name: "worst (the Rust generator)",
    text: readFileSync(path.join(DATA, "worst.legacy.json"), "utf8"),
    facilities: IdDictionaryView.open(read("worst.facility.dict")),
    groups: IdDictionaryView.open(read("worst.group.dict")),
    expected: new Decoder({ expiry: "ignore" }).open(raw).toJson(),
  };
}

let data;
if (process.argv.includes("--synthetic")) data = synthetic();
else {
  try {
    data = generated();
  } catch (e) {
    console.error(`the Rust generator is not available (${e.message.split("\n")[0]}): a synthetic document of the same shape instead`);
    data = synthetic();
  }
}

const mapping = LegacyMapping.fromJson(readFileSync(MAPPING));
const bytes = Buffer.from(data.text, "utf8");
const options = { facilities: data.facilities, groups: data.groups };
const session = mapping.convert(data.text, options).session;
if (data.expected !== undefined && session.toJson() !== data.expected) {
  console.error("the conversion differs from the generator's session");
  process.exit(1);
}
console.log(
  `${data.name}: ${(bytes.length / 1e6).toFixed(2)} MB of legacy JSON, ${session.facilities.length} facilities and ${session.groups.length} groups` +
    (data.expected === undefined ? "" : " (equal to the generator's session)"),
);

const decoder = new TextDecoder("utf-8", { fatal: true });
let sink = 0;
const t = timeAll(
  {
    "JSON.parse (text)": () => {
      sink += JSON.parse(data.text).facilities.length;
    },
    "JSON.parse (bytes: UTF-8 decode + parse)": () => {
      sink += JSON.parse(decoder.decode(bytes)).facilities.length;
    },
    "LegacyMapping.convert (text)": () => {
      sink += mapping.convert(data.text, options).session.facilities.length;
    },
    "LegacyMapping.convert (bytes)": () => {
      sink += mapping.convert(bytes, options).session.facilities.length;
    },
    "LegacyMapping.readKeys (bytes)": () => {
      sink += mapping.readKeys(bytes).facilityKeys.size;
    },
  },
  { ms: 200, rounds: 7 },
);
const parse = t["JSON.parse (text)"];
for (const [name, ns] of Object.entries(t)) {
  console.log(`${name.padEnd(42)} ${human(ns).padStart(10)}   ${(ns / parse).toFixed(2)}× JSON.parse`);
}
if (sink === 0) console.log("");
