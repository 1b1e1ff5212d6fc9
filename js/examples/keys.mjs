// How the examples name a session: from a request's `Authorization: Bearer <id>` header to the
// session's Redis key. (Records' facility ObjectIds go to sessionpack as they are: every key
// function takes a bson ObjectId, its 24 hex digits or its 12 bytes.)

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
