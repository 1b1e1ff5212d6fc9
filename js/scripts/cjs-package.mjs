// Marks dist/cjs/ as CommonJS for Node and TypeScript (its .js and .d.ts files are read as
// CommonJS because this package.json is the nearest one), after `tsc -p tsconfig.cjs.json`.
import { existsSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const file = fileURLToPath(new URL("../dist/cjs/package.json", import.meta.url));
if (!existsSync(fileURLToPath(new URL("../dist/cjs/index.js", import.meta.url)))) {
  console.error("dist/cjs/index.js is missing: run tsc -p tsconfig.cjs.json first");
  process.exit(1);
}
writeFileSync(file, `${JSON.stringify({ type: "commonjs" }, null, 2)}\n`);
