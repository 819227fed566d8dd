// Neural-network training speed in the browser: TensorFlow.js against the studio's engine
// worker, in ONE headless Chromium page on the `kiln serve` origin, on the same rows with the
// same network and the same number of epochs.
//
// For each case (a CSV from `bench/nn.py --export`: features x0.., a class `y`, an `is_test`
// column) and each pair of backends:
//   - TF.js 4.22 (`tf.min.js` + `tf-backend-wasm` / `tf-backend-webgpu`, served from
//     bench/browser/node_modules through Playwright routes) on its `wasm` backend (XNNPACK,
//     SIMD, one thread: the page is not cross-origin isolated) or its `webgpu` backend: the
//     training rows standardised in the page (mean and population standard deviation, as Kiln's
//     recipe does), a `tf.sequential` of dense relu layers and a softmax output, Adam (learning
//     rate 0.001), sparse categorical cross-entropy with the accuracy metric, `model.fit` with
//     the batch size, `shuffle: true`, `yieldEvery: "never"`; an epoch's time is from
//     `onEpochBegin` to `onEpochEnd` (which awaits the epoch's loss and accuracy, so the device
//     has finished its work).
//   - Kiln: the studio's worker (`/kiln-worker_loader.js`) with the studio's own `train` request,
//     model `mlp`, device `cpu` or `gpu` (burn's ndarray CPU backend or its WebGPU backend), the
//     same layers, batch size and epochs, Adam 0.001, no weight decay, no validation rows, no
//     early stopping; an epoch's time is the `ms` of its `epoch` event (timed in the worker: the
//     steps, reading the epoch's loss and accuracy back, and copying the weights back).
// Reported: the median ms per epoch over the epochs after the first (the first includes
// warm-up, allocation and shader compilation), and the test accuracy of each side as a sanity
// check. Also reported, as a check on those figures: the wall-clock from one epoch's end to the
// next as the page sees it (TF.js: between `onEpochEnd` calls; Kiln: between the arrivals of
// `epoch` events), which adds what each side does between epochs. Both sides run one fit at a
// time in the same page; TF.js on the page's main thread, Kiln in its worker.
//
// Usage (see bench/browser/run-nn.sh): node bench/browser/nn.mjs DIGITS.csv WIDE.csv
// Env: KILN_BIN (release kiln, for `kiln serve`), KILN_DIST (default dist), CHROMIUM (default
//      /usr/bin/chromium), EPOCHS_DIGITS / EPOCHS_DIGITS_GPU (default 60 / 12 for the CPU / GPU
//      pair), EPOCHS_WIDE / EPOCHS_WIDE_GPU (default 10 / 5),
//      ONLY (comma list of pairs to run: cpu,gpu; default both).

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM_ARGS, startKiln } from "../../e2e/harness.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, "..", "..");
const KILN_BIN = process.env.KILN_BIN || join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "release", "kiln");
const KILN_DIST = process.env.KILN_DIST || join(ROOT, "dist");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const ONLY = (process.env.ONLY || "cpu,gpu").split(",");
const [digitsCsv, wideCsv] = process.argv.slice(2);
if (!digitsCsv || !wideCsv) {
  console.error("usage: node bench/browser/nn.mjs DIGITS.csv WIDE.csv");
  process.exit(2);
}

// Epochs per pair: SwiftShader's WebGPU takes about 20 s per epoch of the wide case, so the GPU
// pair runs fewer (the same number on both sides of a pair).
const CASES = [
  {
    name: "digits", path: digitsCsv, hidden: [100], batch: 200,
    epochs: { cpu: Number(process.env.EPOCHS_DIGITS || 60), gpu: Number(process.env.EPOCHS_DIGITS_GPU || 12) },
  },
  {
    name: "wide 25k x 50", path: wideCsv, hidden: [256, 128], batch: 256,
    epochs: { cpu: Number(process.env.EPOCHS_WIDE || 10), gpu: Number(process.env.EPOCHS_WIDE_GPU || 5) },
  },
];
const PAIRS = [
  { pair: "cpu", tf: "wasm", kiln: "cpu" },
  { pair: "gpu", tf: "webgpu", kiln: "gpu" },
].filter((p) => ONLY.includes(p.pair));

