// Model families, hyperparameters, evaluation and the runs table, in one real Chromium against a
// real `kiln serve`: gradient boosting with a parameter on the churn sample (ROC curve, baseline
// column, decision-threshold slider), a regression with its residual plot, a parameter the
// engine refuses, the Runs page with three runs (sort, compare, delete for good across a
// reload), and a shared project with 1,000 runs that pages and sorts quickly.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateRawSync } from "node:zlib";
import { byTestId, freshProfile, startKiln, train } from "./harness.mjs";

let kiln;
let studio;

before(async () => {
  kiln = await startKiln();
  studio = await freshProfile();
});

after(async () => {
  await studio?.close();
  await kiln?.stop();
});

async function newProject(page, name, task, sample, rows) {
  await page.click(byTestId("nav-data"));
  await page.fill(byTestId("project-name"), name);
  await page.selectOption(byTestId("project-task"), task);
  await page.click(byTestId("create-project"));
  await page.click(byTestId(`sample-${sample}`));
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("${rows} rows")`);
}

/** Moves a range input the way a person's drag does: value, then input and change events. */
async function slide(page, testid, value) {
  await page.locator(byTestId(testid)).evaluate((el, v) => {
    el.value = v;
    el.dispatchEvent(new Event("input", { bubbles: true }));
    el.dispatchEvent(new Event("change", { bubbles: true }));
  }, String(value));
}

async function thresholdCounts(page) {
  const n = async (id) => Number(await page.textContent(byTestId(id)));
  return { tp: await n("threshold-tp"), fp: await n("threshold-fp"), tn: await n("threshold-tn"), fn: await n("threshold-fn") };
}

/** The `data-value` of a score column on the current page of the runs table, in row order. */
async function columnValues(page, metric) {
  return page
    .locator(`${byTestId("run-row")} ${byTestId(`run-score-${metric}`)}`)
    .evaluateAll((cells) => cells.map((c) => (c.dataset.value === undefined ? null : Number(c.dataset.value))));
}

async function rowIds(page) {
  return page.locator(byTestId("run-row")).evaluateAll((rows) => rows.map((r) => r.dataset.runId));
}

const ascending = (xs) => xs.every((x, i) => i === 0 || xs[i - 1] <= x);
const descending = (xs) => xs.every((x, i) => i === 0 || xs[i - 1] >= x);

test("gradient boosting with a parameter trains on churn; Evaluate shows ROC, the baseline and a live threshold", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await newProject(page, "Churn models", "classification", "churn", 400);
  await page.click(byTestId("nav-train"));
  assert.equal(await page.inputValue(byTestId("target-select")), "churned");
  assert.equal(await page.inputValue(byTestId("task-select")), "classification");
  const families = await page.locator(`${byTestId("model-select")} option`).evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(families, ["linear", "logistic", "tree", "forest", "gbdt", "knn", "naive_bayes", "mlp"]);
  await page.selectOption(byTestId("model-select"), "gbdt");
  assert.equal(await page.getAttribute(byTestId("param-max_iter"), "placeholder"), "100");
  assert.equal(await page.getAttribute(byTestId("param-learning_rate"), "placeholder"), "0.1");
  await page.fill(byTestId("param-max_iter"), "50");
  await train(page, { model: "gbdt" });
  assert.match(await page.locator(byTestId("run-params")).first().textContent(), /max_iter=50/);
  assert.match(await page.locator(byTestId("run-metrics")).first().textContent(), /accuracy \d+\.\d%/);

  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("evaluated-run")), /^Gradient boosting · trained on/);
  assert.match(await page.textContent(byTestId("run-params")), /max_iter=50/);
  // The model next to the majority-class baseline.
  const accuracy = parseFloat(await page.textContent(byTestId("metric-accuracy")));
  const baseline = parseFloat(await page.textContent(byTestId("baseline-accuracy")));
  assert.ok(accuracy > 50 && baseline > 0, `model ${accuracy}%, baseline ${baseline}%`);
  for (const m of ["precision_macro", "recall_macro", "f1_macro", "f1_weighted", "roc_auc", "pr_auc", "log_loss"]) {
    assert.ok(await page.locator(byTestId(`metric-${m}`)).count(), `metric-${m}`);
    assert.ok(await page.locator(byTestId(`baseline-${m}`)).count(), `baseline-${m}`);
  }
  assert.ok(parseFloat(await page.textContent(byTestId("metric-roc_auc"))) > 0.6);
  assert.equal(await page.locator(`${byTestId("per-class")} ${byTestId("class-row")}`).count(), 2);
  assert.equal(await page.locator(`${byTestId("confusion-matrix")} ${byTestId("confusion-cell")}`).count(), 4);
  // One ROC curve for two classes, labelled with its area, and the diagonal.
  const roc = page.locator(byTestId("roc-curve"));
  assert.equal(await roc.locator(byTestId("plot-series")).count(), 1);
  assert.ok(Number(await roc.locator(byTestId("plot-series")).getAttribute("data-points")) > 2);
  assert.equal(await roc.locator(byTestId("guide-identity")).count(), 1);
  const rocFigure = page.locator("figure", { has: roc });
  assert.match(await rocFigure.locator(byTestId("legend-item")).first().textContent(), /AUC 0\.\d{3}/);
  assert.equal(await page.locator(`${byTestId("pr-curve")} ${byTestId("plot-series")}`).count(), 1);
  assert.ok(Number(await page.locator(`${byTestId("calibration-chart")} ${byTestId("plot-series")}`).getAttribute("data-points")) >= 2);

  // The threshold slider recomputes the counts and scores.
  assert.equal(Number(await page.inputValue(byTestId("threshold-slider"))), 0.5);
  const at50 = await thresholdCounts(page);
  const stats50 = await page.textContent(byTestId("threshold-stats"));
  const total = at50.tp + at50.fp + at50.tn + at50.fn;
  assert.ok(total > 0);
  await slide(page, "threshold-slider", 0.9);
  await page.waitForSelector(`${byTestId("threshold-value")}:text-is("0.90")`);
  const at90 = await thresholdCounts(page);
  assert.equal(at90.tp + at90.fp + at90.tn + at90.fn, total, "every scored row is counted once");
  assert.ok(at90.tp + at90.fp <= at50.tp + at50.fp, "a higher threshold predicts fewer positives");
  await slide(page, "threshold-slider", 0.05);
  await page.waitForSelector(`${byTestId("threshold-value")}:text-is("0.05")`);
  const at05 = await thresholdCounts(page);
  assert.ok(at05.tp + at05.fp >= at50.tp + at50.fp);
  assert.notEqual(await page.textContent(byTestId("threshold-stats")), stats50);
  assert.equal(await page.locator(byTestId("predict-form")).count(), 1);
});

test("a regression run shows RMSE, MAE, R² and MAPE next to the mean baseline, and a residual plot", async () => {
  const { page } = studio;
  await newProject(page, "Diabetes models", "regression", "diabetes", 442);
  await train(page, { model: "linear" });
  await page.click(byTestId("nav-evaluate"));
  const r2 = parseFloat(await page.textContent(byTestId("metric-r2")));
  assert.ok(r2 > 0.3, `R² ${r2}`);
  const rmse = parseFloat(await page.textContent(byTestId("metric-rmse")));
  const baselineRmse = parseFloat(await page.textContent(byTestId("baseline-rmse")));
  assert.ok(rmse < baselineRmse, `model RMSE ${rmse} vs baseline ${baselineRmse}`);
  for (const m of ["mae", "mape"]) {
    assert.ok(await page.locator(byTestId(`metric-${m}`)).count(), m);
    assert.ok(await page.locator(byTestId(`baseline-${m}`)).count(), m);
  }
  const scatter = page.locator(byTestId("pred-vs-actual"));
  assert.equal(await scatter.locator(byTestId("guide-identity")).count(), 1);
  assert.ok(Number(await scatter.locator(byTestId("plot-series")).getAttribute("data-points")) >= 80);
  const residuals = page.locator(byTestId("residual-plot"));
  assert.equal(await residuals.locator(byTestId("guide-zero")).count(), 1);
  const points = Number(await residuals.locator(byTestId("plot-series")).getAttribute("data-points"));
  assert.ok(points >= 80, `${points} residuals drawn (20% of 442 rows is 89)`);
  assert.equal(await residuals.locator("circle").count(), points);
});

test("a parameter the engine refuses fails the run with a message naming it, and records nothing", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  const before = await page.locator(byTestId("run-row")).count();
  await page.selectOption(byTestId("model-select"), "tree");
  await page.fill(byTestId("param-max_depth"), "0");
  await page.click(byTestId("train-button"));
  await page.waitForSelector(byTestId("error-banner"));
  assert.match(await page.textContent(byTestId("error-banner")), /Training failed: .*max_depth/);
  assert.equal(await page.getAttribute(byTestId("param-error"), "data-param"), "max_depth");
  assert.equal(await page.getAttribute(byTestId("param-max_depth"), "aria-invalid"), "true");
  assert.equal(await page.locator(byTestId("run-row")).count(), before);
  assert.equal(await page.isDisabled(byTestId("train-button")), false);
  await page.click(`${byTestId("error-banner")} button`);
  await page.fill(byTestId("param-max_depth"), "");
});

test("the Runs page sorts, compares two runs and deletes one for good", async () => {
  const { page } = studio;
  // The diabetes project has its linear run; add a shallow tree and k-nearest neighbours.
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "tree");
  await page.fill(byTestId("param-max_depth"), "3");
  await train(page, { model: "tree" });
  await page.selectOption(byTestId("model-select"), "knn");
  await page.fill(byTestId("param-n_neighbors"), "15");
  await train(page, { model: "knn" });

  await page.click(byTestId("nav-runs"));
  assert.equal(await page.textContent(byTestId("runs-count")), "3 runs");
  assert.equal(await page.locator(byTestId("run-row")).count(), 3);
  const newestFirst = await rowIds(page);
  const created = await page.locator(byTestId("run-created")).evaluateAll((cs) => cs.map((c) => Number(c.dataset.ms)));
  assert.ok(descending(created), "newest first by default");

  await page.click(byTestId("sort-metric-r2"));
  assert.ok(ascending(await columnValues(page, "r2")));
  assert.equal(await page.getAttribute(`th:has(${byTestId("sort-metric-r2")})`, "aria-sort"), "ascending");
  await page.click(byTestId("sort-metric-r2"));
  const r2 = await columnValues(page, "r2");
  assert.ok(descending(r2), `R² descending: ${r2}`);
  assert.equal(await page.getAttribute(`th:has(${byTestId("sort-metric-r2")})`, "aria-sort"), "descending");
  await page.click(byTestId("sort-model"));
  const models = await page.locator(byTestId("run-open")).allTextContents();
  assert.deepEqual(models, [...models].sort());

  // Compare the tree and k-NN runs.
  const [knn, tree] = newestFirst;
  await page.check(byTestId(`run-select-${knn}`));
  assert.equal(await page.isDisabled(byTestId("runs-compare-button")), true);
  await page.check(byTestId(`run-select-${tree}`));
  await page.click(byTestId("runs-compare-button"));
  const compare = page.locator(byTestId("runs-compare"));
  await compare.waitFor();
  assert.equal(await compare.locator(byTestId("compare-run")).count(), 2);
  for (const m of ["rmse", "mae", "r2"]) {
    const row = compare.locator(byTestId(`compare-row-${m}`));
    assert.equal(await row.locator(byTestId("compare-cell")).count(), 2);
    assert.equal(await row.locator(`${byTestId("compare-cell")}[data-best="true"]`).count(), 1, `one best ${m}`);
  }
  const depth = await compare.locator(`${byTestId("compare-param-max_depth")} td`).allTextContents();
  assert.deepEqual(depth.sort(), ["3", "default"]);
  assert.deepEqual(await compare.locator(`${byTestId("compare-param-n_neighbors")} td`).allTextContents().then((t) => t.sort()), ["15", "default"]);
  assert.equal(await compare.locator(`${byTestId("compare-pred")} ${byTestId("plot-series")}`).count(), 2);

  // Delete the k-NN run, with a confirmation.
  await page.click(byTestId("runs-clear"));
  await page.check(byTestId(`run-select-${knn}`));
  await page.click(byTestId("runs-delete"));
  assert.equal(await page.textContent(byTestId("runs-delete-confirm")), "Delete 1 run for good");
  assert.equal(await page.locator(byTestId("run-row")).count(), 3, "nothing is deleted before the confirmation");
  await page.click(byTestId("runs-delete-confirm"));
  await page.waitForSelector(`${byTestId("runs-count")}:text-is("2 runs")`);
  assert.ok(!(await rowIds(page)).includes(knn));

  // Clicking a model name opens that run on the Evaluate page.
  await page.click(`${byTestId("run-row")}[data-run-id="${tree}"] ${byTestId("run-open")}`);
  await page.waitForSelector(`${byTestId("evaluated-run")}:has-text("Decision tree")`);

  await page.reload();
  await page.waitForSelector(`${byTestId("project-title")}:has-text("Diabetes models")`);
  await page.click(byTestId("nav-runs"));
  await page.waitForSelector(`${byTestId("runs-count")}:text-is("2 runs")`);
  assert.ok(!(await rowIds(page)).includes(knn), "the deleted run stays deleted after a reload");
});

/** A classification project with `n` search-trial runs (scores only, no model), deterministic. */
function projectWithRuns(n) {
  const families = ["linear", "tree", "forest", "gbdt", "knn"];
  const runs = [];
  for (let i = 0; i < n; i++) {
    // 7919 is prime to 1000: every run gets a different accuracy.
    const accuracy = 0.5 + ((i * 7919) % 1000) / 2000;
    runs.push({
      id: `run-${String(i).padStart(4, "0")}`,
      model: families[i % families.length],
      device: "CPU",
      scores: { accuracy, f1_macro: accuracy - 0.01, roc_auc: Math.min(1, accuracy + 0.02) },
      loss_curve: [],
      artifact: null,
      duration_ms: 100 + i,
      created_at_ms: 1_700_000_000_000 + i * 60_000,
      notes: [],
      inputs: [],
      cv: i % 10 === 0 ? { metric: "accuracy", folds: [accuracy, accuracy], mean: accuracy, std: 0, summary: {} } : null,
      task: "classification",
      target: "y",
      params: { max_depth: String(1 + (i % 10)) },
      seed: i,
      data_hash: "0123456789abcdef0123",
      engine_version: "0.1.0",
      search: "search-1",
    });
  }
  return {
    format: 1,
    id: "p-thousand",
    name: "Thousand runs",
    task: "classification",
    target: "y",
    dataset: null,
    runs,
    registry: [],
    recipe: null,
    updated_at_ms: 1_700_000_000_000,
  };
}

test("a grid search and a successive-halving search fill the leaderboard from the worker pool", async () => {
  const { page } = studio;
  // The diabetes project from the tests above; a regression tree, searched over its depth.
  await page.click(byTestId("nav-runs"));
  const runsBefore = Number((await page.textContent(byTestId("runs-count"))).split(" ")[0]);
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "tree");
  await page.fill(byTestId("param-max_depth"), "");
  await page.click(`${byTestId("search-panel")} summary`);
  await page.selectOption(byTestId("search-strategy"), "grid");
  await page.fill(byTestId("search-values-max_depth"), "2, 4");
  await page.locator(byTestId("search-values-max_depth")).dispatchEvent("change");
  await page.fill(byTestId("search-values-min_samples_leaf"), "");
  await page.locator(byTestId("search-values-min_samples_leaf")).dispatchEvent("change");
  await page.selectOption(byTestId("search-metric"), "rmse");
  await page.click(byTestId("search-start"));
  await page.waitForSelector(`${byTestId("search-status")}:has-text("2 of 2 trials finished")`, { timeout: 120_000 });
  assert.match(await page.textContent(byTestId("search-status")), /on \d+ workers/);
  const trials = page.locator(byTestId("search-trial"));
  assert.equal(await trials.count(), 2);
  const cells = await trials.evaluateAll((rows) => rows.map((r) => [r.children[1].textContent, r.children[3].textContent]));
  assert.deepEqual(cells.map((c) => c[0]).sort(), ["max_depth=2", "max_depth=4"]);
  // Ranked by cross-validated RMSE, lowest first, each with its spread.
  const means = cells.map((c) => parseFloat(c[1]));
  assert.ok(means[0] <= means[1], `leaderboard order ${means}`);
  assert.ok(cells.every((c) => / ± /.test(c[1])), JSON.stringify(cells));
  // The best settings go into the form.
  await page.click(byTestId("search-use-best"));
  assert.equal(await page.inputValue(byTestId("param-max_depth")), cells[0][0].split("=")[1]);
  // Every trial is recorded as a run (scores only).
  await page.click(byTestId("nav-runs"));
  await page.waitForSelector(`${byTestId("runs-count")}:text-is("${runsBefore + 2} runs")`);

  // Successive halving: six settings on few rows, the best third on three times as many, one
  // on all of them.
  await page.click(byTestId("nav-train"));
  await page.click(`${byTestId("search-panel")} summary`);
  await page.selectOption(byTestId("search-strategy"), "halving");
  await page.fill(byTestId("search-values-min_samples_leaf"), "");
  await page.locator(byTestId("search-values-min_samples_leaf")).dispatchEvent("change");
  await page.fill(byTestId("search-values-max_depth"), "1..12");
  await page.locator(byTestId("search-values-max_depth")).dispatchEvent("change");
  await page.fill(byTestId("search-trials"), "6");
  await page.locator(byTestId("search-trials")).dispatchEvent("change");
  await page.click(byTestId("search-start"));
  await page.waitForSelector(`${byTestId("search-status")}:has-text("9 of 9 trials finished")`, { timeout: 180_000 });
  assert.match(await page.textContent(byTestId("search-status")), /round 3 of 3/);
  const rows = await page.locator(byTestId("search-trial")).evaluateAll((rs) => rs.map((r) => Number(r.children[2].textContent)));
  assert.equal(new Set(rows).size, 3, `three row budgets: ${rows}`);
  assert.deepEqual(studio.errors, []);
});

test("k-means and PCA train on a clustering project and show their own evaluations", async () => {
  const { page } = studio;
  await newProject(page, "Iris clusters", "clustering", "iris", 150);
  await page.click(byTestId("nav-train"));
  const families = await page.locator(`${byTestId("model-select")} option`).evaluateAll((os) => os.map((o) => o.value));
  assert.deepEqual(families, ["kmeans", "pca"]);
  await page.selectOption(byTestId("model-select"), "kmeans");
  await page.fill(byTestId("param-n_clusters"), "3");
  await page.locator(byTestId("param-n_clusters")).dispatchEvent("change");
  await train(page, { model: "kmeans" });
  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("evaluated-run")), /^k-means/);
  // The species column is the labels the clusters are compared with.
  assert.ok(parseFloat(await page.textContent(byTestId("metric-silhouette"))) > 0.2);
  assert.ok(parseFloat(await page.textContent(byTestId("metric-ari"))) > 0.3);
  assert.equal(await page.locator(`${byTestId("cluster-sizes")} rect`).count() >= 3, true);

  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "pca");
  await train(page, { model: "pca" });
  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("evaluated-run")), /^PCA/);
  assert.equal(await page.textContent(byTestId("metric-components")), "4");
  assert.ok(parseFloat(await page.textContent(byTestId("metric-explained_variance"))) > 99);
  assert.ok((await page.locator(`${byTestId("explained-variance")} rect`).count()) >= 4);
  assert.deepEqual(studio.errors, []);
});

test("a project with 1,000 runs pages 50 at a time and sorts", async () => {
  const { page } = studio;
  // The project arrives the way a share link brings it: deflated JSON in the fragment.
  const fragment = "share=" + deflateRawSync(Buffer.from(JSON.stringify(projectWithRuns(1000))), { level: 9 }).toString("base64url");
  // From another document, so the studio starts afresh and reads the fragment.
  await page.goto("about:blank");
  await page.goto(`${kiln.url}/#${fragment}`);
  // A link made before links carried a checksum still opens, read-only until copied.
  await page.click(byTestId("make-copy"));
  await page.waitForSelector(`${byTestId("project-title")}:has-text("Thousand runs")`);
  // A search trial kept no model: a note instead of the prediction form.
  await page.waitForSelector(byTestId("trial-note"));
  assert.equal(await page.locator(byTestId("predict-form")).count(), 0);

  await page.click(byTestId("nav-runs"));
  assert.equal(await page.textContent(byTestId("runs-count")), "1000 runs");
  assert.equal(await page.locator(byTestId("run-row")).count(), 50);
  assert.equal(await page.textContent(byTestId("runs-page")), "Page 1 of 20");
  assert.equal(await page.isDisabled(byTestId("runs-page-prev")), true);
  assert.equal((await rowIds(page))[0], "run-0999", "newest first");

  await page.click(byTestId("runs-page-next"));
  await page.waitForSelector(`${byTestId("runs-page")}:text-is("Page 2 of 20")`);
  assert.equal((await rowIds(page))[0], "run-0949");
  await page.click(byTestId("runs-page-prev"));
  await page.waitForSelector(`${byTestId("runs-page")}:text-is("Page 1 of 20")`);

  // Sorting 1,000 runs redraws one page.
  await page.click(byTestId("sort-metric-accuracy"));
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.runId === "run-0000", `${byTestId("run-row")}`);
  const lowest = await columnValues(page, "accuracy");
  assert.equal(lowest.length, 50);
  assert.ok(ascending(lowest));
  assert.equal(lowest[0], 0.5);
  await page.click(byTestId("sort-metric-accuracy"));
  const best = 0.5 + 999 / 2000;
  await page.waitForFunction(
    ([sel, top]) => Number(document.querySelector(sel)?.dataset.value) === top,
    [`${byTestId("run-row")} ${byTestId("run-score-accuracy")}`, best],
  );
  assert.ok(descending(await columnValues(page, "accuracy")));
  // The last page of the sorted runs ends with the lowest.
  for (let i = 1; i < 20; i++) await page.click(byTestId("runs-page-next"));
  await page.waitForSelector(`${byTestId("runs-page")}:text-is("Page 20 of 20")`);
  assert.equal(await page.isDisabled(byTestId("runs-page-next")), true);
  const last = await columnValues(page, "accuracy");
  assert.equal(last.length, 50);
  assert.equal(last.at(-1), 0.5);

  // Filtering by family keeps the sort and starts again at the first page.
  await page.selectOption(byTestId("runs-filter"), "tree");
  await page.waitForSelector(`${byTestId("runs-count")}:text-is("200 shown of 1000")`);
  assert.equal(await page.textContent(byTestId("runs-page")), "Page 1 of 4");
  const labels = await page.locator(byTestId("run-open")).allTextContents();
  assert.equal(labels.length, 50);
  assert.ok(labels.every((l) => l === "Decision tree"), labels.join(","));
  assert.ok(descending(await columnValues(page, "accuracy")));
  assert.match(await page.locator(byTestId("run-params")).first().textContent(), /^max_depth=\d+$/);

  // Opening a run from the table shows it on the Evaluate page.
  const id = (await rowIds(page))[0];
  await page.click(`${byTestId("run-row")}[data-run-id="${id}"] ${byTestId("run-open")}`);
  await page.waitForSelector(`${byTestId("evaluated-run")}:has-text("Decision tree")`);
  assert.match(await page.textContent(byTestId("metric-accuracy")), /%$/);
  assert.deepEqual(studio.errors, []);
});
