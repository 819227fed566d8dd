// Browser data loading: Kiln's engine worker vs DuckDB-wasm, side by side in one page of one
// headless Chromium, on the same CSV text.
//
// Kiln: a page on the `kiln serve` origin creates `new Worker('/kiln-worker_loader.js')`,
// waits for `{"type":"ready"}`, then posts the studio's own request
// `{"type":"profile", job_id, file_name:"bench.csv", text, types:{}, target:"y"}` and waits for
// the matching "profiled" event (parse, type inference and the full profile in the worker).
// Timed from just before `JSON.stringify` of the request to the parsed "profiled" event.
//
// DuckDB-wasm (the bundle `selectBundle` picks: eh in Chromium, single-threaded like Kiln's
// worker): `registerFileText('bench.csv', text)` + `CREATE TABLE t AS SELECT * FROM
// read_csv('bench.csv')` ("load"), then `SUMMARIZE t` (its one-statement profile).
//
// The CSV is fetched into the page once (timed, reported apart); worker start-up / wasm
// instantiation is timed and reported apart too. Each side runs RUNS times (the median is
// reported), Kiln first (DuckDB first with --duckdb-first), in the same worker / database. The page, the DuckDB files and the CSV
// come from a small node http server on another port (CORS on); the page is an empty 404
// document of the Kiln origin, so the studio app never loads beside the benchmark.
//
// Usage (from the repository root; see bench/browser/run.sh):
//   node bench/browser/parse.mjs [FILE.csv] [--duckdb-only] [--duckdb-first]
// Env: KILN_BIN (default ${CARGO_TARGET_DIR:-target}/release/kiln), KILN_DIST (default dist),
//      CHROMIUM (default /usr/bin/chromium), RUNS (default 3).

import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, rmSync, statSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { startKiln } from "../../e2e/harness.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const NODE_MODULES = join(HERE, "node_modules");
const KILN_BIN = process.env.KILN_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "release", "kiln");
const KILN_DIST = process.env.KILN_DIST || join(ROOT, "dist");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const RUNS = Number(process.env.RUNS || 3);
// As e2e/harness.mjs, without WebGPU (not used here).
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

const args = process.argv.slice(2);
const duckdbOnly = args.includes("--duckdb-only");
const duckdbFirst = args.includes("--duckdb-first");
let csvPath = args.find((a) => !a.startsWith("--"));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (x) => (x === undefined || x === null ? "—" : x.toFixed(0));

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".csv": "text/csv", ".html": "text/html; charset=utf-8", ".json": "application/json" };

/** Static files: /nm/* from bench/browser/node_modules and /bench.csv; CORS on. */
async function startStatic(csv) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let file = null;
    if (path === "/bench.csv") file = csv;
    else if (path.startsWith("/nm/")) {
      const f = resolve(NODE_MODULES, "." + path.slice(3));
      if (f.startsWith(NODE_MODULES + sep)) file = f;
    }
    const headers = { "access-control-allow-origin": "*", "cache-control": "no-store" };
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers);
      return res.end("not found");
    }
    res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] || "application/octet-stream", "content-length": statSync(file).size });
    createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, stop: () => new Promise((r) => server.close(r)) };
}

/** The import map duckdb-browser.mjs needs: it imports "apache-arrow", which imports "tslib"
 * and "flatbuffers". */
function importMap(staticUrl) {
  return {
    "apache-arrow": `${staticUrl}/nm/apache-arrow/Arrow.dom.mjs`,
    tslib: `${staticUrl}/nm/tslib/tslib.es6.mjs`,
    flatbuffers: `${staticUrl}/nm/flatbuffers/mjs/flatbuffers.js`,
  };
}

// ---- in-page code (run through page.evaluate) ----

function addImportMap(imports) {
  const script = document.createElement("script");
  script.type = "importmap";
  script.textContent = JSON.stringify({ imports });
  document.head.appendChild(script);
}

async function fetchText(csvUrl) {
  const t0 = performance.now();
  const text = await (await fetch(csvUrl)).text();
  window.__text = text;
  return { fetch_ms: performance.now() - t0, chars: text.length };
}

async function kilnStart() {
  const t0 = performance.now();
  const worker = new Worker("/kiln-worker_loader.js");
  window.__kiln = worker;
  window.__kilnWaiters = [];
  worker.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "progress") return;
    window.__kilnWaiters = window.__kilnWaiters.filter((w) => !w(m));
  };
  await new Promise((res, rej) => {
    window.__kilnWaiters.push((m) => (m.type === "ready" ? (res(), true) : false));
    worker.onerror = (e) => rej(new Error(`kiln worker error: ${e.message}`));
  });
  return { ready_ms: performance.now() - t0 };
}

