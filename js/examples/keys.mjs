// The one place the examples turn a bson ObjectId into a key the sessionpack core accepts.
//
// Until the core takes an ObjectId itself (its key functions will accept an ObjectId, its
// 24-hex text or its 12 bytes), records' ObjectIds are passed as their hex text. Once it does,
// this becomes `(oid) => oid`, and callers may drop it.

/** The dictionary key of a bson ObjectId (a facility's or a group's `_id`). */
export const keyOfObjectId = (oid) => oid.toHexString();

/**
 * The Redis key of the session a request or job names by its session id: `session:<id>`, for
 * ids of 1 to 128 letters, digits, `-` and `_` only (so a client cannot name another kind of
 * key); `undefined` otherwise (401).
 */
export function sessionKeyOf(sessionId) {
  return typeof sessionId === "string" && /^[A-Za-z0-9_-]{1,128}$/.test(sessionId) ? `session:${sessionId}` : undefined;
}

/** The session id of an `Authorization: Bearer <id>` header, or `undefined`. */
export function bearer(header) {
  const m = typeof header === "string" ? /^Bearer ([^\s]+)$/.exec(header) : null;
  return m === null ? undefined : m[1];
}
