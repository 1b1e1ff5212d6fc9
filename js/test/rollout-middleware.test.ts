// The Express 5 and Fastify 5 middleware over a RolloutAccess (ROLLOUT.md), over real sockets, on
// the standalone server and the cluster: the example rollout services in shadow mode, with blobs
// lacking one facility — every response is the legacy oracle's, the counters are exact, a request
// without a tenant is a 401, and a middleware without `tenant` is refused at setup.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import { ObjectId } from "bson";
import express5 from "express5";
import fastify5 from "fastify5";
import { RolloutAccess, sessionpackExpress, sessionpackFastify, type RolloutMiddlewareOptions, type ShadowDisagreement } from "../dist/redis/index.js";
import { createRolloutExpressService, createRolloutFastifyService, type RolloutServiceDeps } from "../examples/rollout-service.mjs";
import type { FastifyApp } from "../examples/fastify-service.mjs";
import { target, TARGETS } from "./redis-support.js";
import { MAPPING, dualWriteAll, oracleFacilities, tenantOn } from "./rollout-support.js";

interface Rec {
  n: number;
  facilityId: ObjectId;
}

/** The Fastify example, typed by what it uses (so that Fastify 5's own types fit). */
function fastifyService(fastify: (options: { logger: boolean }) => FastifyApp, deps: RolloutServiceDeps<Rec>): Promise<FastifyApp> {
  return createRolloutFastifyService(fastify, deps);
}

type Listen = (deps: RolloutServiceDeps<Rec>) => Promise<{ url: string; close: () => Promise<void> }>;

const FRAMEWORKS: [string, Listen][] = [
  [
    "express5",
    async (deps) => {
      const app = createRolloutExpressService(express5, deps);
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, "127.0.0.1", () => resolve(s));
      });
      const address = server.address();
      assert.ok(address !== null && typeof address === "object");
      return {
        url: `http://127.0.0.1:${address.port}`,
        close: () =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      };
    },
  ],
  [
    "fastify5",
    async (deps) => {
      const app = await fastifyService(fastify5, deps);
      const url = await app.listen({ port: 0, host: "127.0.0.1" });
      return {
        url,
        close: async () => {
          await app.close();
        },
      };
    },
  ],
];

for (const tgName of TARGETS) {
  for (const [fw, listen] of FRAMEWORKS) {
    test(`${fw} on ${tgName}: a RolloutAccess in shadow mode — responses from the legacy decisions, counters exact`, async (t) => {
      const tg = await target(t, tgName);
      if (!tg) return;
      const sids = Array.from({ length: 6 }, () => randomBytes(8).toString("hex"));
      const w = await tenantOn(t, tg, "node-redis", sids.length, { legacyKey: (i) => `sess:${sids[i]}` });
      await dualWriteAll(w, w.x, "sp:{key}", w.everywhere);
      const disagreements: ShadowDisagreement[] = [];
      const rollout = await RolloutAccess.connect({
        access: w.access,
        mapping: MAPPING,
        policy: (tenant) => (tenant === w.tenant ? "shadow" : "legacy"),
        onDisagreement: (d) => disagreements.push(d),
      });
      const records: Rec[] = [...w.facilityKeys, ...w.unknownFacilities].map((f, n) => ({ n, facilityId: new ObjectId(f) }));
      const denials: string[] = [];
      const app = await listen({ rollout, records: () => Promise.resolve(records), onError: (e) => denials.push(String((e as { kind?: unknown }).kind)) });
      t.after(() => app.close());

      let touching = 0;
      for (let i = 0; i < sids.length; i++) {
        const e = w.entries[i];
        const r = await fetch(`${app.url}/records`, { headers: { authorization: `Bearer ${sids[i]}`, "x-tenant": w.tenant } });
        assert.equal(r.status, 200);
        const body = (await r.json()) as { n: number; facilityId: string }[];
        const facilities = oracleFacilities(e.json);
        assert.deepEqual(
          body.map((x) => x.n),
          records.filter((x) => facilities.has(x.facilityId.toHexString())).map((x) => x.n),
          "the records the legacy session may see",
        );
        if (facilities.has(w.everywhere)) touching++;
      }
      assert.equal(touching, sids.length);
      assert.deepEqual(rollout.shadowCounts(), {
        facility: { agreements: sids.length * records.length - touching, disagreements: touching },
        group: { agreements: 0, disagreements: 0 },
      });
      assert.equal(disagreements.length, touching);
      assert.ok(disagreements.every((d) => d.key === w.everywhere && d.tenant === w.tenant && d.legacy && !d.blob));

      // No tenant, or no session: 401, nothing counted.
      const before = rollout.shadowCounts();
      const noTenant = await fetch(`${app.url}/records`, { headers: { authorization: `Bearer ${sids[0]}` } });
      assert.equal(noTenant.status, 401);
      assert.equal(await noTenant.text(), '{"error":"unauthorized"}');
      const noSession = await fetch(`${app.url}/records`, { headers: { authorization: "Bearer nobody", "x-tenant": w.tenant } });
      assert.equal(noSession.status, 401);
      assert.deepEqual(denials, ["no_session", "no_session"]);
      // Another tenant's mode (legacy here): read, answered, not counted.
      const legacyTenant = await fetch(`${app.url}/records`, { headers: { authorization: `Bearer ${sids[0]}`, "x-tenant": "globex" } });
      assert.equal(legacyTenant.status, 200);
      assert.deepEqual(rollout.shadowCounts(), before);
    });
  }
}

test("the middleware refuses a RolloutAccess without options.tenant at setup", async (t) => {
  const tg = await target(t, "standalone");
  if (!tg) return;
  const w = await tenantOn(t, tg, "node-redis", 0);
  const rollout = await RolloutAccess.connect({ access: w.access, mapping: MAPPING, policy: () => "legacy" });
  const withoutTenant = { sessionKey: () => "sess:x" } as unknown as RolloutMiddlewareOptions<object>;
  assert.throws(() => sessionpackExpress(rollout, withoutTenant), /options\.tenant/);
  assert.throws(() => sessionpackFastify(rollout, withoutTenant), /options\.tenant/);
  // With it: a middleware; and the SessionAccess form is unchanged.
  assert.equal(typeof sessionpackExpress(rollout, { ...withoutTenant, tenant: () => "acme" }), "function");
  assert.equal(typeof sessionpackExpress(w.access, { sessionKey: () => "session:x" }), "function");
});
