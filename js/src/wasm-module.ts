/**
 * Compiling and instantiating the package's own WebAssembly modules (assembled from
 * `src/wasm/*.wat` at build time), **synchronously**: `new WebAssembly.Module` and `new
 * WebAssembly.Instance`, so nothing is awaited at import or at use. Each module is compiled
 * once, on first use, by the file that uses it.
 */

/** What the package uses of the global `WebAssembly` (neither lib ES2024 nor @types/node 20 declares it). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, never>) => { readonly exports: unknown };
}

/** A compiled module, to instantiate with {@link instantiate}. */
export type CompiledModule = object;

function api(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
}

/** Compiles the module whose bytes are `base64`. */
export function compile(base64: string): CompiledModule {
  return new (api().Module)(Buffer.from(base64, "base64"));
}

/** A new instance of `module` (it imports nothing), as its exports. */
export function instantiate<T>(module: CompiledModule): T {
  return new (api().Instance)(module, {}).exports as T;
}
