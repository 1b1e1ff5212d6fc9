// The types of keys.mjs (how the examples name a session), for the tests that run the examples
// under the strict compiler.

/**
 * The Redis key of the session a request or job names by its session id: `session:<id>`, for
 * ids of 1 to 128 letters, digits, `-` and `_` only; `undefined` otherwise (anything else given,
 * a number or nothing, included).
 *
 * ```ts
 * sessionKeyOf("abc_1"); // "session:abc_1"
 * sessionKeyOf("../x");  // undefined
 * ```
 */
export function sessionKeyOf(sessionId: unknown): string | undefined;

/**
 * The session id of an `Authorization: Bearer <id>` header, or `undefined` (no header, another
 * scheme, or not a string).
 *
 * ```ts
 * bearer("Bearer abc"); // "abc"
 * bearer("Basic dTpw"); // undefined
 * ```
 */
export function bearer(header: unknown): string | undefined;
