// Memory of an image classifier's run in the studio: a zip of N synthetic PNG images (two
// classes of bars, `e2e/pictures.mjs`) is added on the Data page, then a small convolutional
// network trains on them for one epoch on the CPU at the given size. Reported: the largest
// resident set (RSS, from `ps`) of Chromium's renderer processes after the import and during
// training, sampled every 0.5 s, with the training time and the test accuracy. The studio's
// worker runs in the page's renderer process, so its wasm memory is part of that figure.
//
// Usage: node bench/browser/images-memory.mjs [IMAGES=5000] [SIZE=32]
// Env: KILN_BIN (kiln, for `kiln serve`), KILN_DIST (default dist), CHROMIUM.
import { execSync } from "node:child_process";
import { byTestId, freshProfile, startKiln } from "../../e2e/harness.mjs";
import { barPng, zipOf } from "../../e2e/pictures.mjs";

const images = Number(process.argv[2] || 5000);
const size = Number(process.argv[3] || 32);

function rendererMb() {
  const out = execSync("ps -eo rss,args").toString().split("\n");
  const rss = out.filter((l) => /chrom/i.test(l) && l.includes("--type=renderer")).map((l) => Number(l.trim().split(/\s+/)[0]));
  return Math.max(0, ...rss) / 1024;
}

const kiln = await startKiln();
const studio = await freshProfile();
try {
  const { page } = studio;
  await page.goto(kiln.url);
  await page.fill(byTestId("project-name"), "Memory");
  await page.click(byTestId("create-project"));
  const entries = {};
  for (let i = 0; i < images / 2; i++) {
    entries[`h/${i}.png`] = barPng(true, i, size);
    entries[`v/${i}.png`] = barPng(false, i, size);
  }
  await page.setInputFiles(byTestId("image-zip"), { name: "bars.zip", mimeType: "application/zip", buffer: zipOf(entries) });
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="v"][data-count="${images / 2}"]`, { timeout: 600_000 });
  const afterImport = rendererMb();
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "cnn");
  await page.selectOption(byTestId("device-select"), "cpu");
  await page.click(byTestId("params-reset"));
  const params = { image_size: String(size), filters: "4", hidden: "8", epochs: "1", early_stopping: "false" };
  for (const [name, value] of Object.entries(params)) await page.fill(byTestId(`param-${name}`), value);
  const started = Date.now();
  await page.click(byTestId("train-button"));
  let peak = afterImport;
  while ((await page.locator(byTestId("run-row")).count()) === 0) {
    peak = Math.max(peak, rendererMb());
    await page.waitForTimeout(500);
  }
  const seconds = (Date.now() - started) / 1000;
  await page.click(byTestId("nav-evaluate"));
  const accuracy = await page.textContent(byTestId("metric-accuracy"));
  console.log("| images | size | renderer RSS after import | peak renderer RSS while training | decode + 1 epoch | test accuracy |");
  console.log("|---:|---:|---:|---:|---:|---:|");
  console.log(`| ${images} | ${size}×${size} colour | ${afterImport.toFixed(0)} MB | ${peak.toFixed(0)} MB | ${seconds.toFixed(1)} s | ${accuracy} |`);
} finally {
  await studio.close();
  await kiln.stop();
}
