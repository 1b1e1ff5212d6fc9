// Conformance: every golden and refusal vector under tests/vectors/, read in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Decoder, Header, Session, encode } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import {
  assertEveryFlipAndTruncationRefused,
  bin,
  keyOf,
  readJson,
  refusalTests,
  refusalsOf,
  sessionDirs,
  type GoldenEntry,
  type SessionRefusalEntry,
} from "./support.js";

const dirs = sessionDirs();

test("the session vector directories are found", () => {
  assert.ok(dirs.length >= 1);
  assert.ok(dirs.some((d) => d.endsWith(`${path.sep}v1`)));
});

for (const dir of dirs) {
  const version = path.basename(dir);
  const manifest = readJson<GoldenEntry[]>(path.join(dir, "manifest.json"));

  for (const v of manifest) {
    test(`${version}/${v.name}: decodes to its JSON, byte for byte`, () => {
      const blob = bin(dir, v.name);
      const expected = readFileSync(path.join(dir, `${v.name}.json`));
      const key = keyOf(v);
      const view = new Decoder({ keys: key ? [key] : [], expiry: "ignore" }).open(blob);
      assert.equal(expected.at(-1), 0x0a, "the .json ends with one newline");
      const json = Buffer.from(view.toJson(), "utf8");
      assert.ok(json.equals(expected.subarray(0, expected.length - 1)), "toJson() differs from the .json");
      // The owned session writes the same text.
      assert.equal(view.toSession().toJson(), view.toJson());
      assert.equal(Session.fromJson(expected).toJson(), view.toJson());
    });

    test(`${version}/${v.name}: encode of its JSON gives its archive (and, stored raw, its blob)`, () => {
      const blob = bin(dir, v.name);
      const text = readFileSync(path.join(dir, `${v.name}.json`), "utf8");
      const key = keyOf(v);
      const encoded = encode(Session.fromJson(text), { key });
      const header = Header.read(blob);
      if (!header.compressed) {
        assert.ok(Buffer.from(encoded).equals(Buffer.from(blob)), "encode is not byte-identical to the .bin");
      } else {
        // Compressed vectors: the raw blob carries the same archive, so the same digest.
        const view = new Decoder({ keys: key ? [key] : [], expiry: "ignore" }).open(blob);
        const mine = new Decoder({ keys: key ? [key] : [], expiry: "ignore" }).open(encoded);
        assert.ok(Buffer.from(mine.archiveBytes).equals(Buffer.from(view.archiveBytes)));
        assert.equal(Header.read(encoded).digest, header.digest);
        assert.equal(xxh64(view.archiveBytes, header.version === 3 ? 3 : 0), header.digest);
      }
    });
  }

  const refusing = refusalsOf<SessionRefusalEntry>(dir);
  if (refusing !== undefined) {
    const { refuseDir, refusals } = refusing;
    test(`${version}/refuse: the manifest has vectors`, () => assert.ok(refusals.length > 0));
    refusalTests(`${version}/refuse`, refuseDir, refusals, (r) => {
      const key = keyOf(r);
      const decoder = new Decoder({ keys: key ? [key] : [], expiry: { rejectAt: BigInt(r.now) } });
      return (blob) => decoder.open(blob);
    });
  }
}

test("every single-bit flip and every truncation of every golden vector is refused", () => {
  const { vectors, flips, truncations } = assertEveryFlipAndTruncationRefused<GoldenEntry>(dirs, (v) => {
    const key = keyOf(v);
    const decoder = new Decoder({ keys: key ? [key] : [], expiry: "ignore" });
    return (blob) => decoder.open(blob);
  });
  console.log(`# session vectors: ${vectors} golden, ${flips} bit flips and ${truncations} truncations refused`);
  assert.ok(flips > 100_000);
});
