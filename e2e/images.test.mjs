// An image classifier from the studio, in one real Chromium against a real `kiln serve`: PNG
// files added per class go into the browser database, the engine worker reads and decodes
// them (createImageBitmap, OffscreenCanvas) and trains the convolutional network; a picture
// tried on Evaluate and in the embedded widget on another site gets the same answer; after a
// reload the images are still there to train again. Zip archives, folders and the (fake)
// webcam add images too, and 5,000 of them train in one go.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byTestId, freshProfile, startKiln, startOtherOrigin } from "./harness.mjs";
import { barPng, zipOf } from "./pictures.mjs";

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

async function addClass(page, name, horizontal, n) {
  await page.fill(byTestId("image-class"), name);
  const files = Array.from({ length: n }, (_, i) => ({
    name: `${name}-${i}.png`,
    mimeType: "image/png",
    buffer: barPng(horizontal, i),
  }));
  await page.setInputFiles(byTestId("image-files"), files);
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="${name}"][data-count="${n}"]`);
}

async function trainCnn(page, { folds = 0 } = {}) {
  await page.click(byTestId("nav-train"));
  await page.fill(byTestId("cv-folds"), String(folds));
  await page.locator(byTestId("cv-folds")).dispatchEvent("change");
  const before = await page.locator(byTestId("run-row")).count();
  await page.selectOption(byTestId("model-select"), "cnn");
  await page.selectOption(byTestId("device-select"), "cpu");
  await page.click(byTestId("params-reset"));
  const params = { image_size: "16", filters: "4x8", hidden: "16", epochs: "15", learning_rate: "0.01", early_stopping: "false", dropout: "0" };
  for (const [name, value] of Object.entries(params)) await page.fill(byTestId(`param-${name}`), value);
  await page.click(byTestId("train-button"));
  await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length > n, [byTestId("run-row"), before], {
    timeout: 300_000,
  });
}

const state = {};

test("images added per class train a convolutional network in the worker, which classifies a new picture", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await page.fill(byTestId("project-name"), "Bars");
  await page.click(byTestId("create-project"));
  await addClass(page, "horizontal", true, 24);
  await addClass(page, "vertical", false, 24);
  const broken = page.locator(byTestId("image-files"));
  await page.fill(byTestId("image-class"), "");
  await broken.setInputFiles([{ name: "x.png", mimeType: "image/png", buffer: barPng(true, 0) }]);
  assert.match(await page.textContent(byTestId("error-banner")), /Name the class first/);

  await trainCnn(page);
  await page.click(byTestId("nav-evaluate"));
  const notes = await page.textContent(byTestId("run-notes"));
  assert.match(notes, /48 images of 2 classes, resized to 16×16 \(colour\)/);
  assert.equal(await page.getAttribute(byTestId("epoch-curves"), "data-epochs"), "15");
  const accuracy = parseFloat(await page.textContent(byTestId("metric-accuracy")));
  assert.ok(accuracy >= 80, `accuracy ${accuracy}`);

  // A picture it has not seen: a horizontal bar.
  await page.setInputFiles(byTestId("predict-image"), { name: "new.png", mimeType: "image/png", buffer: barPng(true, 13) });
  await page.waitForSelector(byTestId("prediction-label"));
  assert.equal(await page.textContent(byTestId("prediction-label")), "horizontal");
  state.share = Number((await page.textContent(byTestId("prediction-detail"))).match(/horizontal ([\d.]+)%/)[1]);
});

test("the image classifier, registered and embedded on another site, classifies a picture as the studio did", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-deploy"));
  await page.fill(byTestId("model-name"), "bars");
  await page.click(byTestId("register-button"));
  await page.waitForSelector(`${byTestId("registered-version")}:has-text("bars v1")`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("download-model"))]);
  const model = readFileSync(await download.path(), "utf8");
  const html = `<!doctype html><html><body><h1>A partner site</h1>
    <script src="${new URL("embed.js", kiln.url)}"></script><kiln-predict model="/bars.kiln.json"></kiln-predict></body></html>`;
  const site = await startOtherOrigin(html, { "/bars.kiln.json": model });
  const visitor = await freshProfile();
  try {
    await visitor.page.goto(site.url);
    await visitor.page.waitForSelector(byTestId("kiln-image-input"));
    await visitor.page.setInputFiles(byTestId("kiln-image-input"), { name: "new.png", mimeType: "image/png", buffer: barPng(true, 13) });
    await visitor.page.waitForSelector(`${byTestId("kiln-result")}[data-label]`);
    assert.equal(await visitor.page.getAttribute(byTestId("kiln-result"), "data-label"), "horizontal");
    const text = await visitor.page.textContent(byTestId("kiln-result"));
    assert.equal(text, `horizontal (${state.share.toFixed(1)}%)`, "the same probability as in the studio");
    // The JS API classifies the same picture from a canvas the page drew itself.
    const fromApi = await visitor.page.evaluate(async () => {
      const model = await window.Kiln.load("/bars.kiln.json");
      const canvas = document.createElement("canvas");
      canvas.width = canvas.height = 16;
      const g = canvas.getContext("2d");
      g.fillStyle = "#222";
      g.fillRect(0, 0, 16, 16);
      g.fillStyle = "#fafafa";
      g.fillRect(0, 9, 16, 1);
      return { size: model.imageSize, label: (await model.predictImage(canvas)).label };
    });
    assert.deepEqual(fromApi, { size: 16, label: "horizontal" });
    // The visitor's camera (Chromium's test pattern here) is classified frame by frame on demand.
    await visitor.page.evaluate((sel) => document.querySelector("kiln-predict").shadowRoot.querySelector(sel).removeAttribute("data-label"), byTestId("kiln-result"));
    await visitor.page.click(byTestId("kiln-camera-start"));
    await visitor.page.waitForFunction((sel) => document.querySelector("kiln-predict").shadowRoot.querySelector(sel).readyState >= 2, byTestId("kiln-camera"));
    await visitor.page.click(byTestId("kiln-camera-snap"));
    await visitor.page.waitForSelector(`${byTestId("kiln-result")}[data-label]`);
    assert.ok(["horizontal", "vertical"].includes(await visitor.page.getAttribute(byTestId("kiln-result"), "data-label")));
    assert.deepEqual(visitor.errors, []);
  } finally {
    await visitor.close();
    await site.stop();
  }
});

test("after a reload the images are still in the browser and train again, cross-validated", async () => {
  const { page } = studio;
  await page.reload();
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="vertical"][data-count="24"]`);
  await trainCnn(page, { folds: 3 });
  assert.equal(await page.locator(byTestId("run-row")).count(), 2);
  assert.match(await page.locator(byTestId("run-device")).first().textContent(), /^CPU/);
  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("run-cv")), /Cross-validation \(3 folds, a fresh network in each\): accuracy [01]\.\d+ ± 0\.\d+/);
});

