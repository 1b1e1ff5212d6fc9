/**
 * What a shadow read logs (ROLLOUT.md RO-SHADOW-LOG, RO-SHADOW-BLOB-ERROR): each disagreement,
 * with exactly the tenant, the legacy key, the set, the probe's key and the two decisions; and
 * once per read, why the blob could not be read. By default one JSON line each, through
 * `console.warn`.
 */

/** Which set a probe asks of: `facility` (`canSee`, `filter`) or `group` (`inGroup`, `filterByGroup`). */
export type ProbeSet = "facility" | "group";

/** A shadow probe whose two decisions differ (RO-SHADOW-LOG): these fields, nothing else. */
export interface ShadowDisagreement {
  readonly tenant: string;
  /** The legacy key. */
  readonly session_key: string;
  readonly set: ProbeSet;
  /** The probe's key in its text form (ObjectIds as 24 lower-case hex digits). */
  readonly key: string;
  /** The decision from the legacy session (the one answered). */
  readonly legacy: boolean;
  /** The decision from the blob. */
  readonly blob: boolean;
}

/** Why a shadow read's blob side denies every probe of that read (RO-SHADOW-BLOB-ERROR). */
export interface ShadowBlobUnreadable {
  readonly tenant: string;
  /** The legacy key. */
  readonly session_key: string;
  /** The error's kind (`no_session` for a missing blob, `expired`, `unauthenticated`, `timeout`, …; `other` for anything else). */
  readonly kind: string;
  /** What was thrown (for the application's callback; the default log writes its kind only). */
  readonly error: unknown;
}

/**
 * The default disagreement log: one JSON line to standard error.
 *
 * ```ts
 * logShadowDisagreement({ tenant: "acme", session_key: "sess:1", set: "facility", key: "65a0f0c2e1a9d3f4a5b6f005", legacy: true, blob: false });
 * // {"sessionpack":"shadow_disagreement","tenant":"acme","session_key":"sess:1","set":"facility","key":"65a0…f005","legacy":true,"blob":false}
 * ```
 */
export function logShadowDisagreement(d: ShadowDisagreement): void {
  console.warn(JSON.stringify({ sessionpack: "shadow_disagreement", tenant: d.tenant, session_key: d.session_key, set: d.set, key: d.key, legacy: d.legacy, blob: d.blob }));
}

/**
 * The default log of a shadow read whose blob could not be read: one JSON line to standard
 * error, with the tenant, the legacy key and the error's kind (no message: it may quote data).
 *
 * ```ts
 * logShadowBlobUnreadable({ tenant: "acme", session_key: "sess:1", kind: "no_session", error: null });
 * // {"sessionpack":"shadow_blob_unreadable","tenant":"acme","session_key":"sess:1","kind":"no_session"}
 * ```
 */
export function logShadowBlobUnreadable(f: ShadowBlobUnreadable): void {
  console.warn(JSON.stringify({ sessionpack: "shadow_blob_unreadable", tenant: f.tenant, session_key: f.session_key, kind: f.kind }));
}
