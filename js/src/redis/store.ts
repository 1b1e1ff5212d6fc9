/**
 * {@link SessionStore}: sessions and id dictionaries in Redis or Redis Cluster.
 */

import { Decoder } from "../decoder.js";
import { DictionaryDecoder, IdDictionary, IdDictionaryView } from "../dict.js";
import { DictHeader } from "../dict-header.js";
import { encode } from "../encode.js";
import { invalidInput, SessionpackError } from "../errors.js";
import { Header } from "../header.js";
import type { KeyLike } from "../key.js";
import type { MacKey } from "../mac.js";
import { Session, type SessionInit } from "../session.js";
import type { SessionView } from "../view.js";
import { StoreError } from "./errors.js";
import { bulk, Link, type Connectable, type TimeoutOptions } from "./link.js";
import type { Target } from "./target.js";

/** Options of {@link SessionStore.connect}. */
export interface StoreOptions extends TimeoutOptions {
  /**
   * **One key ring for everything the store writes and reads.** The first key signs the sessions
   * `put` encodes and the dictionaries the store writes; every key verifies what the store reads
   * (sessions and dictionaries), and **keys imply a MAC**: unsigned ones are refused. A
   * rotation: put the new key first, keep the old ones after it until nothing signed with them
   * is left. Without `keys` (and without the deprecated options below) the store writes and
   * reads unsigned blobs only.
   *
   * ```ts
   * const store = await SessionStore.connect(redis, { keys: [{ id: 7, key }] });
   * await store.put("session:u1", session);               // signed with key 7
   * const view = await store.get("session:u1");           // verified with key 7
   * ```
   */
  keys?: Iterable<MacKey>;
  /**
   * Reads sessions (its keys, limits and expiry policy); default a `Decoder` with the ring's
   * keys (`keys`, or `signingKey` and `dictionaryKey`).
   */
  decoder?: Decoder;
  /** Reads dictionaries; default a `DictionaryDecoder` with the ring's keys. */
  dictionaryDecoder?: DictionaryDecoder;
  /**
   * @deprecated Give `keys` (one ring). Signs the sessions `put` encodes; without `keys`, the
   * default decoders also verify with it, so the store reads back what it wrote.
   */
  signingKey?: MacKey;
  /**
   * @deprecated Give `keys` (one ring). Signs the dictionaries the store writes; without `keys`,
   * the default decoders also verify with it.
   */
  dictionaryKey?: MacKey;
}

/**
 * The ring of `options`: `keys`, or the deprecated `signingKey` and `dictionaryKey` (one key
 * when both are the same), with the key that signs sessions and the one that signs dictionaries.
 */
function keyRing(options: StoreOptions): { ring: MacKey[]; sessions: MacKey | undefined; dictionaries: MacKey | undefined } {
  if (options.keys !== undefined) {
    if (options.signingKey !== undefined || options.dictionaryKey !== undefined) {
      invalidInput("give either keys (one ring) or the deprecated signingKey and dictionaryKey, not both");
    }
    const ring = [...options.keys];
    return { ring, sessions: ring[0], dictionaries: ring[0] };
  }
  const ring: MacKey[] = [];
  for (const k of [options.signingKey, options.dictionaryKey]) {
    if (k === undefined) continue;
    const same = ring.find((r) => r.id === k.id);
    if (same === undefined) ring.push(k);
    else if (!sameBytes(same.key, k.key)) {
      invalidInput(`signingKey and dictionaryKey share the id ${k.id} with different bytes: give one ring of keys with distinct ids (keys)`);
    }
  }
  return { ring, sessions: options.signingKey, dictionaries: options.dictionaryKey };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A value {@link SessionStore.put} writes: a session to encode, or a blob already encoded. */
export type Payload = Session | SessionInit | Uint8Array;

/**
 * Compare-and-set on a dictionary's digest (bytes 8 to 15): writes `ARGV[2]` when the digest
 * under `KEYS[1]` is `ARGV[1]` (empty: the key must be missing); 1 when written. The script of
 * the Rust crate, byte for byte. Append-only dictionaries never return to an earlier content,
 * so there is no ABA.
 */
export const APPEND_SCRIPT = `
local cur = redis.call('GETRANGE', KEYS[1], 8, 15)
if cur == ARGV[1] and (cur ~= '' or redis.call('EXISTS', KEYS[1]) == 0) then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
`;

/** How many times an append retries after losing the race before it gives up (`contended`). */
export const APPEND_ATTEMPTS = 200;

/** Whole milliseconds of at least 1, or `invalid_input`. */
export function ttlArgs(ttlMs: number | undefined): string[] {
  if (ttlMs === undefined) return [];
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    invalidInput(`a TTL of ${String(ttlMs)} ms: give a whole number of milliseconds, at least 1, or none for no TTL`);
  }
  return ["PX", String(ttlMs)];
}

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function emptyValue(key: string): SessionpackError {
  return new SessionpackError("not_a_blob", `key ${JSON.stringify(key)} holds an empty string, not a sessionpack blob`, "R-HDR-MAGIC");
}

