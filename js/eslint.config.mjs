// `npm run lint`: typescript-eslint over the package's sources (src/) and tests (test/), with
// type information from tsconfig.json and tsconfig.test.json; the tests still in JavaScript
// (test/*.mjs) get the rules that need no types. Files written by the build are not linted.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/",
      "test-build/",
      "node_modules/",
      "bench/",
      "examples/",
      "scripts/",
      "redis/",
      "eslint.config.mjs",
      // Written by scripts/build-wasm.mjs and scripts/vendor-zstd.mjs: base64 of WebAssembly.
      "src/hash-wasm.ts",
      "src/zstd-wasm.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ["./tsconfig.json", "./tsconfig.test.json"],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Cleanup of a process or socket that may be gone already: `try { … } catch {}`.
      "no-empty": ["error", { allowEmptyCatch: true }],
      // node:test's test() and describe() return promises the runner awaits itself.
      "@typescript-eslint/no-floating-promises": [
        "error",
        { allowForKnownSafeCalls: [{ from: "package", package: "node:test", name: ["test", "describe", "it", "suite"] }] },
      ],
    },
  },
  {
    files: ["test/**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: Object.fromEntries(
        ["process", "console", "Buffer", "URL", "TextEncoder", "TextDecoder", "performance", "fetch", "AbortController", "structuredClone", "queueMicrotask"]
          .concat(["setTimeout", "clearTimeout", "setInterval", "clearInterval", "setImmediate"])
          .map((name) => [name, "readonly"]),
      ),
    },
  },
);
