#!/usr/bin/env node
// `node bench/rows-written.mjs`: the D1 rows-written experiment behind recommendation 1 of BENCHMARKS.md.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWrangler } from "./lib/dev.mjs";
import { request } from "./lib/api.mjs";

const tmp = mkdtempSync(path.join(tmpdir(), "cyberhub-rows-"));
const s = await startWrangler({ name: "rows-written", stateDir: tmp, config: "bench/experiments/rows-written/wrangler.toml" });
try {
  const res = await request(s.url, "GET", "/");
  console.table(res.body);
} finally {
  await s.stop();
  rmSync(tmp, { recursive: true, force: true });
}
