// The whole thin slice a person walks through, in one real Chromium against a real `kiln serve`:
// project and data, training (logistic, MLP on WebGPU and set onto the CPU, cancel),
// evaluation, reload, registry and download, share link in a fresh profile, sync push/pull in a
// fresh profile, and the embedded widget on another origin.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { byTestId, createIrisProject, freshProfile, startKiln, startOtherOrigin, train } from "./harness.mjs";

let kiln;
let studio;
const state = {};

before(async () => {
  kiln = await startKiln();
  studio = await freshProfile();
});

after(async () => {
  await studio?.close();
  await kiln?.stop();
});

test("a new project loads the iris sample and previews types and missing counts", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await createIrisProject(page, "Iris species");
  assert.equal(await page.textContent(byTestId("project-title")), "Iris species");
  assert.equal(await page.inputValue(byTestId("col-type-sepal_length")), "float");
  assert.equal(await page.inputValue(byTestId("col-type-species")), "categorical");
  assert.equal(await page.textContent(byTestId("col-missing-petal_width")), "0 missing");
  assert.equal(await page.locator(`${byTestId("preview-table")} tbody tr`).count(), 20);
});

test("logistic regression trains in the worker and shows metrics and a confusion-matrix chart", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  assert.equal(await page.inputValue(byTestId("target-select")), "species");
  await train(page, { model: "linear" });
  assert.match(await page.textContent(byTestId("run-metrics")), /accuracy 9\d\.\d%|accuracy 100\.0%/);
  assert.equal(await page.textContent(byTestId("run-device")), "CPU");
  await page.click(byTestId("nav-evaluate"));
  const accuracy = parseFloat(await page.textContent(byTestId("metric-accuracy")));
  assert.ok(accuracy >= 90, `accuracy ${accuracy}`);
  assert.ok(parseFloat(await page.textContent(byTestId("metric-macro-f1"))) >= 0.9);
  const cells = page.locator(`${byTestId("confusion-matrix")} ${byTestId("confusion-cell")}`);
  assert.equal(await cells.count(), 9);
  const counts = await cells.evaluateAll((els) => els.map((e) => Number(e.dataset.count)));
  assert.equal(counts.reduce((a, b) => a + b, 0), 30, "holdout is 20% of 150 rows");
  assert.ok(Number(await page.getAttribute(byTestId("loss-curve"), "data-points")) > 10);
});

test("an MLP set to WebGPU trains there, with live epoch curves", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "mlp");
  await page.selectOption(byTestId("device-select"), "gpu");
  await page.fill(byTestId("epochs-input"), "40");
  await page.locator(byTestId("epochs-input")).dispatchEvent("change");
  const before = await page.locator(byTestId("run-row")).count();
  await page.click(byTestId("train-button"));
  await page.waitForSelector(`${byTestId("training-device")}:has-text("WebGPU")`, { timeout: 120_000 });
  await page.waitForFunction(
    (sel) => Number(document.querySelector(sel)?.dataset.epochs) >= 2,
    `${byTestId("training-panel")} ${byTestId("epoch-curves")}`,
    { timeout: 120_000 },
  );
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [byTestId("run-row"), before], {
    timeout: 300_000,
  });
  const device = await page.locator(byTestId("run-device")).first().textContent();
  assert.match(device, /^WebGPU/);
});

test("the device=cpu setting puts the MLP on the CPU", async () => {
  const { page } = studio;
  await page.goto(`${kiln.url}/?device=cpu`);
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "mlp");
  assert.equal(await page.inputValue(byTestId("device-select")), "cpu", "the URL parameter sets the setting");
  await train(page, { model: "mlp", epochs: 60 });
  assert.equal(await page.locator(byTestId("run-device")).first().textContent(), "CPU (chosen)");
});

