// An Express service (Express 4 or 5) whose `GET /records` returns the Mongo-shaped records the
// caller's session may see, by facility ObjectId. The session is named by an
// `Authorization: Bearer <session id>` header; it and the tenant's facility dictionary are read
// through sessionpack's caches. Denials: 401 (no, expired, forged or unsigned session),
// 503 (the store is down), 500 (anything else), each with a short generic body.
//
//   REDIS_URL=redis://127.0.0.1:6379 SESSIONPACK_KEY=<64 hex digits> node examples/express-service.mjs
//
// (`test/middleware.test.ts` runs this app on Express 4 and 5 against a server and a cluster.)
import { pathToFileURL } from "node:url";
import { SessionCache, SessionAccess, sessionpackExpress } from "sessionpack/redis";
import { bearer, sessionKeyOf } from "./keys.mjs";

/**
 * The app. `express` is the framework's default export (4 or 5); `access` a SessionAccess;
 * `records()` the records to filter (a MongoDB `collection.find().toArray()` in a real service);
 * `onError(err, req)` is told why each request was denied.
 */
export function createExpressService(express, { access, records, onError }) {
  const app = express();
  app.disable("x-powered-by");
  app.use(
    sessionpackExpress(access, {
      sessionKey: (req) => sessionKeyOf(bearer(req.headers.authorization)),
      onError,
    }),
  );
  app.get("/records", async (req, res, next) => {
    try {
      const visible = await req.sessionpack.filter(await records(), (r) => r.facilityId);
      res.json(visible);
    } catch (e) {
      next(e); // never grant on an error (Express 4 needs the explicit next(e) in async handlers)
    }
  });
  // A last error handler that leaks nothing.
  app.use((err, req, res, _next) => {
    onError?.(err, req);
    res.status(500).json({ error: "internal" });
  });
  return app;
}

/**
 * Connects the caches over `redis`: the app's own client (node-redis or ioredis, which the caches
 * never close), or a URL / cluster seeds separated by commas (connections of their own). The
 * dictionary cache shares the session cache's connection and tracker (`sessions.dictionaries`):
 * one set of tracking connections per server.
 */
export async function connectAccess(redis, keys, options = {}) {
  const sessions = await SessionCache.connect(redis, { freshness: options.freshness ?? "tracking", keys });
  const dictionaries = sessions.dictionaries({ keys, ...options.dictionaries });
  return { access: new SessionAccess({ sessions, dictionaries }), close: async () => {
    await dictionaries.close();
    await sessions.close();
  } };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const express = (await import(process.env.EXPRESS_MODULE ?? "express")).default;
  const { createClient } = await import("redis");
  const keys = [{ id: Number(process.env.SESSIONPACK_KEY_ID ?? 1), key: Buffer.from(process.env.SESSIONPACK_KEY ?? "", "hex") }];
  // The service's own node-redis client (ioredis works the same: new Redis(url)).
  const redis = await createClient({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" }).connect();
  const { access } = await connectAccess(redis, keys);
  const records = async () => []; // your collection: db.collection("records").find({ tenantId }).toArray()
  const app = createExpressService(express, { access, records, onError: (e) => console.warn("denied:", e.kind ?? e.name) });
  app.listen(Number(process.env.PORT ?? 3000), () => console.log("listening"));
}
