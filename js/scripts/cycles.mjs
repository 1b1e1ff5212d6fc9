// `npm run cycles` (part of `npm run lint`): the package's modules import one another without a
// circle, `import type` included (a room that names its caller's types still reaches up).
// Reads the import graph of src/ (every relative `import`, `import type`, `export … from` and
// `import()` of every .ts file, through TypeScript's own pre-processor) and prints every cycle
// as `a.ts → b.ts → a.ts`; exits 1 when there is one, 0 with a count of modules and edges.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const SRC = fileURLToPath(new URL("../src", import.meta.url));

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [full] : [];
  });
}

const files = sources(SRC).sort();
const known = new Set(files);
const graph = new Map();
let edges = 0;
for (const file of files) {
  const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const target = path.resolve(path.dirname(file), fileName).replace(/\.js$/, ".ts");
    // A module that is not in src/ yet (hash-wasm.ts, zstd-wasm.ts: written by the build) imports
    // nothing: a leaf.
    if (known.has(target)) targets.add(target);
  }
  graph.set(file, [...targets].sort());
  edges += targets.size;
}

// Tarjan's strongly connected components: every component of more than one module (or a module
// importing itself) holds a cycle; one cycle through it is printed, found by a walk inside it.
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
let next = 0;
function connect(v) {
  index.set(v, next);
  low.set(v, next);
  next++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v)) {
    if (!index.has(w)) {
      connect(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), index.get(w)));
    }
  }
  if (low.get(v) === index.get(v)) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v).includes(v)) components.push(component);
  }
}
for (const v of files) if (!index.has(v)) connect(v);

function cycleIn(component) {
  const inside = new Set(component);
  const start = component.slice().sort()[0];
  const seen = new Map([[start, null]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift();
    for (const w of graph.get(v)) {
      if (w === start) {
        const cycle = [start];
        for (let u = v; u !== start; u = seen.get(u)) cycle.splice(1, 0, u);
        return [...cycle, start];
      }
      if (inside.has(w) && !seen.has(w)) {
        seen.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

const name = (f) => path.relative(SRC, f);
for (const component of components) {
  console.error(`import cycle: ${cycleIn(component).map(name).join(" → ")}`);
  console.error(`  (modules in it: ${component.map(name).sort().join(", ")})`);
}
if (components.length > 0) {
  console.error(`${components.length} import cycle(s) in src/`);
  process.exit(1);
}
console.log(`no import cycle in src/ (${files.length} modules, ${edges} imports)`);
