// RO-LEGACY-BOUND against real servers (REDIS_URL, REDIS_CLUSTER_URL), over the app's node-redis
// and ioredis clients: the rollout reader asks for at most the mapping's M-DOC-SIZE limit plus one
// byte of a legacy value (GETRANGE key 0 limit); a longer value is refused as M-DOC-SIZE (kind
// limit) unparsed, in legacy and shadow modes; a value of exactly the limit is read; only an empty
// reply asks EXISTS: an empty value is M-DOC-JSON, a missing key no session; a key of another type
// stays the server's WRONGTYPE error. MONITOR on the servers (each master of the cluster) shows the commands sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { DEFAULT_MAX_DOCUMENT_LEN, LegacyMapping } from "../dist/index.js";
import { RolloutAccess, errorKind } from "../dist/redis/index.js";
import { admin, key, target, TARGETS, type Admin } from "./redis-support.js";
import { MAPPING, MAPPING_TEXT, blobOf, oracleFacilities, tenantOn } from "./rollout-support.js";

const APP_CLIENTS = ["node-redis", "ioredis"] as const;
const LEGACY_MODES = ["legacy", "shadow"] as const;

/** An M-DOC-SIZE refusal of the whole legacy document, kind `limit`, naming the limit. */
const docSize = (limit: number) => (e: unknown) => {
  const err = e as { kind?: string; rule?: string; path?: string; source?: string; message: string };
  assert.equal(errorKind(e), "limit", String(e));
  assert.equal(err.rule, "M-DOC-SIZE", String(e));
  assert.equal(err.path, "");
  assert.equal(err.source, "document");
  assert.match(err.message, new RegExp(`above the limit of ${limit} bytes`));
  return true;
};

/** The commands MONITOR reports on the servers of `urls` while it runs, as lines (each server's in its order, one server after another). */
async function monitor(urls: readonly string[]): Promise<{ lines: () => string[]; close: () => void }> {
  const texts: string[] = [];
  const sockets = await Promise.all(
    urls.map(async (url, i) => {
      const u = new URL(url);
      const socket = net.connect(Number(u.port), u.hostname);
      texts[i] = "";
      socket.setEncoding("latin1");
      socket.on("data", (d: string) => (texts[i] += d));
      socket.on("error", () => undefined);
      await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
      socket.write("MONITOR\r\n");
      const started = Date.now();
      while (!texts[i].startsWith("+OK")) {
        if (Date.now() - started > 5000) throw new Error("MONITOR did not answer");
        await new Promise((r) => setTimeout(r, 5));
      }
      return socket;
    }),
  );
  return { lines: () => texts.flatMap((t) => t.split("\r\n")), close: () => sockets.forEach((s) => s.destroy()) };
}

