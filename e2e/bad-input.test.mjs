// Bad input on the import and training path: each gets a clear message, and the project keeps
// what it had.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { byTestId, createIrisProject, freshProfile, startKiln, train } from "./harness.mjs";

let kiln;
let studio;

before(async () => {
  kiln = await startKiln();
  studio = await freshProfile();
  await studio.page.goto(kiln.url);
  await createIrisProject(studio.page, "Robustness");
});

after(async () => {
  await studio?.close();
  await kiln?.stop();
});

async function upload(page, name, bytes) {
  await page.setInputFiles(byTestId("file-input"), { name, mimeType: "text/csv", buffer: Buffer.from(bytes) });
  await page.waitForSelector(byTestId("error-banner"));
  return page.textContent(byTestId("error-banner"));
}

async function stillIris(page) {
  assert.match(await page.textContent(byTestId("dataset-summary")), /^iris\.csv — 150 rows × 5 columns/);
}

test("a CSV with a ragged row names the line and keeps the previous data", async () => {
  const { page } = studio;
  const message = await upload(page, "ragged.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
  assert.match(message, /Could not import ragged\.csv: line 3 has 2 fields but the header has 3/);
  assert.match(message, /The project was not changed/);
  await stillIris(page);
  await page.click(`${byTestId("error-banner")} button`);
});

test("a file that is not a table is refused", async () => {
  const { page } = studio;
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]);
  const message = await upload(page, "photo.png", png);
  assert.match(message, /Could not import photo\.png: this does not look like a text table/);
  await stillIris(page);
  await page.click(`${byTestId("error-banner")} button`);
});

test("an empty file is refused", async () => {
  const { page } = studio;
  const message = await upload(page, "empty.csv", "");
  assert.match(message, /Could not import empty\.csv: the file is empty/);
  await stillIris(page);
  await page.click(`${byTestId("error-banner")} button`);
});

test("a drag-and-dropped file is imported like a picked one", async () => {
  const { page } = studio;
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File(["size,kind\n1,a\n2,a\n3,a\n4,a\n5,a\n"], "one-class.csv", { type: "text/csv" }));
    return dt;
  });
  await page.dispatchEvent(byTestId("drop-zone"), "drop", { dataTransfer });
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("one-class.csv — 5 rows")`);
});

test("a target with a single class is explained and no run is recorded", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-train"));
  assert.equal(await page.inputValue(byTestId("target-select")), "kind");
  await page.click(byTestId("train-button"));
  await page.waitForSelector(byTestId("error-banner"));
  assert.match(
    await page.textContent(byTestId("error-banner")),
    /Training failed: the target "kind" has only one class \("a"\); classification needs at least two/,
  );
  assert.equal(await page.locator(byTestId("run-row")).count(), 0);
  assert.equal(await page.isDisabled(byTestId("train-button")), false);
});

test("a regression project on the diabetes sample reports RMSE and R²", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-data"));
  await page.fill(byTestId("project-name"), "Diabetes");
  await page.selectOption(byTestId("project-task"), "regression");
  await page.click(byTestId("create-project"));
  await page.click(byTestId("sample-diabetes"));
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("442 rows")`);
  await train(page, { model: "linear" });
  await page.click(byTestId("nav-evaluate"));
  const r2 = parseFloat(await page.textContent(byTestId("metric-r2")));
  assert.ok(r2 > 0.3, `R² ${r2}`);
});
