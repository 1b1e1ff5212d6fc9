/**
 * The optional peer `@opentelemetry/api`: the part of its `Meter` and `MeterProvider` the caches
 * use, declared here (so that the package's types never name the peer and compile without it),
 * and how a cache finds its meter — the application's, or the global one of the API when the
 * package is installed, found by an `import()` made once, when the first cache is connected
 * without a meter of its own. No top-level await: the CommonJS build turns that `import()` into
 * a `require()` at the same moment. Absent, metrics are off and cost nothing.
 */

import { SessionpackError } from "../errors.js";

/** Attributes of a measurement: a few names with values from a fixed set (METRICS.md). */
export interface MetricAttributesLike {
  readonly [name: string]: string;
}

/** A histogram of `@opentelemetry/api` (its `record`). */
export interface HistogramLike {
  record(value: number, attributes?: MetricAttributesLike): void;
}

/** An observable instrument of `@opentelemetry/api` (opaque here: passed back to the meter). */
export type ObservableLike = object;

/** What a batch observable callback of `@opentelemetry/api` is given. */
export interface BatchObservableResultLike {
  observe(observable: ObservableLike, value: number, attributes?: MetricAttributesLike): void;
}

/** The options of an instrument, as `@opentelemetry/api` takes them. */
export interface InstrumentOptionsLike {
  description?: string;
  unit?: string;
  /** `ValueType.INT` (0) or `ValueType.DOUBLE` (1). */
  valueType?: number;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** The part of an `@opentelemetry/api` `Meter` (API 1.3 or later) the caches use. */
export interface MeterLike {
  createHistogram(name: string, options?: InstrumentOptionsLike): HistogramLike;
  createObservableCounter(name: string, options?: InstrumentOptionsLike): ObservableLike;
  addBatchObservableCallback(callback: (result: BatchObservableResultLike) => void | Promise<void>, observables: ObservableLike[]): void;
  removeBatchObservableCallback(callback: (result: BatchObservableResultLike) => void | Promise<void>, observables: ObservableLike[]): void;
}

/** An `@opentelemetry/api` `MeterProvider` (the SDK's `MeterProvider`, or any other). */
export interface MeterProviderLike {
  getMeter(name: string, version?: string): MeterLike;
}

/**
 * Where a cache's metrics go (the `metrics` option): a `MeterProvider` (the cache takes its
 * meter `sessionpack`), a `Meter`, or `false` for none. Left out: the global `MeterProvider` of
 * `@opentelemetry/api` when that package is installed (as it is when the application set up the
 * OpenTelemetry SDK: register the SDK before connecting the caches), none otherwise.
 */
export type MetricsOption = MeterProviderLike | MeterLike | false;

/** The instrumentation scope's name: the meter every cache asks a provider for. */
export const METER_NAME = "sessionpack";

/** The `metrics` of `@opentelemetry/api`, as far as it is used. */
interface MetricsApi {
  getMeter(name: string, version?: string): MeterLike;
}

let api: Promise<MetricsApi | undefined> | undefined;

/**
 * The global `metrics` API of `@opentelemetry/api`, imported the first time a cache needs it;
 * `undefined` when the package is not installed (or is not the API). Found or not, once.
 */
export function loadMetricsApi(): Promise<MetricsApi | undefined> {
  api ??= (import("@opentelemetry/api") as Promise<unknown>).then(
    (m) => {
      const mod = m as { metrics?: Partial<MetricsApi>; default?: { metrics?: Partial<MetricsApi> } };
      const metrics = mod.metrics ?? mod.default?.metrics;
      return typeof metrics?.getMeter === "function" ? (metrics as MetricsApi) : undefined;
    },
    () => undefined,
  );
  return api;
}

function isMeter(x: object): x is MeterLike {
  const m = x as Partial<MeterLike>;
  return (
    typeof m.createHistogram === "function" &&
    typeof m.createObservableCounter === "function" &&
    typeof m.addBatchObservableCallback === "function" &&
    typeof m.removeBatchObservableCallback === "function"
  );
}

/**
 * Checks the `metrics` option now (before anything is connected): a `TypeError` saying what is
 * expected for anything but a `MeterProvider`, a `Meter` (of `@opentelemetry/api` 1.3 or
 * later), `false` or nothing.
 */
export function checkMetricsOption(option: unknown): void {
  if (option === undefined || option === false) return;
  if (typeof option === "object" && option !== null) {
    if (typeof (option as Partial<MeterProviderLike>).getMeter === "function" || isMeter(option)) return;
  }
  throw new TypeError("metrics must be an OpenTelemetry MeterProvider, a Meter (of @opentelemetry/api 1.3 or later), or false for none");
}

/**
 * The meter a cache's instruments are made on: `option`'s, or the global provider's when the
 * option is left out and `@opentelemetry/api` is installed; `undefined` for none.
 */
export async function resolveMeter(option: MetricsOption | undefined): Promise<MeterLike | undefined> {
  checkMetricsOption(option);
  if (option === false) return undefined;
  if (option === undefined) {
    const metrics = await loadMetricsApi();
    return metrics === undefined ? undefined : checked(metrics.getMeter(METER_NAME), "the global MeterProvider of @opentelemetry/api");
  }
  if (typeof (option as Partial<MeterProviderLike>).getMeter === "function") {
    return checked((option as MeterProviderLike).getMeter(METER_NAME), "metrics.getMeter()");
  }
  return option as MeterLike;
}

function checked(meter: unknown, what: string): MeterLike {
  if (typeof meter === "object" && meter !== null && isMeter(meter)) return meter;
  throw new SessionpackError(
    "invalid_input",
    `${what} answered something that is not an OpenTelemetry Meter of @opentelemetry/api 1.3 or later (no addBatchObservableCallback): ` +
      "upgrade @opentelemetry/api, or pass metrics: false",
  );
}
