// The types of express-service.mjs, for the tests that run the example under the strict compiler
// (test/middleware.test.ts, on Express 4 and 5). The app is typed by what the service calls of
// it, so that both majors' `express` (their @types) fit.
import type { Server } from "node:http";
import type { MacKey } from "sessionpack";
import type { Connectable, DictKey, DictionaryCacheOptions, Freshness, SessionAccess } from "sessionpack/redis";

/** A record the service filters: its facility is any key form (a bson ObjectId, 24 hex digits, 12 bytes). */
export interface FacilityRecord {
  facilityId: DictKey;
}

/** What the services are made of: the access checks, the records, and a hook told of every denial. */
export interface ServiceDeps<R extends FacilityRecord = FacilityRecord> {
  /** The session and dictionary caches the requests are checked through. */
  access: SessionAccess;
  /** The records to filter (a MongoDB `collection.find().toArray()` in a real service). */
  records: () => Promise<R[]>;
  /** Told why each request was denied (`err`: what was thrown; `req`: the framework's request). */
  onError?: (err: unknown, req: unknown) => void;
}

/** The part of an Express application (4 or 5) the service uses. */
export interface ExpressApp {
  disable(setting: string): unknown;
  use(...handlers: unknown[]): unknown;
  get(path: string, ...handlers: unknown[]): unknown;
  listen(port: number, hostname: string, callback: () => void): Server;
}

/**
 * The app, on `express` (the framework's default export, 4 or 5): `GET /records` answers the
 * records the caller's session may see; 401 / 503 / 500 denials with short generic bodies.
 *
 * ```ts
 * import express from "express";
 * const app = createExpressService(express, { access, records: async () => [] });
 * app.listen(3000, "127.0.0.1", () => console.log("listening"));
 * ```
 */
export function createExpressService<App extends ExpressApp>(express: () => App, deps: ServiceDeps): App;

/** Options of {@link connectAccess}: the session cache's freshness, and the dictionary cache's options. */
export interface ConnectAccessOptions {
  freshness?: Freshness;
  dictionaries?: Omit<DictionaryCacheOptions, "keys" | "freshness" | "tracker" | "tracking" | "timeoutMs" | "connectTimeoutMs">;
}

/**
 * Connects the caches over `redis` (the app's own node-redis or ioredis client, never closed by
 * them; or a URL, or cluster seeds separated by commas): the access checks, and how to close them.
 *
 * ```ts
 * const { access, close } = await connectAccess(redisClient, [{ id: 1, key }]);
 * ```
 */
export function connectAccess(
  redis: Connectable,
  keys: MacKey[],
  options?: ConnectAccessOptions,
): Promise<{ access: SessionAccess; close: () => Promise<void> }>;
