// The Data and Prepare stages with a messy file: import (CSV by file picker, NDJSON), the
// profile (types, statistics, warnings, relations), a type override, hashing personal data,
// the same profile from `kiln profile`, a recipe with a formula (a wrong one first), export,
// training with cross-validation, and predictions for a row with an unseen category and
// missing values. Then the import limit, malformed files and a 100k-row file.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byTestId, freshProfile, startKiln, train } from "./harness.mjs";

const KILN_BIN = process.env.KILN_BIN || "target/debug/kiln";
const CORPUS = "engine/tests/corpus";

let kiln;
let studio;

/** A deterministic messy table: an id, a date, missing numbers, categories, an e-mail column,
 * a constant column, and a yes/no target that depends on plan and tickets. */
function messyCsv(rows = 300) {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines = ["customer_id,signup,age,income,plan,region,tickets,email,country,refund,churned"];
  for (let i = 0; i < rows; i++) {
    const day = String(1 + Math.floor(rand() * 28)).padStart(2, "0");
    const month = String(1 + Math.floor(rand() * 12)).padStart(2, "0");
    const year = 2022 + Math.floor(rand() * 3);
    const age = rand() < 0.1 ? "" : String(18 + Math.floor(rand() * 60));
    const income = rand() < 0.05 ? "NA" : String(Math.round(Math.exp(10 + rand() * 1.5)));
    const plan = ["basic", "basic", "plus", "pro"][Math.floor(rand() * 4)];
    const region = rand() < 0.25 ? "" : ["north", "south", "east"][Math.floor(rand() * 3)];
    const tickets = Math.floor(rand() * 10);
    const score = (plan === "basic" ? 1.5 : plan === "pro" ? -1.5 : 0) + 0.4 * tickets - 1.8 + (rand() - 0.5);
    const churned = score > 0 ? "yes" : "no";
    // "refund" is only known after a customer left: it leaks the target.
    const refund = churned === "yes" ? 1 : 0;
    lines.push(`C${1000 + i},${day}/${month}/${year},${age},${income},${plan},${region},${tickets},user${i}@example.com,FR,${refund},${churned}`);
  }
  return lines.join("\n") + "\n";
}

async function upload(page, name, content, mimeType = "text/csv") {
  await page.setInputFiles(byTestId("file-input"), { name, mimeType, buffer: Buffer.from(content) });
}

async function warningIds(page) {
  return (await page.locator(`${byTestId("warnings")} li`).evaluateAll((els) => els.map((e) => e.dataset.testid))).sort();
}

before(async () => {
  kiln = await startKiln();
  studio = await freshProfile();
});

after(async () => {
  await studio?.close();
  await kiln?.stop();
});

