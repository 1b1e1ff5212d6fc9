// The types of bullmq-worker.mjs, for the tests that run the example under the strict compiler
// (test/middleware.test.ts).
import type { ConnectionOptions, Worker } from "bullmq";
import type { SessionAccess } from "sessionpack/redis";

/** A report job's data: the session it runs as, and the records to check (facility ObjectIds as hex text). */
export interface ReportJobData {
  sessionId?: string;
  records: { _id: string; facilityId: string }[];
}

/** A report job's result: the session's user, and the ids of the records it may see. */
export interface ReportResult {
  user: string;
  visible: string[];
}

/**
 * The processor: loads the job's session once and checks every record against it; rejects
 * (nothing granted) without a session, or with an expired, forged or unreadable one.
 *
 * ```ts
 * const result = await reportProcessor(access)({ data: { sessionId, records } });
 * ```
 */
export function reportProcessor(access: SessionAccess): (job: { data: ReportJobData }) => Promise<ReportResult>;

/** Options of {@link createReportWorker}. */
export interface ReportWorkerOptions {
  queueName: string;
  /** The app's ioredis `Redis` or `Cluster` (with `maxRetriesPerRequest: null`, as BullMQ asks). */
  connection: ConnectionOptions;
  access: SessionAccess;
  /** Jobs at once (default 4). */
  concurrency?: number;
  /** BullMQ's key prefix: a hash tag (`"{bull}"`) on a cluster. */
  prefix?: string;
  /** Seconds a worker waits for jobs on an empty queue. */
  drainDelay?: number;
}

/**
 * A BullMQ `Worker` (the class given) on `queueName` running {@link reportProcessor}.
 *
 * ```ts
 * import { Worker } from "bullmq";
 * const worker = createReportWorker(Worker, { queueName: "reports", connection, access });
 * ```
 */
export function createReportWorker(Worker: typeof import("bullmq").Worker, options: ReportWorkerOptions): Worker<ReportJobData, ReportResult>;
