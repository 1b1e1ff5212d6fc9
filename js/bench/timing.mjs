// The benches' timing: interleaved rounds, best round kept (shared by bench.mjs and micro.mjs;
// benches/examples/node_compare.rs does the same in Rust).

/**
 * Times every operation of `ops` (name → function) in interleaved rounds: each round runs each
 * operation for about `ms`, and each keeps the best mean of its rounds (ns per call). On a
 * shared machine, noise then falls on every operation alike and the best round of each is a
 * quiet one.
 */
export function timeAll(ops, { ms = 40, rounds = 15 } = {}) {
  const calls = {};
  for (const [name, f] of Object.entries(ops)) {
    let n = 1;
    for (;;) {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      if (Number(process.hrtime.bigint() - t) / 1e6 > ms / 2) break;
      n *= 2;
    }
    calls[name] = n;
  }
  const best = Object.fromEntries(Object.keys(ops).map((k) => [k, Infinity]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, f] of Object.entries(ops)) {
      const n = calls[name];
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) f();
      best[name] = Math.min(best[name], Number(process.hrtime.bigint() - t) / n);
    }
  }
  return best;
}

export function human(ns) {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}
