// The types of rollout-service.mjs, for the tests that run the example under the strict compiler
// (test/rollout-middleware.test.ts, on Express 5 and Fastify 5).
import type { IdDictionary, IdDictionaryView, LegacyMapping, MacKey } from "sessionpack";
import type { Connectable, DictKey, DualWritten, RolloutAccess, RolloutPolicy, ShadowDisagreement } from "sessionpack/redis";
import type { ExpressApp } from "./express-service.mjs";
import type { FastifyApp } from "./fastify-service.mjs";

/** A record the service filters by its facility key. */
export interface FacilityRecord {
  facilityId: DictKey;
}

/** What the rollout services are made of. */
export interface RolloutServiceDeps<R extends FacilityRecord = FacilityRecord> {
  /** The rollout reader. */
  rollout: RolloutAccess;
  /** The records to filter. */
  records: () => Promise<R[]>;
  /** Told why each request was denied. */
  onError?: (err: unknown, req: unknown) => void;
}

/**
 * `sess:<id>` for an id of 1 to 128 letters, digits, `-` and `_`; `undefined` otherwise.
 *
 * ```ts
 * legacyKeyOf("6f1c");   // "sess:6f1c"
 * ```
 */
export function legacyKeyOf(sessionId: unknown): string | undefined;

/**
 * The tenant of an `X-Tenant` header, checked as an id; `undefined` otherwise.
 *
 * ```ts
 * tenantOf("acme");   // "acme"
 * ```
 */
export function tenantOf(header: unknown): string | undefined;

/** Options of {@link connectRollout}. */
export interface ConnectRolloutOptions {
  /** The policy (default: a `RedisRolloutPolicy` on the hash `sessionpack:rollout`). */
  policy?: RolloutPolicy;
  /** Told of every shadow disagreement (default: one JSON line through console.warn). */
  onDisagreement?: (d: ShadowDisagreement) => void;
}

/**
 * The rollout reader over the service's own client, and how to close what it opened.
 *
 * ```ts
 * const { rollout, close } = await connectRollout(redis, [{ id: 1, key }], mapping);
 * ```
 */
export function connectRollout(redis: Connectable, keys: MacKey[], mapping: LegacyMapping, options?: ConnectRolloutOptions): Promise<{ rollout: RolloutAccess; close: () => Promise<void> }>;

/**
 * The Express app: `GET /records` in the tenant's rollout mode.
 *
 * ```ts
 * const app = createRolloutExpressService(express, { rollout, records: async () => [] });
 * ```
 */
export function createRolloutExpressService<App extends ExpressApp>(express: () => App, deps: RolloutServiceDeps): App;

/**
 * The Fastify app: the same.
 *
 * ```ts
 * const app = await createRolloutFastifyService(fastify, { rollout, records: async () => [] });
 * ```
 */
export function createRolloutFastifyService<App extends FastifyApp>(fastify: (options: { logger: boolean }) => App, deps: RolloutServiceDeps): Promise<App>;

/** What {@link issue} writes. */
export interface IssueOptions {
  sessionId: string;
  legacyJson: string;
  mapping: LegacyMapping;
  facilities: IdDictionary | IdDictionaryView;
  groups: IdDictionary | IdDictionaryView;
  macKey: MacKey;
  ttlMs: number;
}

/**
 * The issuing side: the legacy JSON and its blob, one absolute expiry.
 *
 * ```ts
 * await issue(redis, { sessionId, legacyJson, mapping, facilities, groups, macKey, ttlMs: 3_600_000 });
 * ```
 */
export function issue(redis: object, options: IssueOptions): Promise<DualWritten>;
