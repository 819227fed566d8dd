// ONNX export checked against a real runtime: models trained with the kiln CLI (a logistic
// classifier, a linear regression and an MLP classifier, each with a categorical column) are
// exported with `kiln export --onnx`, their inputs prepared with `kiln features`, run in
// onnxruntime-web (wasm, in Node) and compared with `kiln predict` on the same rows, some of
// which have missing values and an unseen category. A gradient-boosting model is refused.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-web";

const KILN_BIN = process.env.KILN_BIN || "target/debug/kiln";

// One thread: no worker threads in the test process, and the same sums on every run.
ort.env.wasm.numThreads = 1;

let dir;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "kiln-onnx-"));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Deterministic rows of `size,colour,weight,<target>`: `kind` (three classes from size and
 * colour, with some noise) or `price` (a number in the hundreds from all three). `extra` rows
 * to score have a missing size or weight, or a colour training never saw. */
function table(target, rows, seed, { extra = false } = {}) {
  let s = seed;
  const rand = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const lines = [`size,colour,weight,${target}`];
  for (let i = 0; i < rows; i++) {
    const size = rand() * 10;
    const colour = ["red", "green", "blue"][Math.floor(rand() * 3)];
    const weight = 1 + rand() * 49;
    let y;
    if (target === "kind") {
      y = size > 6 ? "large" : colour === "red" ? "red-small" : "small";
      if (rand() < 0.1) y = ["large", "small", "red-small"][Math.floor(rand() * 3)];
    } else {
      y = (200 + 30 * size + 2 * weight + (colour === "blue" ? 25 : 0) + (rand() - 0.5) * 10).toFixed(3);
    }
    lines.push(`${size.toFixed(3)},${colour},${weight.toFixed(2)},${y}`);
  }
  if (extra) {
    const y = target === "kind" ? "small" : "300";
    lines.push(`,green,12.5,${y}`, `4.2,red,,${y}`, `7.5,purple,30,${y}`, `,,,${y}`);
  }
  return lines.join("\n") + "\n";
}

const kiln = (...args) => execFileSync(KILN_BIN, args, { encoding: "utf8", maxBuffer: 64 << 20 });

/** A CSV without quoted fields (the names and values here have no commas). */
function csv(text) {
  const [head, ...rows] = text.trim().split("\n");
  return { head: head.split(","), rows: rows.map((r) => r.split(",")) };
}

/** Trains, exports, prepares and predicts; runs the ONNX file and returns both sides. */
async function roundTrip(name, target, trainArgs) {
  const data = join(dir, `${name}-train.csv`);
  const score = join(dir, `${name}-score.csv`);
  const model = join(dir, `${name}.json`);
  const onnx = join(dir, `${name}.onnx`);
  writeFileSync(data, table(target, 240, 7));
  writeFileSync(score, table(target, 60, 99, { extra: true }));
  kiln("train", "--data", data, "--target", target, "--out", model, "--seed", "3", ...trainArgs);
  assert.match(kiln("export", "--model", model, "--onnx", onnx), /wrote .*\.onnx/);

  const features = csv(kiln("features", "--model", model, "--data", score));
  const artifact = JSON.parse(readFileSync(model, "utf8"));
  assert.deepEqual(features.head, artifact.recipe.features);
  assert.ok(features.head.some((f) => f.includes("colour")), features.head.join(" "));
  const predicted = csv(kiln("predict", "--model", model, "--data", score));
  assert.equal(features.rows.length, 64);
  assert.equal(predicted.rows.length, 64);

  const n = features.rows.length;
  const width = features.head.length;
  const x = Float32Array.from(features.rows.flat().map(Number));
  assert.ok(x.every(Number.isFinite), "features are all numbers");
  const session = await ort.InferenceSession.create(readFileSync(onnx), { executionProviders: ["wasm"] });
  assert.deepEqual(session.inputNames, ["features"]);
  const out = await session.run({ features: new ort.Tensor("float32", x, [n, width]) });
  return { artifact, session, out, predicted, n };
}