test("a zip or a folder with one subfolder per class, and webcam pictures, add images", async () => {
  const { page } = studio;
  await page.click(byTestId("nav-data"));
  await page.fill(byTestId("project-name"), "Sources");
  await page.click(byTestId("create-project"));
  const entries = { "bars/readme.txt": Buffer.from("not a picture"), "__MACOSX/bars/._h-0.png": Buffer.from("x") };
  for (let i = 0; i < 6; i++) {
    entries[`bars/horizontal/h-${i}.png`] = barPng(true, i);
    entries[`bars/vertical/v-${i}.png`] = barPng(false, i);
  }
  await page.setInputFiles(byTestId("image-zip"), { name: "bars.zip", mimeType: "application/zip", buffer: zipOf(entries) });
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="vertical"][data-count="6"]`);
  assert.equal(await page.getAttribute(`${byTestId("image-class-count")}[data-class="horizontal"]`, "data-count"), "6");
  assert.match(await page.textContent(byTestId("notice-banner")), /Added 12 images: "horizontal" 6, "vertical" 6\. Skipped 2 files that are not images\./);

  await page.setInputFiles(byTestId("image-zip"), { name: "broken.zip", mimeType: "application/zip", buffer: Buffer.from("PK nonsense") });
  assert.match(await page.textContent(byTestId("error-banner")), /cannot read the zip "broken\.zip"/);

  const dir = mkdtempSync(join(tmpdir(), "kiln-folder-"));
  try {
    mkdirSync(join(dir, "dots"));
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, "dots", `d-${i}.png`), barPng(i % 2 === 0, i));
    await page.setInputFiles(byTestId("image-folder"), dir);
    await page.waitForSelector(`${byTestId("image-class-count")}[data-class="dots"][data-count="3"]`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  await page.fill(byTestId("image-class"), "camera");
  await page.click(byTestId("camera-toggle"));
  await page.waitForFunction((sel) => document.querySelector(sel)?.videoWidth > 0, byTestId("camera-video"));
  await page.click(byTestId("camera-capture"));
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="camera"][data-count="1"]`);
  await page.click(byTestId("camera-burst"));
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="camera"][data-count="11"]`);
  assert.equal(await page.textContent(byTestId("camera-taken")), "11 taken");
  await page.click(byTestId("camera-toggle"));
  assert.equal(await page.textContent(byTestId("camera-toggle")), "Use the camera");
});

test("5,000 small images from one zip train without the tab running out of memory", async () => {
  const { page } = studio;
  await page.fill(byTestId("project-name"), "Many bars");
  await page.click(byTestId("create-project"));
  const entries = {};
  for (let i = 0; i < 2500; i++) {
    entries[`h/${i}.png`] = barPng(true, i, 8);
    entries[`v/${i}.png`] = barPng(false, i, 8);
  }
  await page.setInputFiles(byTestId("image-zip"), { name: "many.zip", mimeType: "application/zip", buffer: zipOf(entries) });
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="v"][data-count="2500"]`, { timeout: 120_000 });
  await page.click(byTestId("nav-train"));
  await page.selectOption(byTestId("model-select"), "cnn");
  await page.selectOption(byTestId("device-select"), "cpu");
  await page.click(byTestId("params-reset"));
  const params = { image_size: "8", filters: "4", hidden: "8", epochs: "2", early_stopping: "false", learning_rate: "0.01" };
  for (const [name, value] of Object.entries(params)) await page.fill(byTestId(`param-${name}`), value);
  await page.click(byTestId("train-button"));
  await page.waitForFunction((sel) => document.querySelectorAll(sel).length > 0, byTestId("run-row"), { timeout: 300_000 });
  await page.click(byTestId("nav-evaluate"));
  assert.match(await page.textContent(byTestId("run-notes")), /5000 images of 2 classes, resized to 8×8 \(colour\)/);
  assert.ok(parseFloat(await page.textContent(byTestId("metric-accuracy"))) >= 90);
});
