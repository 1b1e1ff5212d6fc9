// The benches' data: js/bench/data (not committed), written once by the Rust generator in
// js/bench/gen (the profiles and seed of the Rust benches).

import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = fileURLToPath(new URL(".", import.meta.url));

/** Where the generated files live. */
export const DATA = path.join(HERE, "data");

/** Generates `profile`'s files with the Rust generator unless they are there already. */
export function ensureData(profile) {
  if (existsSync(path.join(DATA, `${profile}.meta.json`))) return;
  console.error(`generating the ${profile} profile with the Rust generator (cargo, once)…`);
  const manifest = path.join(HERE, "gen", "Cargo.toml");
  const args = ["run", "--release", "-q", "--manifest-path", manifest, "--", DATA, profile];
  try {
    execFileSync("cargo", [...args.slice(0, 2), "--offline", ...args.slice(2)], { stdio: "inherit" });
  } catch {
    execFileSync("cargo", args, { stdio: "inherit" });
  }
}