/** Waits until `watch` has seen `a` send `ECHO marker` to the node of `k` (so every command on `k` sent before has been reported). */
async function settled(a: Admin, k: string, watch: { lines: () => string[] }): Promise<void> {
  const marker = `monitor-mark-${Math.random()}`;
  await a.send(k, ["ECHO", marker]);
  const started = Date.now();
  while (!watch.lines().some((l) => l.includes(marker))) {
    if (Date.now() - started > 5000) throw new Error("MONITOR did not report the marker");
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** MONITOR lines of commands on `k` itself (not on its blob key). */
function on(lines: string[], k: string): string[] {
  return lines.filter((l) => l.includes(`"${k}"`)).map((l) => l.slice(l.indexOf('"')));
}

for (const tgName of TARGETS) {
  for (const client of APP_CLIENTS) {
    test(`${tgName} over the app's ${client}: a legacy value is read with GETRANGE 0 limit — limit + 1 bytes refused as M-DOC-SIZE unparsed, exactly the limit read, an empty value M-DOC-JSON, a missing key no session, another type WRONGTYPE (RO-LEGACY-BOUND)`, async (t) => {
      const tg = await target(t, tgName);
      if (!tg) return;
      const w = await tenantOn(t, tg, client, 1);
      const a: Admin = await admin(tg);
      t.after(() => a.close());
      const e = w.entries[0];
      const limit = Buffer.byteLength(e.json);
      const mapping = MAPPING.withMaxDocumentLen(limit);
      assert.equal(mapping.maxDocumentLen, limit);
      const blobKey = `sp:${e.legacyKey}`;
      await a.send(blobKey, ["SET", blobKey, Buffer.from(blobOf(w, e)), "PX", "600000"]);
      const watch = await monitor(tg.urls);
      t.after(() => watch.close());
      const failures: unknown[] = [];
      const facilities = oracleFacilities(e.json);

      for (const mode of LEGACY_MODES) {
        const rollout = await RolloutAccess.connect({ access: w.access, mapping, policy: () => mode, onBlobUnreadable: (f) => failures.push(f) });

        // Exactly the limit: read, and its answers are the legacy document's.
        await a.send(e.legacyKey, ["SET", e.legacyKey, e.json, "PX", "600000"]);
        const s = await rollout.load(w.tenant, e.legacyKey);
        assert.ok(s !== null, `${mode}: a document of exactly the limit is read`);
        assert.equal(s.mode, mode);
        for (const f of w.facilityKeys) assert.equal(await s.canSee(f), facilities.has(f));
        if (mode === "shadow") assert.equal(rollout.shadowCounts().facility.disagreements, 0, "the blob agrees");

        // limit + 1 bytes (valid JSON: a trailing space): refused as M-DOC-SIZE.
        await a.send(e.legacyKey, ["SET", e.legacyKey, `${e.json} `, "PX", "600000"]);
        await assert.rejects(rollout.load(w.tenant, e.legacyKey), docSize(limit), `${mode}: limit + 1 bytes`);
        // Far longer (100 kB over) and no JSON at all: still M-DOC-SIZE (never parsed, never M-DOC-JSON).
        await a.send(e.legacyKey, ["SET", e.legacyKey, Buffer.alloc(limit + 100_000, 0xff), "PX", "600000"]);
        await assert.rejects(rollout.load(w.tenant, e.legacyKey), docSize(limit), `${mode}: 100 kB over`);

        // An empty value: the mapping's M-DOC-JSON (kind invalid_input), not "no session".
        await a.send(e.legacyKey, ["SET", e.legacyKey, "", "PX", "600000"]);
        await assert.rejects(rollout.load(w.tenant, e.legacyKey), (err: unknown) => {
          assert.equal(errorKind(err), "invalid_input", String(err));
          assert.equal((err as { rule?: string }).rule, "M-DOC-JSON", String(err));
          return true;
        });

        // A missing key: no session.
        await a.send(e.legacyKey, ["DEL", e.legacyKey]);
        assert.equal(await rollout.load(w.tenant, e.legacyKey), null, `${mode}: missing`);

        // A key of another type: the server's WRONGTYPE, classified as GET's was (kind not_a_blob).
        await a.send(e.legacyKey, ["RPUSH", e.legacyKey, "x"]);
        await assert.rejects(rollout.load(w.tenant, e.legacyKey), (err: unknown) => {
          assert.equal(errorKind(err), "not_a_blob", String(err));
          assert.match(String(err), /WRONGTYPE/);
          return true;
        });
        await a.send(e.legacyKey, ["DEL", e.legacyKey]);
      }
      assert.deepEqual(failures, [], "the blob was readable on every shadow read that got to it");

      {
        // What crossed to the server for the legacy key: GETRANGE 0 limit, never GET; EXISTS only after an empty reply.
        await settled(a, e.legacyKey, watch);
        const sent = on(watch.lines(), e.legacyKey).filter((l) => !/^"(SET|DEL|RPUSH)"/i.test(l));
        const range = `"GETRANGE" "${e.legacyKey}" "0" "${limit}"`;
        const exists = `"EXISTS" "${e.legacyKey}"`;
        // The exact limit, limit + 1, 100 kB over; the empty value (read again once EXISTS says
        // it is there: it may have been written between the two); the missing key; the list.
        const perMode = [range, range, range, range, exists, range, range, exists, range];
        assert.deepEqual(sent, [...perMode, ...perMode], "the commands on the legacy key, in order, in legacy then shadow mode");
      }
    });
  }
}

test("the default mapping bounds the read at 16 MiB: 16 MiB + 1 bytes are refused as M-DOC-SIZE, and GETRANGE asks for 0 to 16 MiB", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const w = await tenantOn(t, tg, "ioredis", 1);
  const a = await admin(tg);
  const k = key("rollout-bound-16mib");
  t.after(async () => {
    await a.send(k, ["DEL", k]);
    await a.close();
  });
  const mapping = LegacyMapping.fromJson(MAPPING_TEXT);
  assert.equal(mapping.maxDocumentLen, DEFAULT_MAX_DOCUMENT_LEN);
  await a.send(k, ["SET", k, Buffer.alloc(DEFAULT_MAX_DOCUMENT_LEN + 1, 0x20), "PX", "600000"]);
  const watch = await monitor(tg.urls);
  t.after(() => watch.close());
  const rollout = await RolloutAccess.connect({ access: w.access, mapping, policy: () => "legacy" });
  await assert.rejects(rollout.load(w.tenant, k), docSize(DEFAULT_MAX_DOCUMENT_LEN));
  await settled(a, k, watch);
  assert.deepEqual(on(watch.lines(), k).filter((l) => l.startsWith('"GET')), [`"GETRANGE" "${k}" "0" "${DEFAULT_MAX_DOCUMENT_LEN}"`]);
});