async function kilnRun(jobId) {
  const text = window.__text;
  const worker = window.__kiln;
  const done = new Promise((res) => {
    window.__kilnWaiters.push((m) => {
      if (m.job_id !== jobId) return false;
      res(m);
      return true;
    });
  });
  const t0 = performance.now();
  const request = JSON.stringify({ type: "profile", job_id: jobId, file_name: "bench.csv", text, types: {}, target: "y" });
  worker.postMessage(request);
  const posted = performance.now();
  const m = await done;
  const t1 = performance.now();
  if (m.type !== "profiled") throw new Error(`kiln worker answered ${m.type}: ${JSON.stringify(m.error || m)}`);
  return {
    total_ms: t1 - t0,
    post_ms: posted - t0,
    rows: m.profile.rows,
    columns: m.profile.columns.length,
    // Whether the worker honoured `target` (an older worker ignores it).
    target_relations: m.profile.target ? m.profile.target.features.length : null,
    correlations: Boolean(m.profile.correlations),
  };
}

async function duckStart(staticUrl) {
  const base = `${staticUrl}/nm/@duckdb/duckdb-wasm/dist/`;
  const duckdb = await import(`${base}duckdb-browser.mjs`);
  const bundle = await duckdb.selectBundle({
    mvp: { mainModule: `${base}duckdb-mvp.wasm`, mainWorker: `${base}duckdb-browser-mvp.worker.js` },
    eh: { mainModule: `${base}duckdb-eh.wasm`, mainWorker: `${base}duckdb-browser-eh.worker.js` },
  });
  const t0 = performance.now();
  // The worker script is on another origin: start it from a same-origin blob.
  const workerUrl = URL.createObjectURL(new Blob([`importScripts(${JSON.stringify(bundle.mainWorker)});`], { type: "text/javascript" }));
  const worker = new Worker(workerUrl);
  const db = new duckdb.AsyncDuckDB(new duckdb.VoidLogger(), worker);
  await db.instantiate(bundle.mainModule, bundle.pthreadWorker);
  const conn = await db.connect();
  window.__duck = { db, conn };
  return {
    instantiate_ms: performance.now() - t0,
    bundle: bundle.mainModule.split("/").pop(),
    version: await db.getVersion(),
  };
}

async function duckRun() {
  const { db, conn } = window.__duck;
  const text = window.__text;
  const t0 = performance.now();
  await db.registerFileText("bench.csv", text);
  const registered = performance.now();
  await conn.query("CREATE TABLE t AS SELECT * FROM read_csv('bench.csv')");
  const loaded = performance.now();
  const summary = await conn.query("SUMMARIZE t");
  const t1 = performance.now();
  const rows = Number((await conn.query("SELECT count(*) AS n FROM t")).toArray()[0].n);
  const columns = (await conn.query("DESCRIBE t")).numRows;
  await conn.query("DROP TABLE t");
  await db.dropFile("bench.csv");
  return {
    register_ms: registered - t0,
    load_ms: loaded - t0,
    summarize_ms: t1 - loaded,
    total_ms: t1 - t0,
    rows,
    columns,
    summary_rows: summary.numRows,
  };
}

// ---- driver ----

async function main() {
  let tmp = null;
  if (!csvPath) {
    tmp = mkdtempSync(join(tmpdir(), "kiln-bench-csv-"));
    csvPath = join(tmp, "bench.csv");
    execFileSync("python3", [join(ROOT, "bench", "gen_csv.py"), "100000", csvPath], { stdio: "inherit" });
  }
  const bytes = statSync(csvPath).size;
  const stat = await startStatic(csvPath);
  const kiln = duckdbOnly ? null : await startKiln({ bin: KILN_BIN, dist: KILN_DIST });
  const profileDir = mkdtempSync(join(tmpdir(), "kiln-bench-profile-"));
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context.setDefaultTimeout(600_000);
  const browserVersion = context.browser()?.version() ?? execFileSync(CHROMIUM, ["--version"]).toString().trim();
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  const origin = kiln ? kiln.url : stat.url;
  const result = { file: csvPath, bytes, chromium: browserVersion, runs: RUNS, order: duckdbFirst ? "duckdb first" : "kiln first", kiln: null, duckdb: null };
  try {
    // An empty 404 page of the origin: a real document from the loopback address (a page
    // answered by route interception counts as public and may not fetch from loopback), and
    // no studio app running beside the benchmark.
    await page.goto(`${origin}/__bench`);
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => m.type() === "error" && !/status of 404/.test(m.text()) && errors.push(m.text()));
    await page.evaluate(addImportMap, importMap(stat.url));
    const fetched = await page.evaluate(fetchText, `${stat.url}/bench.csv`);
    result.fetch_ms = fetched.fetch_ms;
    const runKiln = async () => {
      const start = await page.evaluate(kilnStart);
      const runs = [];
      for (let i = 1; i <= RUNS; i++) runs.push(await page.evaluate(kilnRun, i));
      result.kiln = { ...start, runs };
    };
    const runDuck = async () => {
      const start = await page.evaluate(duckStart, stat.url);
      const runs = [];
      for (let i = 1; i <= RUNS; i++) runs.push(await page.evaluate(duckRun));
      result.duckdb = { ...start, runs };
    };
    if (duckdbFirst) {
      await runDuck();
      if (kiln) await runKiln();
    } else {
      if (kiln) await runKiln();
      await runDuck();
    }
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
    if (kiln) await kiln.stop();
    await stat.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
  if (errors.length) console.error("page errors:\n" + errors.join("\n"));
  report(result);
}

