// A BullMQ worker whose jobs each carry a session id and 100 records (facility ObjectIds as hex
// text, as JSON carries them): the job's processor loads the session once through sessionpack's
// caches (withSession) and checks every record against it — 100 checks for one session read
// (a GETRANGE header check, or nothing while tracking is live) and no dictionary read while the
// copy holds the records' facilities.
//
//   REDIS_URL=redis://127.0.0.1:6379 SESSIONPACK_KEY=<64 hex digits> node examples/bullmq-worker.mjs
//
// (`test/middleware.test.ts` runs it against a server and a cluster, BullMQ over the app's ioredis,
// the caches over a URL, the app's node-redis or the same ioredis connection.)
import { pathToFileURL } from "node:url";
import { withSession } from "sessionpack/redis";
import { sessionKeyOf } from "./keys.mjs";

/**
 * The processor: `job.data` is `{ sessionId, records: [{ _id, facilityId }] }`; the result is the
 * ids of the records the session may see. A job without a session fails (`NoSessionError`), and so
 * does one whose session is expired, forged, or unreadable: nothing is granted on an error.
 */
export function reportProcessor(access) {
  return withSession(
    access,
    (job) => sessionKeyOf(job.data.sessionId),
    async (a, job) => {
      const visible = [];
      for (const r of job.data.records) if (await a.canSee(r.facilityId)) visible.push(r._id);
      return { user: a.userId, visible };
    },
  );
}

/**
 * A BullMQ `Worker` on `queueName` running {@link reportProcessor}, over `connection` (the app's
 * ioredis `Redis` or `Cluster`, created with `maxRetriesPerRequest: null` as BullMQ asks). On a
 * cluster give a hash-tag `prefix` (`"{bull}"`): BullMQ's keys of a queue must share a slot.
 */
export function createReportWorker(Worker, { queueName, connection, access, concurrency = 4, prefix, drainDelay }) {
  return new Worker(queueName, reportProcessor(access), {
    connection,
    concurrency,
    ...(prefix === undefined ? {} : { prefix }),
    ...(drainDelay === undefined ? {} : { drainDelay }),
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { Worker } = await import("bullmq");
  const { default: Redis } = await import("ioredis");
  const { connectAccess } = await import("./express-service.mjs");
  // One ioredis connection of the app's, for BullMQ and for sessionpack's caches alike.
  const connection = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null });
  const keys = [{ id: Number(process.env.SESSIONPACK_KEY_ID ?? 1), key: Buffer.from(process.env.SESSIONPACK_KEY ?? "", "hex") }];
  const { access } = await connectAccess(connection, keys);
  const worker = createReportWorker(Worker, { queueName: "reports", connection, access });
  worker.on("failed", (job, err) => console.warn(`job ${job?.id} denied: ${err.kind ?? err.name}`));
}
