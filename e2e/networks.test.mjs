// Neural networks in the studio, in one real Chromium (SwiftShader WebGPU) against a real
// `kiln serve`: the automatic device choice with its benchmark figures, live train and
// validation curves, pause and resume between epochs, and a GPU that is lost mid-run (through
// the studio's test hook) with training going on on the CPU from the last finished epoch.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { byTestId, createIrisProject, freshProfile, startKiln } from "./harness.mjs";

let kiln;
let studio;

before(async () => {
  kiln = await startKiln();
  studio = await freshProfile();
  await studio.page.goto(kiln.url);
  await createIrisProject(studio.page, "Iris networks");
});

after(async () => {
  await studio?.close();
  await kiln?.stop();
});

/** Sets up an MLP run: device, epochs and hyperparameters. */
async function network(page, { device, epochs, params = {} }) {
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "mlp");
  await page.selectOption(byTestId("device-select"), device);
  await page.fill(byTestId("epochs-input"), String(epochs));
  await page.locator(byTestId("epochs-input")).dispatchEvent("change");
  await page.click(byTestId("params-reset"));
  for (const [name, value] of Object.entries(params)) await page.fill(byTestId(`param-${name}`), value);
}

const liveEpochs = (page) =>
  page
    .locator(`${byTestId("training-panel")} ${byTestId("epoch-curves")}`)
    .getAttribute("data-epochs")
    .then(Number);

async function waitForEpochs(page, n) {
  await page.waitForFunction(
    ([sel, n]) => Number(document.querySelector(sel)?.dataset.epochs) >= n,
    [`${byTestId("training-panel")} ${byTestId("epoch-curves")}`, n],
    { timeout: 180_000 },
  );
}

async function waitForRun(page, before) {
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [byTestId("run-row"), before], {
    timeout: 300_000,
  });
}

test("the automatic device benchmarks both, shows the figures, and the curves pause and resume", async () => {
  const { page } = studio;
  await network(page, { device: "auto", epochs: 3000, params: { early_stopping: "false", learning_rate: "0.01" } });
  const before = await page.locator(byTestId("run-row")).count();
  await page.click(byTestId("train-button"));
  const device = page.locator(byTestId("training-device"));
  await page.waitForSelector(`${byTestId("training-device")}:has-text("ms per step")`, { timeout: 180_000 });
  assert.match(await device.textContent(), /WebGPU [\d.]+ ms per step, CPU [\d.]+ ms per step/);
  await waitForEpochs(page, 3);

  await page.click(byTestId("pause-button"));
  await page.waitForSelector(`${byTestId("pause-button")}[data-paused="true"]`);
  const paused = await liveEpochs(page);
  assert.match(await page.textContent(byTestId("paused-note")), new RegExp(`Paused after epoch ${paused}\\.`));
  await page.waitForTimeout(1500);
  assert.equal(await liveEpochs(page), paused, "no epoch runs while paused");
  assert.equal(await page.textContent(byTestId("pause-button")), "Resume");

  await page.click(byTestId("pause-button"));
  await page.waitForSelector(`${byTestId("pause-button")}[data-paused="false"]`);
  await waitForRun(page, before);

  const runDevice = await page.locator(byTestId("run-device")).first().textContent();
  assert.match(runDevice, /faster for this model: WebGPU [\d.]+ ms per step, CPU [\d.]+ ms per step/);
  await page.click(byTestId("nav-evaluate"));
  const curves = page.locator(byTestId("epoch-curves"));
  assert.equal(await curves.getAttribute("data-epochs"), "3000", "every epoch is in the run's history");
  const labels = await page
    .locator(`${byTestId("epoch-loss-plot")} ${byTestId("plot-series")}`)
    .evaluateAll((gs) => gs.map((g) => [g.dataset.label, Number(g.dataset.points)]));
  assert.deepEqual(labels, [
    ["training", 3000],
    ["validation", 3000],
  ]);
  const accuracy = await page
    .locator(`${byTestId("epoch-metric-plot")} ${byTestId("plot-series")}`)
    .evaluateAll((gs) => gs.map((g) => g.dataset.label));
  assert.deepEqual(accuracy, ["training", "validation"]);
  assert.ok(parseFloat(await page.textContent(byTestId("metric-accuracy"))) >= 85);
});

async function setFolds(page, k) {
  await page.fill(byTestId("cv-folds"), String(k));
  await page.locator(byTestId("cv-folds")).dispatchEvent("change");
}

test("early stopping ends a long run and says which epoch's weights were kept; the network cross-validates", async () => {
  const { page } = studio;
  await network(page, { device: "cpu", epochs: 3000, params: { learning_rate: "0.05", patience: "5" } });
  await setFolds(page, 3);
  const before = await page.locator(byTestId("run-row")).count();
  await page.click(byTestId("train-button"));
  await waitForRun(page, before);
  await setFolds(page, 0);
  await page.click(byTestId("nav-evaluate"));
  const epochs = Number(await page.getAttribute(byTestId("epoch-curves"), "data-epochs"));
  assert.ok(epochs < 3000, `stopped after ${epochs} epochs`);
  const stopped = await page.textContent(byTestId("early-stopped"));
  const kept = Number(stopped.match(/the weights of epoch (\d+) were kept/)[1]);
  assert.equal(kept + 5, epochs);
  assert.match(await page.textContent(byTestId("run-notes")), /Stopped after epoch \d+: early stopping/);
  assert.match(await page.textContent(byTestId("run-cv")), /Cross-validation \(3 folds, recipe refitted in each\): accuracy 0\.\d+ ± 0\.\d+/);
});

test("a GPU lost mid-run hands training to the CPU from the last finished epoch", async () => {
  const { page } = studio;
  await network(page, { device: "gpu", epochs: 1000, params: { early_stopping: "false" } });
  const before = await page.locator(byTestId("run-row")).count();
  await page.click(byTestId("train-button"));
  await page.waitForSelector(`${byTestId("training-device")}:has-text("WebGPU (")`, { timeout: 180_000 });
  assert.match(await page.textContent(byTestId("training-device")), /^ · on WebGPU \(.*chosen\)$/);
  await waitForEpochs(page, 2);
  await page.evaluate(() => window.kilnTest.loseGpu());
  await page.waitForSelector(`${byTestId("training-device")}:has-text("CPU (WebGPU lost after epoch")`, {
    timeout: 180_000,
  });
  await waitForRun(page, before);
  const runDevice = await page.locator(byTestId("run-device")).first().textContent();
  const lostAfter = Number(runDevice.match(/^CPU \(WebGPU lost after epoch (\d+)\)$/)[1]);
  assert.ok(lostAfter >= 2 && lostAfter < 1000, runDevice);

  await page.click(byTestId("nav-evaluate"));
  assert.equal(await page.getAttribute(byTestId("epoch-curves"), "data-epochs"), "1000", "no epoch lost or repeated");
  assert.match(await page.textContent(byTestId("epoch-summary")), /^1000 epochs on CPU/);
  const notes = await page.textContent(byTestId("run-notes"));
  assert.match(notes, new RegExp(`The GPU failed during epoch ${lostAfter + 1} .*from the end of epoch ${lostAfter}`));
  assert.ok(parseFloat(await page.textContent(byTestId("metric-accuracy"))) >= 60);

  // Later runs in this session stay on the CPU and say why.
  await network(page, { device: "auto", epochs: 5 });
  const next = await page.locator(byTestId("run-row")).count();
  await page.click(byTestId("train-button"));
  await waitForRun(page, next);
  assert.match(await page.locator(byTestId("run-device")).first().textContent(), /lost earlier in this session/);
});
