/**
 * {@link dualWrite}: the issuing side's write of both forms of a session during the rollout
 * (ROLLOUT.md §6): the blob to its blob key, then the legacy JSON to its legacy key, each with
 * `SET … PXAT t` for one `t` computed once (RO-DUAL-TTL, RO-DUAL-ORDER).
 */

import { SessionpackError } from "../../errors.js";
import { adaptClient } from "../clients/adapt.js";
import type { Arg, RedisCommands } from "../clients/types.js";
import { classify, timedOut, within } from "../errors.js";
import { Target } from "../target.js";
import { KeyTemplate } from "./template.js";

/** One session's two forms, and how long they live. */
export interface DualWrite {
  /** The legacy key (`sess:…`). */
  legacyKey: string;
  /** The legacy JSON session: its text, or its UTF-8 bytes. */
  legacyJson: string | Uint8Array;
  /** The blob, encoded (`encode(session, { key })`, or converted with `LegacyMapping`). */
  blob: Uint8Array;
  /** How long both live, ms from `nowMs` (a positive integer). */
  ttlMs: number;
  /** How the blob key is made from the legacy key (default `sp:{key}`). */
  template?: KeyTemplate | string;
  /** Now, Unix ms (default `Date.now()`): both keys expire at `nowMs + ttlMs`. */
  nowMs?: number;
}

/** What {@link dualWrite} wrote. */
export interface DualWritten {
  /** The blob's key. */
  readonly blobKey: string;
  /** The absolute expiry of both keys, Unix ms (`PXAT`). */
  readonly expiresAtMs: number;
}

function argument(message: string): never {
  throw new SessionpackError("invalid_input", message);
}

/**
 * Writes the blob to its blob key, then the legacy JSON to the legacy key, each with one
 * `SET key value PXAT t`, `t = nowMs + ttlMs` computed once, so that neither outlives the other
 * (RO-DUAL-TTL; Redis 6.2 or later). The two keys are never sent in one command or transaction
 * (they hash to different cluster slots). `client` is the service's own node-redis or ioredis
 * client (or cluster), used as it is and never closed.
 *
 * A failure rejects — a `StoreError` (`timeout`, `unavailable`, `server`) or `invalid_input` for
 * a wrong argument; when the blob was written and the legacy JSON was not, the message says so.
 * Retry the whole write (RO-DUAL-ORDER). Until then the legacy key holds what it held: nothing
 * for a new session ("no session" in `legacy` and `shadow` modes), the previous session for a
 * rewrite (which those modes serve as it was); if the write cannot be retried, end the session
 * with `dualDelete`.
 *
 * ```ts
 * const blob = encode(session, { key: macKey });
 * await dualWrite(redis, { legacyKey: `sess:${sid}`, legacyJson: JSON.stringify(legacy), blob, ttlMs: 3_600_000 });
 * ```
 */
export async function dualWrite(client: object, write: DualWrite, options: { timeoutMs?: number } = {}): Promise<DualWritten> {
  if (typeof write !== "object" || write === null) argument("dualWrite needs { legacyKey, legacyJson, blob, ttlMs, template?, nowMs? }");
  const { legacyKey, legacyJson, blob, ttlMs } = write;
  if (typeof legacyKey !== "string" || legacyKey === "") argument("dualWrite: legacyKey must be a non-empty string");
  if (typeof legacyJson !== "string" && !(legacyJson instanceof Uint8Array)) argument("dualWrite: legacyJson must be the legacy session's text (a string) or its UTF-8 bytes");
  if (!(blob instanceof Uint8Array) || blob.length === 0) argument("dualWrite: blob must be the encoded session (a non-empty Uint8Array)");
  const { expiresAtMs, timeoutMs } = expiry("dualWrite", ttlMs, write.nowMs, options.timeoutMs);
  const blobKey = KeyTemplate.from(write.template).blobKey(legacyKey);
  const commands = commandsOf("dualWrite", client);
  const at = String(expiresAtMs);
  try {
    await set(commands, blobKey, Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength), at, timeoutMs);
    try {
      await set(commands, legacyKey, typeof legacyJson === "string" ? legacyJson : Buffer.from(legacyJson.buffer, legacyJson.byteOffset, legacyJson.byteLength), at, timeoutMs);
    } catch (e) {
      const err = classify(e, legacyKey);
      err.message = `the blob was written to ${JSON.stringify(blobKey)}, the legacy JSON to ${JSON.stringify(legacyKey)} was not: retry the whole write (RO-DUAL-ORDER); ${err.message}`;
      throw err;
    }
  } finally {
    await commands.close();
  }
  return { blobKey, expiresAtMs };
}

/** The one absolute expiry of both keys, `nowMs + ttlMs`, and the timeout, checked. */
function expiry(fn: string, ttlMs: number, nowArg: number | undefined, timeoutArg: number | undefined): { expiresAtMs: number; timeoutMs: number } {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) argument(`${fn}: ttlMs must be a positive integer number of milliseconds, not ${String(ttlMs)}`);
  const nowMs = nowArg ?? Date.now();
  if (!Number.isSafeInteger(nowMs) || nowMs < 0) argument(`${fn}: nowMs must be a Unix time in integer milliseconds, not ${String(nowMs)}`);
  const timeoutMs = timeoutArg ?? Target.DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) argument(`${fn}: timeoutMs must be a positive number of milliseconds, not ${String(timeoutMs)}`);
  const expiresAtMs = nowMs + ttlMs;
  if (!Number.isSafeInteger(expiresAtMs)) argument(`${fn}: nowMs + ttlMs is beyond the integers a Unix time in ms is written with`);
  return { expiresAtMs, timeoutMs };
}

