// What the fast-path tests (fastpath.test.ts, fastpath-lookup.test.ts) share: a seeded generator
// of "random" numbers and bytes (the same every run), and the bson package when it is installed
// (a devDependency; with CI set, its absence is an error rather than fewer forms checked).

/** xorshift32 from `seed`: a function giving the next 32-bit unsigned number. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** A generator of {@link rng}(`seed`) and `bytesOf(n)`: n bytes drawn from that same generator. */
export function seeded(seed: number): { random: () => number; bytesOf: (n: number) => Uint8Array<ArrayBuffer> } {
  const random = rng(seed);
  return { random, bytesOf: (n) => Uint8Array.from({ length: n }, () => random() & 0xff) };
}

/** The bson package, or undefined when it is not installed (an error when CI is set). */
export async function optionalBson(): Promise<typeof import("bson") | undefined> {
  try {
    return await import("bson");
  } catch (e) {
    if (process.env.CI) throw new Error(`the bson package (a devDependency of the tests) is not installed: ${(e as Error).message}`);
    return undefined;
  }
}