test("a messy CSV is profiled: types, statistics, warnings and relations to the target", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await page.fill(byTestId("project-name"), "Churn");
  await page.click(byTestId("create-project"));
  await upload(page, "churn.csv", messyCsv());
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("churn.csv — 300 rows × 11 columns")`);
  assert.equal(await page.inputValue(byTestId("profile-target")), "churned");
  // The profile against the target arrives second.
  await page.waitForSelector(`${byTestId("target-relations")} ${byTestId("relation-row")}`);
  const types = {};
  for (const c of ["customer_id", "signup", "age", "income", "plan", "tickets", "churned"]) {
    types[c] = await page.inputValue(byTestId(`col-type-${c}`));
  }
  assert.deepEqual(types, {
    customer_id: "categorical", signup: "datetime", age: "integer", income: "integer",
    plan: "categorical", tickets: "integer", churned: "categorical",
  });
  assert.match(await page.textContent(byTestId("col-missing-region")), /^\d+ missing$/);
  assert.ok(parseInt(await page.textContent(byTestId("col-missing-region"))) > 40);
  const warnings = await warningIds(page);
  for (const w of ["warning-id_like-customer_id", "warning-constant-country", "warning-personal_data-email", "warning-missing-region", "warning-leak-refund"]) {
    assert.ok(warnings.includes(w), `${w} missing from ${warnings}`);
  }
  assert.equal(await page.locator(`${byTestId("chart-income")} rect`).count(), 20);
  await page.waitForSelector(byTestId("correlation-heatmap"));
  // The leak determines the target; tickets and plan drive it; they lead the relations.
  const top = await page.locator(byTestId("relation-row")).evaluateAll((rows) => rows.slice(0, 3).map((r) => r.dataset.column));
  assert.equal(top[0], "refund");
  assert.deepEqual(top.slice(1).sort(), ["plan", "tickets"]);
});

test("kiln profile shows the same profile as the studio", async () => {
  const { page } = studio;
  const dir = mkdtempSync(join(tmpdir(), "kiln-profile-cli-"));
  const file = join(dir, "churn.csv");
  writeFileSync(file, messyCsv());
  const cli = JSON.parse(execFileSync(KILN_BIN, ["profile", file, "--target", "churned", "--json"]).toString());
  assert.equal(cli.rows, 300);
  for (const c of cli.columns) {
    assert.equal(await page.inputValue(byTestId(`col-type-${c.name}`)), c.kind, c.name);
    assert.equal(await page.textContent(byTestId(`col-missing-${c.name}`)), `${c.missing} missing`);
  }
  const fromCli = cli.warnings.map((w) => `warning-${w.kind}-${w.column}`).sort();
  assert.deepEqual(await warningIds(page), fromCli);
});

test("a column's type can be overridden and personal data hashed in place", async () => {
  const { page } = studio;
  await page.selectOption(byTestId("col-type-tickets"), "categorical");
  await page.waitForSelector(`${byTestId("col-type-tickets")}.overridden`);
  assert.equal(await page.inputValue(byTestId("col-type-tickets")), "categorical");
  await page.selectOption(byTestId("col-type-tickets"), "integer");
  await page.waitForSelector(`${byTestId("col-type-tickets")}:not(.overridden)`);
  await page.click(byTestId("redact-hash-email"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("\\"email\\" was hashed")`);
  await page.waitForFunction(() => !document.querySelector('[data-testid="preview-table"]').textContent.includes("@example.com"));
  assert.equal(await page.locator(byTestId("warning-personal_data-email")).count(), 0);
  assert.match(await page.textContent(byTestId("dataset-summary")), /300 rows × 11 columns/);
});

