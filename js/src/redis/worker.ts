/**
 * A job-worker helper (BullMQ-shaped, without importing BullMQ): the job's session and its
 * access checks loaded once per job.
 */

import { type Access, NoSessionError, type SessionAccess } from "./access.js";

/**
 * A job processor that loads the job's session once — `sessionKeyOf(job)` names its Redis key —
 * and calls `process(access, job)` with its frozen {@link Access}: the job's checks of keys the
 * dictionary copy holds cost no I/O, so a job that checks 100 records costs one session read
 * (a `GETRANGE` header check, or nothing while tracking is live) and one dictionary read.
 *
 * A job without a session key, or whose session is missing, rejects with a
 * {@link NoSessionError}; every error of the caches propagates (`expired`, `unavailable`, …):
 * the job fails and nothing is granted. (With BullMQ, wrap it to throw `UnrecoverableError` for
 * kinds a retry cannot fix, such as `expired` and `no_session`.)
 *
 * ```js
 * import { Worker } from "bullmq";
 * const worker = new Worker("reports", withSession(access, (job) => job.data.sessionKey, async (a, job) => {
 *   return a.filter(job.data.records, (r) => r.facilityId);
 * }), { connection });
 * ```
 */
export function withSession<J, R>(
  access: SessionAccess,
  sessionKeyOf: (job: J) => string | undefined | null,
  process: (access: Access, job: J) => R | Promise<R>,
): (job: J) => Promise<R> {
  if (typeof access?.load !== "function") throw new TypeError("the first argument must be a SessionAccess");
  if (typeof sessionKeyOf !== "function" || typeof process !== "function") throw new TypeError("sessionKeyOf and process must be functions");
  return async (job: J): Promise<R> => {
    const key = sessionKeyOf(job);
    if (key === undefined || key === null || key === "") throw new NoSessionError("the job names no session key");
    const a = await access.load(key);
    if (a === null) throw new NoSessionError("no session under the job's key (missing, deleted, or expired in Redis)");
    return process(a, job);
  };
}