test("cancel stops a long training run and records nothing", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  const before = await page.locator(byTestId("run-row")).count();
  await page.selectOption(byTestId("model-select"), "mlp");
  await page.fill(byTestId("epochs-input"), "5000");
  await page.locator(byTestId("epochs-input")).dispatchEvent("change");
  await page.click(byTestId("train-button"));
  await page.waitForFunction(
    (sel) => Number(document.querySelector(sel)?.getAttribute("value")) > 0,
    byTestId("progress-bar"),
  );
  await page.click(byTestId("cancel-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("cancelled")`);
  assert.equal(await page.locator(byTestId("run-row")).count(), before);
  assert.equal(await page.isDisabled(byTestId("train-button")), false);
  state.runs = before;
});

test("after a reload the project, its data and its runs are still there", async () => {
  const { page } = studio;
  await page.reload();
  await page.waitForSelector(`${byTestId("project-title")}:has-text("Iris species")`);
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("150 rows")`);
  await page.click(byTestId("nav-train"));
  assert.equal(await page.locator(byTestId("run-row")).count(), state.runs);
});

test("a run registers as version 1 of a named model and downloads as a model file", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-deploy"));
  await page.fill(byTestId("model-name"), "iris/classifier");
  await page.click(byTestId("register-button"));
  assert.match(await page.textContent(byTestId("error-banner")), /Model names may use letters, digits.*not '\/'/);
  assert.equal(await page.locator(byTestId("registered-version")).count(), 0);
  await page.fill(byTestId("model-name"), "iris-classifier");
  await page.click(byTestId("register-button"));
  await page.waitForSelector(`${byTestId("registered-version")}:has-text("iris-classifier v1")`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("download-model"))]);
  assert.equal(download.suggestedFilename(), "iris-classifier-v1.kiln.json");
  const artifact = JSON.parse(readFileSync(await download.path(), "utf8"));
  assert.equal(artifact.kind, "kiln-model");
  assert.deepEqual(artifact.classes, ["setosa", "versicolor", "virginica"]);
});

test("the studio predicts a row with the selected model", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-evaluate"));
  await page.fill(byTestId("predict-input-petal_length"), "5.8");
  await page.fill(byTestId("predict-input-petal_width"), "2.2");
  await page.click(byTestId("predict-button"));
  state.prediction = await page.textContent(byTestId("prediction-label"));
  assert.equal(state.prediction, "virginica");
});

test("a share link opens the project with its model in a fresh profile, without a server", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-deploy"));
  await page.click(byTestId("share-button"));
  const link = await page.inputValue(byTestId("share-link"));
  assert.ok(link.includes("#share="), link);
  const other = await freshProfile();
  try {
    const requests = [];
    other.page.on("request", (r) => requests.push(r.url()));
    await other.page.goto(link);
    // Read-only until the visitor makes a copy; the link carries the model, not the data.
    await other.page.waitForSelector(`#shared-heading:has-text("Iris species")`);
    assert.equal(await other.page.locator(byTestId("shared-run")).count(), 1);
    await other.page.click(byTestId("make-copy"));
    await other.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris species")`);
    const api = requests.filter((u) => new URL(u).pathname.startsWith("/api/"));
    assert.deepEqual(api, [], "opening a share link asks no server for the project");
    await other.page.fill(byTestId("predict-input-petal_length"), "5.8");
    await other.page.fill(byTestId("predict-input-petal_width"), "2.2");
    await other.page.click(byTestId("predict-button"));
    assert.equal(await other.page.textContent(byTestId("prediction-label")), state.prediction);
  } finally {
    await other.close();
  }
});

