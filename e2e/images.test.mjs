// An image classifier from the studio, in one real Chromium against a real `kiln serve`: PNG
// files added per class go into the browser database, the engine worker reads and decodes
// them (createImageBitmap, OffscreenCanvas) and trains the convolutional network, and after a
// reload the images are still there to train again.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { byTestId, freshProfile, startKiln } from "./harness.mjs";

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

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(kind, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(kind), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** A 16×16 RGB PNG of a bright bar (horizontal or vertical) on a noisy background. */
function barPng(horizontal, i) {
  const size = 16;
  const rows = [];
  for (let y = 0; y < size; y++) {
    const row = [0];
    for (let x = 0; x < size; x++) {
      const at = 2 + (i % 12);
      const on = horizontal ? y === at : x === at;
      const v = on ? 250 : (x * 7 + y * 13 + i * 5) % 70;
      row.push(v, on ? 200 : v, v);
    }
    rows.push(Buffer.from(row));
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

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

async function trainCnn(page) {
  await page.click(byTestId("nav-train"));
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

test("images added per class train a convolutional network in the worker", async () => {
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
});

test("after a reload the images are still in the browser and train again", async () => {
  const { page } = studio;
  await page.reload();
  await page.waitForSelector(`${byTestId("image-class-count")}[data-class="vertical"][data-count="24"]`);
  await trainCnn(page);
  assert.equal(await page.locator(byTestId("run-row")).count(), 2);
  assert.match(await page.locator(byTestId("run-device")).first().textContent(), /^CPU/);
});