function notADictionary(key: string): SessionpackError {
  return new SessionpackError("not_a_blob", `key ${JSON.stringify(key)} does not hold a sessionpack id dictionary`, "R-DICT-MAGIC");
}

/**
 * Sessions and id dictionaries in Redis or Redis Cluster. A missing key (or one Redis expired)
 * is `null`, never an error; a value that is not a blob is a `SessionpackError` of kind
 * `not_a_blob`; the server's faults are `StoreError`s (`timeout`, `unavailable`, `server`).
 * Calls may run concurrently (one connection, pipelined).
 *
 * ```ts
 * const store = await SessionStore.connect(process.env.REDIS_URL!, { keys: [{ id: 7, key }] });
 * // or the service's own client (node-redis or ioredis), never closed by the store:
 * const store2 = await SessionStore.connect(redis, { keys: [{ id: 7, key }], timeoutMs: 250 });
 * await store.put("session:u1", session, 3_600_000);         // TTL in ms; signed with key 7
 * const view = await store.get("session:u1");                 // SessionView | null
 * const header = await store.peek("session:u1");              // Header | null: 40 bytes only
 * await store.delete("session:u1");
 * ```
 */
export class SessionStore {
  private readonly decoder: Decoder;
  private readonly dictionaryDecoder: DictionaryDecoder;
  private readonly signingKey: MacKey | undefined;
  private readonly dictionaryKey: MacKey | undefined;

  private constructor(
    private readonly link: Link,
    options: StoreOptions,
  ) {
    const { ring, sessions, dictionaries } = keyRing(options);
    this.decoder = options.decoder ?? new Decoder({ keys: ring });
    this.dictionaryDecoder = options.dictionaryDecoder ?? new DictionaryDecoder({ keys: ring });
    this.signingKey = sessions;
    this.dictionaryKey = dictionaries;
  }

  /**
   * Connects to `x`: the service's own Redis client (a node-redis client or cluster, an ioredis
   * `Redis` or `Cluster`; used as it is and never closed by the store, each call held to
   * `options.timeoutMs`, default 1,000 ms), or a `Target`, or a spec for `Target.parse` (one URL,
   * or cluster seeds separated by commas: a connection of the store's own, node-redis). The
   * store opens no other connection. Throws a `StoreError` (`unavailable`, `timeout`) when the
   * server cannot be reached, `invalid_input` naming what was expected for anything else (and
   * for a bad URL or key ring).
   *
   * ```ts
   * import { createClient } from "redis";
   * const redis = await createClient({ url: process.env.REDIS_URL }).connect();
   * const store = await SessionStore.connect(redis, { keys });
   * // …
   * await store.close();   // nothing of the application's is closed
   * redis.destroy();
   * ```
   */
  static async connect(x: Connectable, options: StoreOptions = {}): Promise<SessionStore> {
    keyRing(options); // refuses a bad ring before connecting
    const link = await Link.connect(x, options);
    try {
      return new SessionStore(link, options);
    } catch (e) {
      await link.close();
      throw e;
    }
  }

  /** The deployment, when the store connects to one itself (a URL or a `Target`); undefined over the application's client. */
  get target(): Target | undefined {
    return this.link.target;
  }

  /** The application's client the store sends through, when it was given one. */
  get client(): object | undefined {
    return this.link.client?.client;
  }

  /**
   * Writes a session (encoded, signed with `signingKey` when given) or a blob (its header is
   * checked first, so the store never writes a non-blob) under `key`, expiring after `ttlMs`
   * milliseconds (none: no TTL).
   */
  async put(key: string, value: Payload, ttlMs?: number): Promise<void> {
    const ttl = ttlArgs(ttlMs);
    let bytes: Uint8Array;
    if (value instanceof Uint8Array) {
      Header.read(value);
      bytes = value;
    } else {
      bytes = encode(value, this.signingKey === undefined ? {} : { key: this.signingKey });
    }
    await this.link.query(key, ["SET", key, asBuffer(bytes), ...ttl]);
  }

  /**
   * Reads and opens the session under `key` with the store's decoder: `null` when the key is
   * missing (or Redis expired it); the decoder's refusals otherwise (an expired session is
   * `expired`, a value that is not a blob `not_a_blob`, …).
   */
  async get(key: string): Promise<SessionView | null> {
    const blob = await this.getRaw(key);
    return blob === null ? null : this.decoder.open(blob);
  }

