// `npm run lint`: typescript-eslint over the package's sources (src/) and tests (test/, all in
// TypeScript), with type information from tsconfig.json and tsconfig.test.json. Files written by
// the build are not linted.
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
);