/** The service's own client, adapted (never a `Target` or a URL: nothing is connected here). */
function commandsOf(fn: string, client: object): RedisCommands {
  if (client instanceof Target || typeof client === "string") {
    argument(`${fn} takes the service's own client (node-redis or ioredis, client or cluster), not a Target or a URL`);
  }
  return adaptClient(client);
}

/** One session's expiry to slide: {@link dualExpire}'s argument. */
export interface DualExpire {
  /** The legacy key (`sess:…`). */
  legacyKey: string;
  /** How long both live from now on, ms from `nowMs` (a positive integer). */
  ttlMs: number;
  /** How the blob key is made from the legacy key (default `sp:{key}`). */
  template?: KeyTemplate | string;
  /** Now, Unix ms (default `Date.now()`): both keys expire at `nowMs + ttlMs`. */
  nowMs?: number;
}

/** What {@link dualExpire} did. */
export interface DualExpired extends DualWritten {
  /** Whether each key existed (and so got the new expiry); a missing key is not created. */
  readonly existed: { readonly blob: boolean; readonly legacy: boolean };
}

/**
 * Slides both forms' expiry alike (ROLLOUT.md RO-DUAL-SLIDE), for a service that extends a
 * session's life without rewriting it: `PEXPIREAT t` on the legacy key, then on the blob key,
 * `t = nowMs + ttlMs` computed once. A legacy key that is gone (logged out, or expired) is never
 * revived through its blob: the blob key is deleted instead. A failure after the legacy key's
 * expiry moved rejects: retry (until then the blob expires first).
 *
 * ```ts
 * await dualExpire(redis, { legacyKey: `sess:${sid}`, ttlMs: 3_600_000 });   // instead of EXPIRE sess:… 3600
 * ```
 */
export async function dualExpire(client: object, slide: DualExpire, options: { timeoutMs?: number } = {}): Promise<DualExpired> {
  if (typeof slide !== "object" || slide === null) argument("dualExpire needs { legacyKey, ttlMs, template?, nowMs? }");
  const { legacyKey } = slide;
  if (typeof legacyKey !== "string" || legacyKey === "") argument("dualExpire: legacyKey must be a non-empty string");
  const { expiresAtMs, timeoutMs } = expiry("dualExpire", slide.ttlMs, slide.nowMs, options.timeoutMs);
  const blobKey = KeyTemplate.from(slide.template).blobKey(legacyKey);
  const commands = commandsOf("dualExpire", client);
  const at = String(expiresAtMs);
  try {
    const legacy = await acted(commands, legacyKey, ["PEXPIREAT", legacyKey, at], timeoutMs);
    if (!legacy) {
      await acted(commands, blobKey, ["DEL", blobKey], timeoutMs);
      return { blobKey, expiresAtMs, existed: { blob: false, legacy: false } };
    }
    const blob = await acted(commands, blobKey, ["PEXPIREAT", blobKey, at], timeoutMs);
    return { blobKey, expiresAtMs, existed: { blob, legacy } };
  } finally {
    await commands.close();
  }
}

/** {@link dualDelete}'s argument: the session to end. */
export interface DualDelete {
  /** The legacy key (`sess:…`). */
  legacyKey: string;
  /** How the blob key is made from the legacy key (default `sp:{key}`). */
  template?: KeyTemplate | string;
}

/**
 * Ends a session in both forms (ROLLOUT.md RO-DUAL-DELETE), at logout: `DEL` of the blob key,
 * then of the legacy key, so that no reader, in any mode, finds the session once it resolves.
 * Resolves to whether each existed. A failure after the blob's deletion rejects: retry.
 *
 * ```ts
 * await dualDelete(redis, { legacyKey: `sess:${sid}` });   // instead of DEL sess:…
 * ```
 */
export async function dualDelete(client: object, end: DualDelete, options: { timeoutMs?: number } = {}): Promise<{ readonly blob: boolean; readonly legacy: boolean }> {
  if (typeof end !== "object" || end === null) argument("dualDelete needs { legacyKey, template? }");
  const { legacyKey } = end;
  if (typeof legacyKey !== "string" || legacyKey === "") argument("dualDelete: legacyKey must be a non-empty string");
  const { timeoutMs } = expiry("dualDelete", 1, undefined, options.timeoutMs);
  const blobKey = KeyTemplate.from(end.template).blobKey(legacyKey);
  const commands = commandsOf("dualDelete", client);
  try {
    const blob = await acted(commands, blobKey, ["DEL", blobKey], timeoutMs);
    const legacy = await acted(commands, legacyKey, ["DEL", legacyKey], timeoutMs);
    return { blob, legacy };
  } finally {
    await commands.close();
  }
}

/** One command on `key` whose integer reply says whether it acted (1) or not (0). */
async function acted(commands: RedisCommands, key: string, command: Arg[], timeoutMs: number): Promise<boolean> {
  try {
    const reply = await within(commands.send(key, command, false), timeoutMs, () => timedOut(`${String(command[0])} ${JSON.stringify(key)}`, timeoutMs));
    return Number(reply) === 1;
  } catch (e) {
    throw classify(e, key);
  }
}

async function set(commands: RedisCommands, key: string, value: Arg, at: string, timeoutMs: number): Promise<void> {
  try {
    await within(commands.send(key, ["SET", key, value, "PXAT", at], false), timeoutMs, () => timedOut(`SET ${JSON.stringify(key)}`, timeoutMs));
  } catch (e) {
    throw classify(e, key);
  }
}
