// Conformance: every golden and refusal vector under tests/vectors/, read in place.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import { Decoder, Header, Session, SessionpackError, encode } from "../dist/index.js";
import { xxh64 } from "../dist/hash.js";
import { bin, keyOf, readJson, ruleId, sessionDirs, type GoldenEntry, type SessionRefusalEntry } from "./support.js";

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

  const refuseDir = path.join(dir, "refuse");
  if (existsSync(path.join(refuseDir, "manifest.json"))) {
    const refusals = readJson<SessionRefusalEntry[]>(path.join(refuseDir, "manifest.json"));
    test(`${version}/refuse: the manifest has vectors`, () => assert.ok(refusals.length > 0));
    for (const r of refusals) {
      test(`${version}/refuse/${r.name}: refused as ${r.kind} (${r.rule})`, () => {
        const blob = bin(refuseDir, r.name);
        const key = keyOf(r);
        const decoder = new Decoder({ keys: key ? [key] : [], expiry: { rejectAt: BigInt(r.now) } });
        assert.throws(
          () => decoder.open(blob),
          (e) => {
            assert.ok(e instanceof SessionpackError, `not a SessionpackError: ${String(e)}`);
            assert.equal(e.kind, r.kind, `${r.name}: ${e.message}`);
            assert.equal(e.rule, ruleId(r.rule), `${r.name}: ${e.message}`);
            return true;
          },
        );
      });
    }
  }
}

test("every single-bit flip and every truncation of every golden vector is refused", () => {
  let vectors = 0;
  let flips = 0;
  let truncations = 0;
  for (const dir of dirs) {
    for (const v of readJson<GoldenEntry[]>(path.join(dir, "manifest.json"))) {
      const blob = bin(dir, v.name);
      const key = keyOf(v);
      const decoder = new Decoder({ keys: key ? [key] : [], expiry: "ignore" });
      decoder.open(blob); // the vector itself opens
      vectors++;
      const copy = blob.slice();
      for (let i = 0; i < copy.length; i++) {
        for (let bit = 0; bit < 8; bit++) {
          copy[i] ^= 1 << bit;
          assert.throws(() => decoder.open(copy), SessionpackError, `${v.name}: flip of bit ${bit} of byte ${i} opened`);
          copy[i] ^= 1 << bit;
          flips++;
        }
      }
      for (let len = 0; len < blob.length; len++) {
        assert.throws(() => decoder.open(blob.subarray(0, len)), SessionpackError, `${v.name}: truncation to ${len} opened`);
        truncations++;
      }
    }
  }
  console.log(`# session vectors: ${vectors} golden, ${flips} bit flips and ${truncations} truncations refused`);
  assert.ok(flips > 100_000);
});