test("sign up, push the project and model, then log in and pull them in a fresh profile", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("sync-username"), "ada");
  await page.fill(byTestId("sync-password"), "correct horse battery");
  await page.click(byTestId("signup-button"));
  await page.waitForSelector(`${byTestId("sync-user")}:has-text("ada")`);
  // Models are private unless the person makes them embeddable: no snippet until then.
  await page.click(byTestId("nav-deploy"));
  await page.waitForSelector(byTestId("embed-private"));
  assert.equal(await page.locator(byTestId("embed-snippet")).count(), 0);
  await page.check(byTestId("model-public"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("takes effect when you push")`);
  await page.click(byTestId("nav-sync"));
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  await page.click(byTestId("nav-deploy"));
  state.snippet = await page.inputValue(byTestId("embed-snippet"));
  assert.match(state.snippet, /<script src="http:\/\/127\.0\.0\.1:\d+\/embed\.js"><\/script>/);
  // The version in production is embedded through the production stage, so promotions reach
  // every page; the fixed version's address is offered to pin it instead.
  assert.match(state.snippet, /model="http:\/\/127\.0\.0\.1:\d+\/api\/public\/models\/ada\/iris-classifier\/production"/);
  assert.match(await page.textContent(byTestId("embed-pinned")), /^http:\/\/127\.0\.0\.1:\d+\/api\/public\/models\/[0-9a-f]{32}$/);
  assert.match(await page.inputValue(byTestId("embed-iframe")), /\/embed\.html\?model=http%3A%2F%2F127\.0\.0\.1%3A\d+%2Fapi%2Fpublic%2Fmodels%2Fada%2Firis-classifier%2Fproduction"/);

  const other = await freshProfile();
  try {
    await other.page.goto(kiln.url);
    await other.page.click(byTestId("nav-sync"));
    await other.page.fill(byTestId("sync-username"), "ada");
    await other.page.fill(byTestId("sync-password"), "correct horse battery");
    await other.page.click(byTestId("login-button"));
    await other.page.click(byTestId("refresh-remote"));
    await other.page.click(`${byTestId("remote-project")} button`);
    await other.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris species")`);
    await other.page.click(byTestId("nav-deploy"));
    await other.page.waitForSelector(`${byTestId("registered-version")}:has-text("iris-classifier v1")`);
    await other.page.click(byTestId("nav-train"));
    assert.equal(await other.page.locator(byTestId("run-row")).count(), state.runs);
    // The second browser adds a run and pushes: its pull gave it the current version tag.
    await train(other.page, { model: "linear" });
    await other.page.click(byTestId("nav-sync"));
    await other.page.click(byTestId("push-button"));
    await other.page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  } finally {
    await other.close();
  }

  // Back in the first browser, after a reload: its copy is now stale, so a push is stopped
  // and offers to overwrite; overwriting goes through.
  await page.reload();
  await page.click(byTestId("nav-sync"));
  await page.click(byTestId("push-button"));
  await page.waitForSelector(byTestId("push-conflict"));
  assert.match(await page.textContent(byTestId("error-banner")), /server has a different version/);
  await page.click(byTestId("force-push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  // And the version tag survives a reload: a plain push works again.
  await page.reload();
  await page.click(byTestId("nav-sync"));
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
});

test("the embed snippet on another origin renders a form and predicts what the studio predicts", async () => {
  const html = `<!doctype html><html><body><h1>A partner site</h1>${state.snippet}</body></html>`;
  const site = await startOtherOrigin(html);
  const visitor = await freshProfile();
  try {
    await visitor.page.goto(site.url);
    await visitor.page.waitForSelector(byTestId("kiln-form"));
    await visitor.page.fill(byTestId("kiln-input-petal_length"), "5.8");
    await visitor.page.fill(byTestId("kiln-input-petal_width"), "2.2");
    // The widget predicts on every change, with no button to press.
    await visitor.page.waitForFunction(
      ([sel, want]) => document.querySelector("kiln-predict").shadowRoot.querySelector(sel)?.dataset.label === want,
      [byTestId("kiln-result"), state.prediction],
    );
    assert.match(await visitor.page.textContent(byTestId("kiln-answer")), new RegExp(`^species: ${state.prediction} \\(\\d+\\.\\d%\\)$`));
    assert.deepEqual(visitor.errors, []);
  } finally {
    await visitor.close();
    await site.stop();
  }
});
