/**
 * {@link ShadowCounts}: the agreements and disagreements of a rollout reader's shadow probes per
 * set (ROLLOUT.md RO-SHADOW-COUNT), kept by the reader and added to its session cache's tally,
 * which reports them as `sessionpack.shadow.agreements` / `.disagreements` (METRICS.md).
 */

import type { Tally } from "../tally.js";
import type { ProbeSet } from "./shadow-log.js";

/** The counts of one set. */
export interface ProbeCounts {
  /** Probes whose decision from the blob equalled the decision from the legacy session. */
  readonly agreements: number;
  /** Probes whose decisions differed. */
  readonly disagreements: number;
}

/** A rollout reader's shadow counts, per set. */
export interface ShadowCounts {
  readonly facility: ProbeCounts;
  readonly group: ProbeCounts;
}

/** Where a reader counts its probes: its own counts, and the tally of its session cache (the metrics). */
export class ShadowCounter {
  readonly #agreements = [0, 0];
  readonly #disagreements = [0, 0];
  readonly #tally: Tally | undefined;

  constructor(tally: Tally | undefined) {
    this.#tally = tally;
    if (tally !== undefined) tally.shadowed = true;
  }

  /** Counts one probe of `set`: an agreement when `legacy === blob`. */
  count(set: ProbeSet, legacy: boolean, blob: boolean): void {
    const i = set === "facility" ? 0 : 1;
    if (legacy === blob) {
      this.#agreements[i]!++;
      if (this.#tally !== undefined) this.#tally.shadowAgreements[i]!++;
    } else {
      this.#disagreements[i]!++;
      if (this.#tally !== undefined) this.#tally.shadowDisagreements[i]!++;
    }
  }

  /** The counts so far. */
  counts(): ShadowCounts {
    return {
      facility: { agreements: this.#agreements[0]!, disagreements: this.#disagreements[0]! },
      group: { agreements: this.#agreements[1]!, disagreements: this.#disagreements[1]! },
    };
  }
}
