// Shipping figures in headless Chromium against a real `kiln serve`:
//  1. time to first prediction of <kiln-predict> on another origin, from the moment the model
//     file has arrived (its Resource Timing responseEnd) to the first `kiln-prediction` event,
//     in a fresh browser profile each time (nothing cached), next to onnxruntime-web's time to
//     create a session from the same model's ONNX export and run it once, on the same page
//     (when ONNX=path is given);
//  2. batch scoring in the studio: a CSV scored by the worker pool, rows per second as the
//     studio reports it.
//
// Usage: node bench/browser/ship.mjs MODEL.json [SCORE.csv]
// Env: KILN_BIN, KILN_DIST (default dist), REPEATS (default 5), ONNX (an .onnx export of MODEL),
// TRAIN (the CSV the studio trains its gbdt on before scoring SCORE.csv; target column `y`).
import { readFileSync } from "node:fs";
import { freshProfile, startKiln, startOtherOrigin, byTestId } from "../../e2e/harness.mjs";

const [modelPath, scorePath] = process.argv.slice(2);
const REPEATS = Number(process.env.REPEATS || 5);
const model = readFileSync(modelPath, "utf8");
const kiln = await startKiln();
const out = {};
try {
  const site = await startOtherOrigin(
    `<!doctype html><html><body><script src="${kiln.url}/embed.js"></script>
     <kiln-predict model="/model.json"></kiln-predict></body></html>`,
    { "/model.json": model },
  );
  const firsts = [];
  for (let i = 0; i < REPEATS; i++) {
    const visitor = await freshProfile();
    try {
      await visitor.page.addInitScript(() => {
        document.addEventListener("kiln-prediction", () => (window.__first ??= performance.now()));
      });
      await visitor.page.goto(site.url);
      await visitor.page.waitForFunction(() => window.__first);
      firsts.push(
        await visitor.page.evaluate(() => {
          const entry = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/model.json"));
          return window.__first - entry.responseEnd;
        }),
      );
    } finally {
      await visitor.close();
    }
  }
  await site.stop();
  firsts.sort((a, b) => a - b);
  out.first_prediction_ms = { median: firsts[Math.floor(firsts.length / 2)], all: firsts.map((v) => Math.round(v * 10) / 10) };

  if (scorePath && process.env.TRAIN) {
    const studio = await freshProfile();
    const { page } = studio;
    try {
      await page.goto(kiln.url);
      await page.fill(byTestId("project-name"), "bench");
      await page.click(byTestId("create-project"));
      await page.setInputFiles(byTestId("file-input"), process.env.TRAIN);
      await page.waitForSelector(byTestId("dataset-summary"), { timeout: 120_000 });
      await page.click(byTestId("nav-train"));
      await page.selectOption(byTestId("model-select"), "gbdt");
      await page.click(byTestId("train-button"));
      await page.waitForSelector(byTestId("run-row"), { timeout: 600_000 });
      await page.click(byTestId("nav-deploy"));
      await page.setInputFiles(byTestId("batch-file"), scorePath);
      await page.waitForSelector(byTestId("batch-result"), { timeout: 600_000 });
      out.batch = { text: await page.textContent(`${byTestId("batch-result")} p`), workers: await page.evaluate(() => navigator.hardwareConcurrency) };
    } finally {
      await studio.close();
    }
  }
} finally {
  await kiln.stop();
}
console.log(JSON.stringify(out));