/** Compares a classifier's ONNX outputs with `kiln predict`; returns the largest difference. */
function compareClasses({ artifact, session, out, predicted, n }) {
  const classes = artifact.classes;
  assert.deepEqual(session.outputNames, ["probabilities", "label"]);
  assert.deepEqual(predicted.head, ["prediction", ...classes.map((c) => `probability_${c}`)]);
  const { probabilities, label } = out;
  assert.equal(probabilities.type, "float32");
  assert.deepEqual(probabilities.dims, [n, classes.length]);
  assert.equal(label.type, "int64");
  assert.deepEqual(label.dims, [n]);
  let worst = 0;
  for (let r = 0; r < n; r++) {
    const row = predicted.rows[r];
    assert.equal(classes[Number(label.data[r])], row[0], `row ${r + 1}: label`);
    for (let c = 0; c < classes.length; c++) {
      const diff = Math.abs(probabilities.data[r * classes.length + c] - Number(row[c + 1]));
      worst = Math.max(worst, diff);
      assert.ok(diff <= 1e-4, `row ${r + 1}, ${classes[c]}: ${probabilities.data[r * classes.length + c]} vs ${row[c + 1]}`);
    }
  }
  return worst;
}

test("a logistic classifier gives Kiln's probabilities and labels in onnxruntime", async (t) => {
  const result = await roundTrip("logistic", "kind", ["--model", "logistic"]);
  assert.deepEqual(result.artifact.classes, ["large", "red-small", "small"]);
  const worst = compareClasses(result);
  t.diagnostic(`logistic: max |probability difference| ${worst.toExponential(2)}`);
});

test("a linear regression gives Kiln's values, unstandardised, in onnxruntime", async (t) => {
  const { session, out, predicted, n } = await roundTrip("linear", "price", ["--model", "linear"]);
  assert.deepEqual(session.outputNames, ["value"]);
  assert.deepEqual(predicted.head, ["prediction"]);
  assert.equal(out.value.type, "float32");
  assert.deepEqual(out.value.dims, [n, 1]);
  let worst = 0;
  let worstRelative = 0;
  for (let r = 0; r < n; r++) {
    const kilnValue = Number(predicted.rows[r][0]);
    const onnxValue = out.value.data[r];
    assert.ok(kilnValue > 100, `row ${r + 1}: ${kilnValue} is on the target's scale`);
    const diff = Math.abs(onnxValue - kilnValue);
    worst = Math.max(worst, diff);
    worstRelative = Math.max(worstRelative, diff / Math.abs(kilnValue));
    assert.ok(diff <= 1e-4 * Math.abs(kilnValue), `row ${r + 1}: ${onnxValue} vs ${kilnValue}`);
  }
  t.diagnostic(`linear: max |value difference| ${worst.toExponential(2)}, relative ${worstRelative.toExponential(2)}`);
});

test("an MLP classifier gives Kiln's probabilities and labels in onnxruntime", async (t) => {
  const result = await roundTrip("mlp", "kind", [
    "--model", "mlp", "--param", "hidden=8x6", "--param", "activation=tanh", "--epochs", "30",
  ]);
  assert.equal(result.artifact.model.kind, "mlp");
  assert.equal(result.artifact.model.layers.length, 3);
  const worst = compareClasses(result);
  t.diagnostic(`mlp: max |probability difference| ${worst.toExponential(2)}`);
});

test("exporting a gradient-boosting model fails and names the family", () => {
  const data = join(dir, "gbdt-train.csv");
  const model = join(dir, "gbdt.json");
  const onnx = join(dir, "gbdt.onnx");
  writeFileSync(data, table("kind", 240, 7));
  kiln("train", "--data", data, "--target", "kind", "--model", "gbdt", "--out", model);
  const run = spawnSync(KILN_BIN, ["export", "--model", model, "--onnx", onnx], { encoding: "utf8" });
  assert.notEqual(run.status, 0);
  assert.match(run.stderr, /cannot export .*gbdt\.json to ONNX/);
  assert.match(run.stderr, /linear models and neural networks \(MLP\); this model is a gradient-boosted ensemble/);
  assert.match(run.stderr, /"gbdt"/);
  assert.throws(() => readFileSync(onnx), /ENOENT/);
});