const TFJS = join(HERE, "node_modules", "@tensorflow");
// Files the page may load under /__tfjs/.
const SERVED = {
  "tf.min.js": join(TFJS, "tfjs", "dist", "tf.min.js"),
  "tf-backend-wasm.min.js": join(TFJS, "tfjs-backend-wasm", "dist", "tf-backend-wasm.min.js"),
  "tf-backend-webgpu.min.js": join(TFJS, "tfjs-backend-webgpu", "dist", "tf-backend-webgpu.min.js"),
  "tfjs-backend-wasm.wasm": join(TFJS, "tfjs-backend-wasm", "dist", "tfjs-backend-wasm.wasm"),
  "tfjs-backend-wasm-simd.wasm": join(TFJS, "tfjs-backend-wasm", "dist", "tfjs-backend-wasm-simd.wasm"),
  "tfjs-backend-wasm-threaded-simd.wasm": join(TFJS, "tfjs-backend-wasm", "dist", "tfjs-backend-wasm-threaded-simd.wasm"),
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- in-page code ----

async function loadTf() {
  for (const f of ["tf.min.js", "tf-backend-wasm.min.js", "tf-backend-webgpu.min.js"]) {
    await new Promise((res, rej) => {
      const s = document.createElement("script");
      s.src = `/__tfjs/${f}`;
      s.onload = res;
      s.onerror = () => rej(new Error(`cannot load ${f}`));
      document.head.appendChild(s);
    });
  }
  tf.wasm.setWasmPaths("/__tfjs/");
  let adapter = "none";
  if (navigator.gpu) {
    const a = await navigator.gpu.requestAdapter();
    if (a) {
      const i = a.info || {};
      adapter = [i.vendor, i.architecture, i.description].filter(Boolean).join(" / ") || "adapter";
      if (i.isFallbackAdapter) adapter += " (fallback adapter)";
    }
  }
  return { version: tf.version.tfjs, adapter };
}

async function startWorker() {
  const worker = new Worker("/kiln-worker_loader.js");
  window.__kiln = worker;
  window.__waiters = [];
  worker.onmessage = (e) => {
    const m = JSON.parse(e.data);
    if (m.type === "progress") return;
    window.__waiters = window.__waiters.filter((w) => !w(m));
  };
  await new Promise((res) => window.__waiters.push((m) => (m.type === "ready" ? (res(), true) : false)));
}

async function tfTrain({ backend, text, hidden, batch, epochs }) {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
  await tf.ready();
  const lines = text.trim().split("\n");
  const head = lines[0].split(",");
  const iy = head.indexOf("y");
  const it = head.indexOf("is_test");
  const feats = head.map((_, j) => j).filter((j) => j !== iy && j !== it);
  const w = feats.length;
  const tr = [];
  const te = [];
  for (const line of lines.slice(1)) {
    const c = line.split(",");
    (c[it] === "true" ? te : tr).push(c);
  }
  const classes = [...new Set([...tr, ...te].map((c) => Number(c[iy])))].sort((a, b) => a - b);
  const mean = new Float64Array(w);
  const sq = new Float64Array(w);
  for (const c of tr) feats.forEach((j, k) => { const v = Number(c[j]); mean[k] += v; sq[k] += v * v; });
  const sd = new Float64Array(w);
  for (let k = 0; k < w; k++) {
    mean[k] /= tr.length;
    const v = sq[k] / tr.length - mean[k] * mean[k];
    sd[k] = v > 1e-24 ? Math.sqrt(v) : 1;
  }
  const matrix = (rows) => {
    const x = new Float32Array(rows.length * w);
    rows.forEach((c, i) => feats.forEach((j, k) => { x[i * w + k] = (Number(c[j]) - mean[k]) / sd[k]; }));
    return tf.tensor2d(x, [rows.length, w]);
  };
  const labels = (rows) => rows.map((c) => classes.indexOf(Number(c[iy])));
  const xTrain = matrix(tr);
  const yTrain = tf.tensor2d(Float32Array.from(labels(tr)), [tr.length, 1]);
  const xTest = matrix(te);
  const yTest = labels(te);
  const model = tf.sequential();
  hidden.forEach((units, i) =>
    model.add(tf.layers.dense({ units, activation: "relu", ...(i === 0 ? { inputShape: [w] } : {}) })),
  );
  model.add(tf.layers.dense({ units: classes.length, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  const ms = [];
  const ends = [];
  let began = 0;
  await model.fit(xTrain, yTrain, {
    epochs,
    batchSize: batch,
    shuffle: true,
    yieldEvery: "never",
    verbose: 0,
    callbacks: {
      onEpochBegin: async () => { began = performance.now(); },
      onEpochEnd: async () => { const now = performance.now(); ms.push(now - began); ends.push(now); },
    },
  });
  const pred = tf.tidy(() => model.predict(xTest).argMax(-1));
  const p = await pred.data();
  let right = 0;
  yTest.forEach((y, i) => { if (p[i] === y) right++; });
  pred.dispose();
  model.dispose();
  xTrain.dispose();
  yTrain.dispose();
  xTest.dispose();
  // Wall-clock from one epoch's end to the next (includes what fit does between epochs).
  const between = ends.slice(1).map((e, i) => e - ends[i]);
  return { ms, between, accuracy: right / yTest.length, backend: tf.getBackend(), trainRows: tr.length };
}

async function kilnTrain({ jobId, text, spec }) {
  const epochs = [];
  const done = new Promise((res) =>
    window.__waiters.push((m) => {
      if (m.job_id !== jobId) return false;
      if (m.type === "epoch") {
        epochs.push({ ...m.stats, at: performance.now() });
        return false;
      }
      if (m.type === "trained" || m.type === "failed") {
        res(m);
        return true;
      }
      return false;
    }),
  );
  window.__kiln.postMessage(JSON.stringify({ type: "train", job_id: jobId, file_name: "bench.csv", text, spec }));
  const m = await done;
  if (m.type !== "trained") throw new Error(`worker answered ${m.type}: ${JSON.stringify(m.error || m)}`);
  return {
    ms: epochs.map((e) => e.ms),
    // Wall-clock between consecutive epoch events as the page sees them (a check on `ms`).
    between: epochs.slice(1).map((e, i) => e.at - epochs[i].at),
    devices: [...new Set(epochs.map((e) => e.device))],
    accuracy: m.run.scores.accuracy,
    device: m.run.device,
    fitMs: m.run.fit_ms,
    notes: m.run.notes,
  };
}

// ---- driver ----

async function main() {
  const kiln = await startKiln({ bin: KILN_BIN, dist: KILN_DIST });
  const profileDir = mkdtempSync(join(tmpdir(), "kiln-bench-nn-"));
  const context = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  context.setDefaultTimeout(1_800_000);
  // A blank page on the kiln origin (no headers of the studio's), and TF.js's files.
  await context.route(`${kiln.url}/__nn`, (route) =>
    route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>nn bench</title>" }),
  );
  await context.route(`${kiln.url}/__tfjs/*`, (route) => {
    const name = new URL(route.request().url()).pathname.split("/").pop();
    const file = SERVED[name];
    if (!file) return route.fulfill({ status: 404, body: "" });
    const type = name.endsWith(".wasm") ? "application/wasm" : "text/javascript";
    return route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
  });
  const rows = [];
  const raw = [];
  let info;
  try {
    const page = context.pages()[0] || (await context.newPage());
    page.on("console", (m) => { if (m.type() === "error") console.error(`[page] ${m.text()}`); });
    await page.goto(`${kiln.url}/__nn`);
    info = await page.evaluate(loadTf);
    await page.evaluate(startWorker);
    info.wasmSimd = await page.evaluate(async () => { await tf.setBackend("wasm"); return tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"); });
    info.wasmThreads = await page.evaluate(() => tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"));
    console.error(`TF.js ${info.version}; WebGPU adapter: ${info.adapter}; wasm SIMD ${info.wasmSimd}, threads ${info.wasmThreads}`);
    let job = 1;
    for (const c of CASES) {
      const text = readFileSync(c.path, "utf8");
      for (const p of PAIRS) {
        const epochs = c.epochs[p.pair];
        const t = await page.evaluate(tfTrain, { backend: p.tf, text, hidden: c.hidden, batch: c.batch, epochs });
        const spec = {
          task: "classification", target: "y", model: "mlp", device: p.kiln, seed: 0, holdout: 0.2,
          epochs, split: { method: "predefined", column: "is_test" }, cv_folds: 0, recipe: null,
          params: {
            hidden: c.hidden.join("x"), activation: "relu", optimizer: "adam", learning_rate: "0.001",
            batch_size: String(c.batch), epochs: String(epochs), weight_decay: "0",
            validation_fraction: "0", early_stopping: "false",
          },
        };
        const k = await page.evaluate(kilnTrain, { jobId: job++, text, spec });
        const tMs = median(t.ms.slice(1));
        const kMs = median(k.ms.slice(1));
        const ratio = kMs / tMs;
        const tWall = median(t.between);
        const kWall = median(k.between);
        rows.push(
          `| ${c.name} | ${t.trainRows} | ${c.hidden.join("x")} | ${c.batch} | ${epochs} | ${p.pair.toUpperCase()}: TF.js ${t.backend} vs Kiln ${p.kiln} | ` +
            `${tMs.toFixed(1)} | ${kMs.toFixed(1)} | ${ratio.toFixed(2)} | ${ratio <= 0.67 ? "yes" : "no"} | ` +
            `${tWall.toFixed(1)} | ${kWall.toFixed(1)} | ${(kWall / tWall).toFixed(2)} | ` +
            `${t.accuracy.toFixed(4)} | ${k.accuracy.toFixed(4)} |`,
        );
        raw.push(
          `- ${c.name}, ${p.pair}: TF.js ${t.backend} first epoch ${t.ms[0].toFixed(0)} ms, epochs ms [${t.ms.map((x) => x.toFixed(0)).join(", ")}], ` +
            `median end-to-end ${tWall.toFixed(1)} ms; ` +
            `Kiln (${k.device}; epoch devices ${k.devices.join(", ")}) first epoch ${k.ms[0].toFixed(0)} ms, epochs ms [${k.ms.map((x) => x.toFixed(0)).join(", ")}], ` +
            `median page-side time between epoch events ${kWall.toFixed(1)} ms, fit_ms ${k.fitMs.toFixed(0)}`,
        );
        console.error(rows[rows.length - 1]);
        console.error(raw[raw.length - 1]);
      }
    }
  } finally {
    await context.close();
    rmSync(profileDir, { recursive: true, force: true });
    await kiln.stop();
  }
  const version = execFileSync(CHROMIUM, ["--version"]).toString().trim();
  const playwright = JSON.parse(readFileSync(join(HERE, "node_modules", "playwright-core", "package.json"), "utf8")).version;
  console.log(`# Neural networks in the browser: TF.js vs Kiln's worker (${new Date().toISOString().slice(0, 10)})\n`);
  console.log(`Machine: ${cpus()[0].model.trim()}, ${cpus().length} cores; Node ${process.version}, playwright-core ${playwright}.\n`);
  console.log(
    `Neural-network training in one headless Chromium page (${version}; TF.js ${info.version}, wasm backend SIMD ${info.wasmSimd}, ` +
      `threads ${info.wasmThreads}; WebGPU adapter: ${info.adapter}). Median ms per epoch over epochs 2..N; ratio = Kiln / TF.js (goal <= 0.67).\n`,
  );
  console.log(
    "Wall ms/epoch: the median time from one epoch's end to the next as the page sees it (TF.js: `onEpochEnd` to " +
      "`onEpochEnd`; Kiln: one `epoch` event's arrival to the next), which adds what happens between epochs.\n",
  );
  console.log("| case | train rows | hidden | batch | epochs | pair | TF.js ms/epoch | Kiln ms/epoch | ratio | goal met | TF.js wall ms/epoch | Kiln wall ms/epoch | wall ratio | TF.js test accuracy | Kiln test accuracy |");
  console.log("| --- | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |");
  console.log(rows.join("\n"));
  console.log("\nPer epoch:\n");
  console.log(raw.join("\n"));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
