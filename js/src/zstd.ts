/**
 * One-shot zstd decompression with libzstd's reference decoder compiled to WebAssembly (the
 * module zstddec ships, vendored in `zstd-wasm.ts`). The module is compiled and instantiated
 * **synchronously, on the first call** (`new WebAssembly.Module` and `new WebAssembly.Instance`:
 * a millisecond or two in Node for this 54 KB module), so nothing runs at import, the package
 * has no top-level `await` (it loads under `require`), and a service that only opens raw blobs
 * never pays for it. Its memory grows to the largest body seen and is reused.
 */

import { ZSTD_WASM_BASE64 } from "./zstd-wasm.js";

/**
 * What this file uses of the global `WebAssembly` (Node's; neither lib ES2024 nor @types/node 20
 * declares it).
 */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, () => unknown>>) => { readonly exports: unknown };
}

/** What this file uses of the module's exports. */
interface ZstdExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  /** `ZSTD_decompress(dst, dstCapacity, src, srcSize)`: the size written, or an error code. */
  ZSTD_decompress(dst: number, dstCapacity: number, src: number, srcSize: number): number;
  ZSTD_isError(code: number): number;
}

let zstd: ZstdExports | undefined;

function instance(): ZstdExports {
  if (zstd === undefined) {
    const wasm = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(ZSTD_WASM_BASE64, "base64"));
    // The module tells its host when its memory grew; views are made afresh after every call.
    const made = new wasm.Instance(module, { env: { emscripten_notify_memory_growth: () => undefined } });
    zstd = made.exports as ZstdExports;
  }
  return zstd;
}

/** libzstd's error codes (`zstd_errors.h`) that a one-shot decompression can return. */
const ERRORS: Record<number, string> = {
  1: "generic error",
  10: "unknown frame prefix",
  12: "unsupported frame version",
  14: "unsupported frame parameter",
  16: "the frame's window is too large for this decoder",
  20: "corrupted data",
  22: "content checksum mismatch",
  24: "literals header wrong",
  30: "dictionary corrupted",
  32: "wrong dictionary",
  64: "out of memory",
  70: "the content is larger than the declared length",
  72: "the input does not end with the frame",
};

/**
 * Decompresses the zstd frame(s) in `src` into a new buffer of at most `capacity` bytes and
 * returns exactly the bytes written. Throws an `Error` naming libzstd's error for a frame it
 * refuses (the caller turns it into its refusal).
 */
export function decompress(src: Uint8Array, capacity: number): Uint8Array {
  const z = instance();
  const srcPtr = z.malloc(Math.max(src.length, 1));
  if (srcPtr === 0) throw new Error(`cannot allocate ${src.length} bytes in the decoder's memory`);
  let dstPtr = 0;
  try {
    dstPtr = z.malloc(Math.max(capacity, 1));
    if (dstPtr === 0) throw new Error(`cannot allocate ${capacity} bytes in the decoder's memory`);
    new Uint8Array(z.memory.buffer, srcPtr, src.length).set(src);
    const result = z.ZSTD_decompress(dstPtr, capacity, srcPtr, src.length);
    if (z.ZSTD_isError(result) !== 0) {
      // size_t is 32 bits wide in the module: the code is -result.
      const code = -(result | 0);
      throw new Error(`libzstd: ${ERRORS[code] ?? "error"} (code ${code})`);
    }
    const written = result >>> 0;
    // The memory may have grown during the call: a fresh view of its current buffer.
    return new Uint8Array(z.memory.buffer, dstPtr, written).slice();
  } finally {
    if (dstPtr !== 0) z.free(dstPtr);
    z.free(srcPtr);
  }
}
