// Explain and Monitor in one real Chromium against a real `kiln serve`: a gradient-boosting model
// on the churn sample is explained (permutation and impurity importances, partial dependence, a
// test row's waterfall whose steps add up to its prediction, a what-if edit that moves it),
// checked across groups of a sensitive column (a warning under a strict limit, none under a
// loose one), then registered and fed a batch whose incomes rose by half: Monitor flags income
// and only income, shows the batch's scores, and names a file it cannot check. That batch then
// retrains the model: a gate with an impossible fairness limit refuses the candidate with its
// reasons, a loose one lets it through, and the promotion's reasons reach the Register & ship
// page and, once pushed, the sync service's registry history.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { byTestId, freshProfile, startKiln, startOtherOrigin, train } from "./harness.mjs";

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

const churn = readFileSync(new URL("../static/samples/churn.csv", import.meta.url), "utf8");

/** The churn sample with every income raised by half. */
function richer() {
  return churn
    .trimEnd()
    .split("\n")
    .map((line, i) => {
      const cells = line.split(",");
      if (i > 0 && cells[3] !== "") cells[3] = String(Math.round(Number(cells[3]) * 1.5));
      return cells.join(",");
    })
    .join("\n");
}

async function waterfall(page) {
  const svg = page.locator(byTestId("waterfall"));
  const expected = Number(await svg.getAttribute("data-expected"));
  const prediction = Number(await svg.getAttribute("data-prediction"));
  const steps = await page
    .locator(byTestId("waterfall-step"))
    .evaluateAll((gs) => gs.map((g) => Number(g.dataset.value)));
  return { expected, prediction, steps };
}