test("the default recipe previews, a wrong formula is pointed at, a right one is added", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-prepare"));
  await page.waitForSelector(`${byTestId("recipe-preview")} th`);
  assert.match(await page.textContent(byTestId("recipe-origin")), /default recipe/);
  const steps = await page.locator(byTestId("recipe-step")).allTextContents();
  assert.ok(steps[0].includes("drop") && steps[0].includes("customer_id") && steps[0].includes("country"), steps[0]);
  const header = await page.locator(`${byTestId("recipe-preview")} th`).allTextContents();
  for (const h of ["plan=basic", "signup_year", "age_missing"]) assert.ok(header.includes(h), `${h} not in ${header}`);
  assert.ok(!header.includes("churned") && !header.includes("customer_id"), header.join(","));
  assert.ok(header.includes("refund"), "the default recipe keeps a leaking column until told");
  // The leak warning drops the column from the recipe, which becomes the person's own.
  await page.click(byTestId("nav-data"));
  await page.click(byTestId("recipe-drop-refund"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("refund")`);
  assert.match(await page.textContent(byTestId("notice-banner")), /"refund" is dropped by the recipe/);
  await page.click(byTestId("nav-prepare"));
  assert.match(await page.textContent(byTestId("recipe-origin")), /Your recipe/);
  const afterDrop = await page.locator(byTestId("recipe-step")).allTextContents();
  assert.match(afterDrop[0], /drop customer_id, email, country, refund/);
  assert.ok(afterDrop.slice(1).every((t) => !t.includes("refund")), afterDrop.join(" | "));
  await page.waitForFunction(() => ![...document.querySelectorAll('[data-testid="recipe-preview"] th')].some((t) => t.textContent === "refund"));

  await page.selectOption(byTestId("step-op"), "formula");
  await page.fill(byTestId("formula-name"), "income_per_age");
  await page.fill(byTestId("formula-expr"), "log1p(incme) / age");
  await page.click(byTestId("add-step"));
  const error = await page.textContent(byTestId("recipe-error"));
  assert.match(error, /step \d+ \(formula\): unknown column "incme" at character 7 of "log1p\(incme\) \/ age"/);
  const n = await page.locator(byTestId("recipe-step")).count();
  await page.click(byTestId(`step-remove-${n - 1}`));
  await page.fill(byTestId("formula-expr"), "log1p(income) / age");
  await page.click(byTestId("add-step"));
  await page.waitForSelector(`${byTestId("recipe-preview")} th:text-is("income_per_age")`);

  await page.selectOption(byTestId("step-op"), "impute");
  await page.selectOption(byTestId("step-columns"), ["region"]);
  await page.selectOption(byTestId("step-strategy"), "most_frequent");
  await page.click(byTestId("add-step"));
  // Steps run in order: after one-hot encoding there is no "region" left to fill.
  assert.match(await page.textContent(byTestId("recipe-error")), /step 7 \(impute\): there is no column "region" at this point/);
  await page.click(byTestId("step-up-6"));
  await page.click(byTestId("step-up-5"));
  await page.waitForSelector(`${byTestId("recipe-preview")} th:text-is("income_per_age")`);
  const order = await page.locator(byTestId("recipe-step")).allTextContents();
  assert.match(order[4], /fill missing region with the most frequent value/);

  const href = await page.getAttribute(byTestId("recipe-export"), "href");
  const exported = JSON.parse(decodeURIComponent(href.replace(/^data:application\/json;charset=utf-8,/, "")));
  assert.equal(exported.steps.at(-1).op, "formula");
  assert.equal(exported.steps.at(-1).expr, "log1p(income) / age");
  // The studio's recipe trains the same from the command line.
  const dir = mkdtempSync(join(tmpdir(), "kiln-recipe-"));
  writeFileSync(join(dir, "recipe.json"), JSON.stringify(exported));
  writeFileSync(join(dir, "churn.csv"), messyCsv());
  const out = JSON.parse(execFileSync(KILN_BIN, ["train", "--data", join(dir, "churn.csv"), "--target", "churned", "--recipe", join(dir, "recipe.json"), "--json"]).toString());
  assert.ok(out.features.includes("income_per_age"), out.features.join(","));

  // The recipe is part of the project: it survives a reload.
  await page.reload();
  await page.click(byTestId("nav-prepare"));
  await page.waitForSelector(`${byTestId("recipe-step")}:has-text("income_per_age = log1p(income) / age")`);
});

test("a model trained through the recipe cross-validates and predicts unseen and missing values", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  await page.fill(byTestId("cv-folds"), "3");
  await page.locator(byTestId("cv-folds")).dispatchEvent("change");
  await train(page, { model: "linear" });
  assert.match(await page.textContent(byTestId("run-metrics")), /accuracy \d+\.\d%/);
  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("run-cv")), /Cross-validation \(3 folds, recipe refitted in each\): accuracy 0\.\d+ ± 0\.\d+/);
  assert.match(await page.textContent(byTestId("run-recipe")), /income_per_age/);
  assert.ok(parseFloat(await page.textContent(byTestId("metric-accuracy"))) >= 70);
  await page.fill(byTestId("predict-input-plan"), "enterprise");
  await page.fill(byTestId("predict-input-age"), "");
  await page.fill(byTestId("predict-input-region"), "");
  await page.click(byTestId("predict-button"));
  await page.waitForFunction(() => /^(yes|no)$/.test(document.querySelector('[data-testid="prediction-label"]')?.textContent ?? ""));
  assert.equal(await page.locator(byTestId("error-banner")).count(), 0);
  // A plan the model knows moves the prediction the way the data says.
  await page.fill(byTestId("predict-input-plan"), "basic");
  await page.fill(byTestId("predict-input-tickets"), "9");
  await page.click(byTestId("predict-button"));
  await page.waitForFunction(() => document.querySelector('[data-testid="prediction-label"]')?.textContent === "yes");
});

test("NDJSON imports, and the import limit refuses a larger file without touching the project", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-data"));
  await page.fill(byTestId("project-name"), "Formats");
  await page.click(byTestId("create-project"));
  await upload(page, "events.ndjson", '{"a": 1, "b": "x", "y": true}\n{"a": 2.5, "b": null, "y": false}\n{"a": 3, "b": "z", "y": true}\n', "application/x-ndjson");
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("events.ndjson — 3 rows × 3 columns")`);
  assert.equal(await page.textContent(byTestId("dataset-format")), "Read as NDJSON.");
  assert.equal(await page.inputValue(byTestId("col-type-y")), "boolean");
  await page.click(`${byTestId("drop-zone")} summary`);
  await page.fill(byTestId("import-limit"), "1");
  await page.locator(byTestId("import-limit")).dispatchEvent("change");
  await upload(page, "big.csv", "a,b\n" + "1234567,7654321\n".repeat(100_000));
  assert.match(await page.textContent(byTestId("error-banner")), /big\.csv is 1\.5 MB; the import limit is 1 MB/);
  assert.match(await page.textContent(byTestId("dataset-summary")), /events\.ndjson — 3 rows/);
  await page.fill(byTestId("import-limit"), "200");
  await page.locator(byTestId("import-limit")).dispatchEvent("change");
});