  /** The raw value under `key`, unchecked; `null` when missing. */
  async getRaw(key: string): Promise<Buffer | null> {
    return bulk(await this.link.query(key, ["GET", key], true), "GET");
  }

  /**
   * The header of the blob under `key` (`GETRANGE key 0 39`): its digest tells whether a kept
   * copy is current. `null` when the key is missing; `not_a_blob` when the value does not start
   * like a blob (an empty string included).
   */
  async peek(key: string): Promise<Header | null> {
    const prefix = await this.header(key, Header.LEN);
    if (prefix.length > 0) return Header.read(prefix);
    if (await this.exists(key)) throw emptyValue(key);
    return null;
  }

  /** Deletes `key`; whether it existed. */
  async delete(key: string): Promise<boolean> {
    return (await this.link.query(key, ["DEL", key])) === 1;
  }

  /**
   * Writes `dictionary` under `key`, signed with the ring's first key when there is one. Prefer
   * {@link appendDictionary}, which never loses another writer's keys.
   */
  async putDictionary(key: string, dictionary: IdDictionary): Promise<void> {
    await this.link.query(key, ["SET", key, asBuffer(this.dictionaryBytes(dictionary))]);
  }

  /** Reads and checks the dictionary under `key`; `null` when missing, `not_a_blob` for another value. */
  async getDictionary(key: string): Promise<IdDictionaryView | null> {
    const bytes = await this.getRaw(key);
    return bytes === null ? null : this.openDictionary(key, bytes);
  }

  /** The header of the dictionary under `key`; `null` when missing, `not_a_blob` for another value. */
  async peekDictionary(key: string): Promise<DictHeader | null> {
    const prefix = await this.header(key, DictHeader.LEN);
    if (prefix.length === 0 && !(await this.exists(key))) return null;
    const h = DictHeader.read(prefix);
    if (h === undefined) throw notADictionary(key);
    return h;
  }

  /**
   * Appends `keys` to the dictionary under `key` (starting from `start`, usually empty, when
   * there is none) and returns the dictionary written and every key's id. Concurrent writers
   * converge: the write is a compare-and-set on the digest (a Lua script), retried from the
   * dictionary found, so every key ends with exactly one id, the same for all. `contended` after
   * {@link APPEND_ATTEMPTS} lost races in a row. Keys are any form the core takes for the
   * dictionary's key type (`KeyLike`: a bson `ObjectId`, its 24 hex digits or 12 bytes, text, …).
   *
   * ```ts
   * const empty = IdDictionary.create({ tenant: "acme", kind: "facility", keyType: "objectid", lineage: 1n });
   * const { ids } = await store.appendDictionary("dict:acme:facility", empty, [new ObjectId(), "6926c19047abb94d0ee3aad9"]);
   * ```
   */
  async appendDictionary(
    key: string,
    start: IdDictionary,
    keys: Iterable<KeyLike>,
  ): Promise<{ dictionary: IdDictionary; ids: number[] }> {
    keys = [...keys];
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const current = await this.getRaw(key);
      const held = current === null ? start : this.openDictionary(key, current).toDictionary();
      const { dictionary, ids } = held.append(keys);
      if (current !== null && dictionary.size === held.size) return { dictionary: held, ids };
      const expected = current === null ? Buffer.alloc(0) : current.subarray(8, 16);
      const script = ["EVAL", APPEND_SCRIPT, "1", key, expected, asBuffer(this.dictionaryBytes(dictionary))];
      if ((await this.link.query(key, script)) === 1) return { dictionary, ids };
      if (attempt > 8) await new Promise((r) => setTimeout(r, 1 + (attempt % 4)));
    }
    throw new StoreError("contended", `dictionary ${JSON.stringify(key)}: ${APPEND_ATTEMPTS} appends in a row lost to other writers; retry later`);
  }

  /** Closes the connection the store opened (never the application's client). */
  async close(): Promise<void> {
    await this.link.close();
  }

  /** The first `len` bytes under `key` (a header: `Header.LEN` or `DictHeader.LEN`). */
  private async header(key: string, len: number): Promise<Buffer> {
    return bulk(await this.link.query(key, ["GETRANGE", key, "0", String(len - 1)], true), "GETRANGE") ?? Buffer.alloc(0);
  }

  private async exists(key: string): Promise<boolean> {
    return (await this.link.query(key, ["EXISTS", key], true)) === 1;
  }

  private dictionaryBytes(d: IdDictionary): Uint8Array {
    return this.dictionaryKey === undefined ? d.toBytes() : d.toBytes(this.dictionaryKey);
  }

  private openDictionary(key: string, bytes: Uint8Array): IdDictionaryView {
    if (DictHeader.read(bytes) === undefined) throw notADictionary(key);
    return this.dictionaryDecoder.open(bytes);
  }
}