test("Explain shows what matters, one row's contributions, a what-if and fairness per group", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await page.fill(byTestId("project-name"), "Churn insight");
  await page.click(byTestId("create-project"));
  await page.click(byTestId("sample-churn"));
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("400 rows")`);
  await train(page, { model: "gbdt" });

  await page.click(byTestId("nav-explain"));
  await page.waitForSelector(byTestId("permutation-importance"), { timeout: 120_000 });
  const bars = await page
    .locator(`${byTestId("permutation-importance")} ${byTestId("importance-bar")}`)
    .evaluateAll((gs) => gs.map((g) => ({ name: g.dataset.label, value: Number(g.dataset.value) })));
  assert.ok(bars.length >= 5, JSON.stringify(bars));
  assert.ok(bars.every((b, i) => i === 0 || bars[i - 1].value >= b.value), "most important first");
  assert.ok(bars[0].value > 0, JSON.stringify(bars));
  assert.match(await page.textContent(byTestId("permutation-caption")), /Drop in accuracy .* 80 test rows \(5 repeats/);
  assert.ok((await page.locator(`${byTestId("model-importance")} ${byTestId("importance-bar")}`).count()) > 0);
  assert.equal(await page.locator(byTestId("partial-dependence")).count(), 3);
  const topColumn = await page.locator(byTestId("partial-dependence")).first().getAttribute("data-feature");
  assert.equal(topColumn, bars[0].name);

  // A test row: its contributions lead from the average prediction to its own.
  await page.selectOption(byTestId("explain-row-pick"), "0");
  await page.waitForSelector(byTestId("waterfall"));
  assert.match(await page.textContent(byTestId("explain-method")), /TreeSHAP/);
  const first = await waterfall(page);
  const total = first.steps.reduce((a, b) => a + b, first.expected);
  assert.ok(Math.abs(total - first.prediction) < 1e-6, JSON.stringify(first));
  assert.ok(first.steps.some((v) => v !== 0));

  // What if: more support tickets, and the prediction moves.
  await page.fill(byTestId("whatif-input-support_tickets"), "30");
  await page.fill(byTestId("whatif-input-income"), "5000");
  await page.click(byTestId("explain-row-button"));
  await page.waitForFunction(
    ([sel, before]) => Number(document.querySelector(sel)?.dataset.prediction) !== before,
    [byTestId("waterfall"), first.prediction],
  );
  const edited = await waterfall(page);
  assert.notEqual(edited.prediction, first.prediction);

  // Fairness across plans: a strict limit warns, a loose one does not.
  const columns = await page.locator(`${byTestId("fairness-column")} option`).evaluateAll((os) => os.map((o) => o.value));
  assert.ok(columns.includes("plan") && !columns.includes("churned"), columns.join(","));
  await page.selectOption(byTestId("fairness-column"), "plan");
  await page.selectOption(byTestId("fairness-positive"), "yes");
  await page.fill(byTestId("fairness-threshold"), "0.1");
  await page.click(byTestId("fairness-check"));
  await page.waitForSelector(byTestId("fairness-table"), { timeout: 120_000 });
  const groups = await page.locator(byTestId("fairness-group")).evaluateAll((rs) => rs.map((r) => r.dataset.group));
  assert.deepEqual(groups, ["basic", "plus", "pro"]);
  assert.match(await page.textContent(byTestId("fairness-warning")), /differ by \d+\.\d points, more than the 0\.1 allowed/);
  await page.fill(byTestId("fairness-threshold"), "100");
  await page.click(byTestId("fairness-check"));
  await page.waitForFunction((sel) => !document.querySelector(sel), byTestId("fairness-warning"), { timeout: 120_000 });
  assert.match(await page.textContent(byTestId("fairness-summary")), /allowed 100\.0/);
  await page.fill(byTestId("fairness-threshold"), "abc");
  await page.click(byTestId("fairness-check"));
  assert.match(await page.textContent(byTestId("error-banner")), /between 0 and 100 points/);
});

test("Monitor flags the column that shifted, scores the batch and names a file it cannot check", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-deploy"));
  await page.fill(byTestId("model-name"), "churn-model");
  await page.click(byTestId("register-button"));
  await page.waitForSelector(`${byTestId("registered-version")}:has-text("churn-model v1")`);

  // Another site explains a prediction through the JS API, in its visitor's browser.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("download-model"))]);
  const model = readFileSync(await download.path(), "utf8");
  const html = `<!doctype html><html><body><script src="${new URL("embed.js", kiln.url)}"></script></body></html>`;
  const site = await startOtherOrigin(html, { "/churn.kiln.json": model });
  const visitor = await freshProfile();
  try {
    await visitor.page.goto(site.url);
    await visitor.page.waitForFunction(() => window.Kiln);
    const row = { age: "35", income: "18000", plan: "basic", region: "north", support_tickets: "9", signup_date: "01/02/2023", country: "FR" };
    const got = await visitor.page.evaluate(async (row) => {
      const m = await window.Kiln.load("/churn.kiln.json");
      return { predicted: m.predict(row), explained: m.explain(row) };
    }, row);
    const c = got.explained;
    assert.equal(c.method.kind, "tree_shap");
    assert.equal(c.label, got.predicted.label);
    assert.equal(c.values[0].length, c.features.length);
    const sum = c.values[0].reduce((a, b) => a + b, c.expected[0]);
    assert.ok(Math.abs(sum - c.prediction[0]) < 1e-9, JSON.stringify(c));
    // A boosted classifier explains its log-odds: back on the probability scale, the widget's own.
    const p = 1 / (1 + Math.exp(-c.prediction[0]));
    const yes = got.predicted.probabilities.find(([k]) => k === "yes")[1];
    assert.ok(Math.abs(p - yes) < 1e-9, `${p} vs ${yes}`);
    assert.deepEqual(visitor.errors, []);
  } finally {
    await visitor.close();
    await site.stop();
  }

  await page.click(byTestId("nav-monitor"));
  const options = await page.locator(`${byTestId("monitor-model")} option`).allTextContents();
  assert.equal(options[0], "churn-model v1");
  await page.setInputFiles(byTestId("monitor-file"), {
    name: "next-month.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(richer()),
  });
  await page.waitForSelector(byTestId("drift-summary"), { timeout: 120_000 });
  assert.match(await page.textContent(byTestId("drift-summary")), /next-month\.csv: 400 rows, 1 of \d+ columns drifted: income\./);
  const drifted = await page
    .locator(byTestId("drift-feature"))
    .evaluateAll((rs) => rs.filter((r) => r.dataset.drifted === "true").map((r) => r.dataset.name));
  assert.deepEqual(drifted, ["income"]);
  assert.equal(await page.getAttribute(`${byTestId("drift-feature")}[data-name="age"]`, "data-drifted"), "false");
  assert.equal(await page.locator(`${byTestId("drift-bins")}[data-feature="income"]`).count(), 1);
  assert.ok((await page.locator(`${byTestId("drift-performance")}[data-metric="accuracy"]`).count()) === 1);
  assert.equal(await page.locator(byTestId("drift-prediction")).count(), 1);

  await page.setInputFiles(byTestId("monitor-file"), {
    name: "flowers.csv",
    mimeType: "text/csv",
    buffer: Buffer.from("petal,colour\n1.2,red\n"),
  });
  await page.waitForSelector(`${byTestId("error-banner")}:has-text("Cannot check flowers.csv")`, { timeout: 60_000 });
  assert.match(await page.textContent(byTestId("error-banner")), /the batch has none of the model's input columns/);
  // The earlier report stays on screen.
  assert.match(await page.textContent(byTestId("drift-summary")), /next-month\.csv/);
});

test("Retrain & promote: the gate refuses or passes the candidate and the registry keeps why", async () => {
  const { page } = studio;
  const runs = async () => {
    await page.click(byTestId("nav-runs"));
    const n = await page.locator(byTestId("run-row")).count();
    await page.click(byTestId("nav-monitor"));
    return n;
  };
  const before = await runs();
  // Monitor forgets its batch when left: check it again.
  await page.setInputFiles(byTestId("monitor-file"), {
    name: "next-month.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(richer()),
  });
  await page.waitForSelector(byTestId("drift-summary"), { timeout: 120_000 });
  assert.match(await page.textContent(byTestId("retrain-button")), /Retrain on next-month\.csv/);

  // A bad limit is named, and nothing runs.
  await page.fill(byTestId("gate-max-drop"), "-1");
  await page.click(byTestId("retrain-button"));
  await page.waitForSelector(`${byTestId("error-banner")}:has-text("largest drop allowed")`);
  assert.equal(await page.locator(byTestId("retrain-result")).count(), 0);

  // Project data + batch, under a fairness limit no model meets: refused, with the reasons.
  await page.fill(byTestId("gate-max-drop"), "0.5");
  await page.selectOption(byTestId("gate-fair-column"), "plan");
  await page.selectOption(byTestId("gate-positive"), "yes");
  await page.fill(byTestId("gate-max-gap"), "0");
  await page.click(byTestId("retrain-button"));
  await page.waitForSelector(byTestId("retrain-result"), { timeout: 180_000 });
  const refused = page.locator(byTestId("retrain-result"));
  assert.equal(await refused.getAttribute("data-passed"), "false");
  assert.match(await page.textContent(byTestId("retrain-verdict")), /does not pass the gate against churn-model v1/);
  // The batch's rows without an income are unchanged copies of project rows: those that
  // repeat a held-out row are not learned from.
  const rows = (await page.textContent(byTestId("retrain-rows"))).match(
    /^Learned from (\d+) rows of the project's data and 320 of the batch; both scored on the same 80 held-out rows of the batch\. (\d+) rows that repeat a held-out row \(or share its group\) were left out of training\.$/,
  );
  assert.ok(rows, await page.textContent(byTestId("retrain-rows")));
  assert.ok(Number(rows[2]) > 0);
  assert.equal(Number(rows[1]) + Number(rows[2]), 400);
  const reasons = await page.locator(byTestId("gate-reason")).allTextContents();
  assert.match(reasons[0], /^accuracy [\d.]+% against production's [\d.]+% on the same 80 rows/);
  assert.match(reasons[1], /Largest gap across "plan" groups [\d.]+ points is above the limit of 0 points\./);
  assert.equal(await page.locator(byTestId("promote-button")).count(), 0);
  assert.equal(await page.locator(`${byTestId("retrain-score")}[data-metric="accuracy"]`).count(), 1);
  assert.equal(await page.locator(byTestId("retrain-fairness")).count(), 1);

  // The batch alone, allowed to be up to 100 points worse: it passes and can be promoted.
  await page.check(byTestId("retrain-batch-only"));
  await page.selectOption(byTestId("gate-fair-column"), "");
  await page.fill(byTestId("gate-max-drop"), "100");
  await page.click(byTestId("retrain-button"));
  await page.waitForSelector(`${byTestId("retrain-result")}[data-passed="true"]`, { timeout: 180_000 });
  assert.match(await page.textContent(byTestId("retrain-result")), /Learned from 320 rows of the batch; both scored on the same 80 held-out rows/);
  const passing = await page.locator(byTestId("gate-reason")).allTextContents();
  assert.equal(passing.length, 1);
  assert.match(passing[0], /within the 100 points allowed\.$/);
  const candidate = await page.textContent(`${byTestId("retrain-score")}[data-metric="accuracy"] ${byTestId("retrain-candidate")}`);
  assert.match(candidate, /^\d+\.\d%$/);
  await page.click(byTestId("promote-button"));
  await page.waitForSelector(`${byTestId("promoted")}:has-text("Promoted as v2")`);
  assert.match(await page.textContent(byTestId("notice-banner")), /churn-model v2 is in production in place of v1/);
  // Both candidates are runs of the project.
  assert.equal(await runs(), before + 2);
  const options = await page.locator(`${byTestId("monitor-model")} option`).allTextContents();
  assert.deepEqual(options.slice(0, 2), ["churn-model v2", "churn-model v1"]);

  // Register & ship shows which version serves and why each got there.
  await page.click(byTestId("nav-deploy"));
  const version = (n) => `${byTestId("registered-version")}[data-version="${n}"]`;
  assert.equal(await page.getAttribute(version(2), "data-production"), "true");
  assert.equal(await page.getAttribute(version(1), "data-production"), "false");
  const promotions = await page.locator(byTestId("promotion")).allTextContents();
  assert.equal(promotions.length, 2);
  assert.match(promotions[0], /^v2 in place of v1, .*: accuracy .* on the same 80 rows/);
  assert.match(promotions[1], /^v1, .*: First version registered/);

  // Pushed, the sync service's registry has v2 in production with the gate's reason (v1 was
  // replaced before it ever reached the service).
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("sync-username"), "grace");
  await page.fill(byTestId("sync-password"), "a long enough passphrase");
  await page.click(byTestId("signup-button"));
  await page.waitForSelector(`${byTestId("sync-user")}:has-text("grace")`);
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  const info = await page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem("kiln.session"));
    const answer = await fetch("/api/models/churn-model", { headers: { authorization: `Bearer ${session.token}` } });
    return answer.json();
  });
  assert.deepEqual(
    info.versions.map((v) => [v.version, v.stage]).sort((a, b) => a[0] - b[0]),
    [
      [1, "none"],
      [2, "production"],
    ],
  );
  const promoted = info.history.find((e) => e.version === 2 && e.to === "production");
  assert.match(promoted.reason, /accuracy .* on the same 80 rows/);
  assert.deepEqual(studio.errors, []);
});