function report(r) {
  const mb = r.bytes / 1e6;
  const med = (side, key) => (r[side] ? median(r[side].runs.map((x) => x[key])) : undefined);
  const k = med("kiln", "total_ms");
  const kPost = med("kiln", "post_ms");
  const dLoad = med("duckdb", "load_ms");
  const dReg = med("duckdb", "register_ms");
  const dSum = med("duckdb", "summarize_ms");
  const dTotal = med("duckdb", "total_ms");
  const rate = (t) => (t ? `${(mb / (t / 1000)).toFixed(1)}` : "—");
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : "—");
  const rowsK = r.kiln ? r.kiln.runs[0].rows : undefined;
  const rowsD = r.duckdb ? r.duckdb.runs[0].rows : undefined;
  const pkg = JSON.parse(readFileSync(join(NODE_MODULES, "@duckdb", "duckdb-wasm", "package.json"), "utf8"));
  console.log(`# Browser data loading: Kiln worker vs DuckDB-wasm ${pkg.version} (DuckDB ${r.duckdb?.version ?? "?"})`);
  console.log();
  console.log(`${r.chromium}, headless; ${process.platform} ${process.arch}; file ${mb.toFixed(1)} MB ` +
    `(${rowsK ?? rowsD} rows, ${r.kiln?.runs[0].columns ?? r.duckdb?.runs[0].columns ?? "?"} columns); median of ${r.runs} runs, ms, ${r.order}; ` +
    `CSV fetched into the page once: ${ms(r.fetch_ms)} ms (not in the figures below).`);
  console.log();
  console.log("| side | start-up (not counted) | step | median ms | MB/s |");
  console.log("| --- | --- | --- | --- | --- |");
  if (r.kiln) {
    console.log(`| Kiln worker | ${ms(r.kiln.ready_ms)} (worker ready) | post (\`JSON.stringify\` + \`postMessage\`) | ${ms(kPost)} | |`);
    const rel = r.kiln.runs[0].target_relations;
    const what = rel === null ? "parse + infer + profile, **no target relations** (worker ignored `target`)" : `parse + infer + full profile, ${rel} target relations`;
    console.log(`| Kiln worker | | **post → "profiled"** (${what}) | **${ms(k)}** | ${rate(k)} |`);
  } else {
    console.log(`| Kiln worker | — | not measured (\`--duckdb-only\`) | — | — |`);
  }
  if (r.duckdb) {
    console.log(`| DuckDB-wasm (${r.duckdb.bundle}) | ${ms(r.duckdb.instantiate_ms)} (instantiate + connect) | \`registerFileText\` | ${ms(dReg)} | |`);
    console.log(`| DuckDB-wasm | | **load**: register + \`CREATE TABLE t AS SELECT * FROM read_csv(...)\` | **${ms(dLoad)}** | ${rate(dLoad)} |`);
    console.log(`| DuckDB-wasm | | \`SUMMARIZE t\` | ${ms(dSum)} | |`);
    console.log(`| DuckDB-wasm | | **load + SUMMARIZE** | **${ms(dTotal)}** | ${rate(dTotal)} |`);
  }
  console.log();
  console.log("| ratio (median times, < 1 means Kiln is faster) | value |");
  console.log("| --- | --- |");
  console.log(`| Kiln post → profiled / DuckDB load + SUMMARIZE | ${ratio(k, dTotal)} |`);
  console.log(`| Kiln post → profiled / DuckDB load only | ${ratio(k, dLoad)} |`);
  console.log();
  console.log("Raw: " + JSON.stringify(r));
  if (rowsK !== undefined && rowsD !== undefined && rowsK !== rowsD) {
    console.error(`row counts differ: Kiln ${rowsK}, DuckDB ${rowsD}`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