test("malformed files are refused with their line and column, and the project stays as it was", async () => {
  const { page } = studio;
  const cases = [
    ["unterminated_quote.csv", /line 3, column 2: a quoted value starts here/],
    ["invalid_utf8.csv", /line 3, column 2: the text is not valid UTF-8/],
    ["ragged.csv", /line 4 has 2 fields but the header has 3/],
    ["duplicate_header.csv", /names column "a" twice \(columns 1 and 3\)/],
    ["header_only.csv", /a header but no data rows/],
    ["bad_json.json", /line 3: invalid JSON at character 11/],
    ["json_not_objects.json", /line 3: item 2 of the array is not an object/],
  ];
  for (const [name, pattern] of cases) {
    await upload(page, name, readFileSync(join(CORPUS, name)));
    await page.waitForSelector(`${byTestId("error-banner")}:has-text("${name}")`);
    const message = await page.textContent(byTestId("error-banner"));
    assert.match(message, pattern, name);
    assert.match(message, /The project was not changed/);
    assert.match(await page.textContent(byTestId("dataset-summary")), /events\.ndjson — 3 rows/);
    await page.click(`${byTestId("error-banner")} button`);
  }
});

test("a 100k-row, 21-column file streams in with progress and loads", async () => {
  const { page } = studio;
  await page.fill(byTestId("project-name"), "Big");
  await page.click(byTestId("create-project"));
  const header = Array.from({ length: 20 }, (_, i) => `f${i}`).concat("y").join(",");
  const lines = [header];
  for (let r = 0; r < 100_000; r++) {
    const row = [];
    for (let c = 0; c < 20; c++) row.push(((r * 7919 + c * 104729) % 1000003) / 1000.123456789);
    row.push(r % 2);
    lines.push(row.join(","));
  }
  const text = lines.join("\n") + "\n";
  assert.ok(text.length > 20_000_000, `${text.length} bytes`);
  await upload(page, "big.csv", text);
  // The page keeps answering while the worker reads: progress values arrive in between.
  const seen = new Set();
  while (!(await page.locator(`${byTestId("dataset-summary")}:has-text("big.csv")`).count())) {
    const value = await page.evaluate(() => document.querySelector('[data-testid="import-progress"] progress')?.value);
    if (value !== undefined) seen.add(value);
    await page.waitForTimeout(20);
  }
  assert.ok([...seen].some((v) => v > 0 && v < 0.9), `progress seen: ${[...seen]}`);
  assert.match(await page.textContent(byTestId("dataset-summary")), /big\.csv — 100000 rows × 21 columns/);
});
