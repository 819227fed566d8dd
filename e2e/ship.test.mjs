// Shipping a model to other sites, in one real Chromium against a real `kiln serve`: models
// trained by the `kiln` command line are embedded with <kiln-predict> on a page of another
// origin that has a strict Content-Security-Policy and a hostile stylesheet, in an iframe on a
// page that runs no scripts at all, and through the JS API (`import { load } from
// ".../kiln.js"`), and each answer is checked against `kiln predict` on the same row.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { byTestId, createIrisProject, freshProfile, startKiln, train } from "./harness.mjs";

const KILN_BIN = process.env.KILN_BIN || "target/debug/kiln";
const IRIS = new URL("../static/samples/iris.csv", import.meta.url).pathname;

let kiln;
let dir;
const models = {};

function kilnCli(...args) {
  return execFileSync(KILN_BIN, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function trainModel(name, family, extra = []) {
  const out = join(dir, `${name}.json`);
  kilnCli("train", "--data", IRIS, "--target", "species", "--model", family, "--out", out, "--json", ...extra);
  return readFileSync(out, "utf8");
}

/** What `kiln predict` says for one row: the label and each class's probability. */
function cliPredict(model, row) {
  const modelFile = join(dir, "m.json");
  const data = join(dir, "row.csv");
  writeFileSync(modelFile, model);
  writeFileSync(data, `${Object.keys(row).join(",")}\n${Object.values(row).join(",")}\n`);
  const [header, line] = kilnCli("predict", "--model", modelFile, "--data", data).trim().split("\n");
  const names = header.split(",");
  const cells = line.split(",");
  const probabilities = Object.fromEntries(
    names.flatMap((n, i) => (n.startsWith("probability_") ? [[n.slice("probability_".length), Number(cells[i])]] : [])),
  );
  return { label: cells[names.indexOf("prediction")], probabilities };
}

/** A host site on its own port: `routes` maps a path to `(req, res)`; every response allows
 * any origin to read it (a model host must, for the widget on a Kiln server's page). */
async function startSite(routes) {
  const server = createServer((req, res) => {
    const handler = routes[new URL(req.url, "http://x").pathname];
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", "etag");
    if (!handler) {
      res.writeHead(404).end("not here");
      return;
    }
    handler(req, res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${server.address().port}`;
  return { url, stop: () => new Promise((r) => server.close(r)) };
}

/** A model served the way a registry stage is: ETag, `no-cache`, 304 when unchanged; counts
 * what it sent. */
function modelRoute(state) {
  return (req, res) => {
    const etag = `"${state.version}"`;
    if (req.headers["if-none-match"] === etag) {
      state.notModified += 1;
      res.writeHead(304, { etag, "cache-control": "no-cache" }).end();
      return;
    }
    state.full += 1;
    res.writeHead(200, { etag, "cache-control": "no-cache", "content-type": "application/json" }).end(state.body);
  };
}

const page = (body, csp) => (req, res) => {
  const headers = { "content-type": "text/html; charset=utf-8" };
  if (csp) headers["content-security-policy"] = csp;
  res.writeHead(200, headers).end(`<!doctype html><html><head><meta charset="utf-8"><title>Partner</title>${body}</html>`);
};

/** Records the widget's events and any CSP violation from the first script on (init scripts
 * are not subject to the page's policy). */
async function recordEvents(visitor) {
  await visitor.context.addInitScript(() => {
    window.__events = [];
    window.__violations = [];
    for (const type of ["kiln-ready", "kiln-prediction", "kiln-error"]) {
      document.addEventListener(type, (e) => window.__events.push({ type, detail: e.detail }));
    }
    document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    window.addEventListener("message", (e) => e.data?.source === "kiln" && window.__events.push({ type: `message:${e.data.type}`, detail: e.data.detail }));
  });
}

/** Registers the studio's latest run as version 1 of `name` and returns its model file's text. */
async function registerAndDownload(page, name) {
  await page.click(byTestId("nav-deploy"));
  await page.fill(byTestId("model-name"), name);
  await page.click(byTestId("register-button"));
  await page.waitForSelector(`${byTestId("registered-version")}:has-text("${name} v1")`);
  const [download] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("download-model"))]);
  return readFileSync(await download.path(), "utf8");
}

const events = (p, type) => p.evaluate((t) => window.__events.filter((e) => e.type === t).map((e) => e.detail), type);

before(async () => {
  kiln = await startKiln();
  dir = mkdtempSync(join(tmpdir(), "kiln-ship-"));
  models.logistic = trainModel("logistic", "logistic");
  models.gbdt = trainModel("gbdt", "gbdt");
  models.mlp = trainModel("mlp", "mlp", ["--epochs", "40", "--param", "hidden=8"]);
});

after(async () => {
  await kiln?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("<kiln-predict> works under a strict CSP and a hostile stylesheet on another origin, predicting on change as `kiln predict` does", async () => {
  const model = { version: "v1", body: models.logistic, full: 0, notModified: 0 };
  const hostile = `
    * { color: rgb(255, 0, 0) !important; font-size: 40px !important; font-family: serif !important; letter-spacing: 9px !important; }
    input, select, button, label, form, p, div, span, ul, li { display: none !important; }
    em.kiln.result { font-style: normal; }`;
  const csp = `default-src 'none'; script-src ${kiln.url} 'wasm-unsafe-eval'; connect-src ${kiln.url} 'self'; style-src 'self'; img-src 'self' blob:`;
  const site = await startSite({
    "/": page(
      `<link rel="stylesheet" href="/hostile.css"><script src="${kiln.url}/embed.js"></script></head><body>
        <h1>A partner site</h1><em class="kiln result bar" id="own">the host's own text</em>
        <kiln-predict model="/model.json" theme="dark" fields="petal_length,petal_width" explain="2"
          labels='{"petal_length": "Petal length (cm)", "species": "Iris"}'></kiln-predict></body>`,
      csp,
    ),
    "/hostile.css": (req, res) => res.writeHead(200, { "content-type": "text/css" }).end(hostile),
    "/model.json": modelRoute(model),
  });
  const visitor = await freshProfile();
  await recordEvents(visitor);
  const p = visitor.page;
  try {
    await p.goto(site.url);
    // A first prediction from the training defaults, without any interaction.
    await p.waitForSelector(`${byTestId("kiln-result")}[data-label]`);
    const [ready] = await events(p, "kiln-ready");
    assert.equal(ready.target, "species");
    assert.deepEqual(ready.schema.map((f) => f.name), ["sepal_length", "sepal_width", "petal_length", "petal_width"]);
    // Only the chosen fields are shown, under the host's labels; the theme is dark.
    const look = await p.evaluate(() => {
      const root = document.querySelector("kiln-predict").shadowRoot;
      const input = root.querySelector("input");
      const answer = root.querySelector('[data-testid="kiln-answer"]');
      const box = root.querySelector(".kiln");
      const s = getComputedStyle(input);
      return {
        inputs: [...root.querySelectorAll("input")].map((i) => i.name),
        labels: [...root.querySelectorAll("label > span:first-child")].map((l) => l.textContent),
        inputDisplay: s.display,
        inputWidth: input.getBoundingClientRect().width,
        answerColor: getComputedStyle(answer).color,
        answerSize: getComputedStyle(answer).fontSize,
        letterSpacing: getComputedStyle(answer).letterSpacing,
        theme: box.dataset.theme,
        background: getComputedStyle(box).backgroundColor,
      };
    });
    assert.deepEqual(look.inputs, ["petal_length", "petal_width"]);
    assert.deepEqual(look.labels, ["Petal length (cm)", "petal_width"]);
    assert.equal(look.inputDisplay, "block", "the hostile `input { display: none }` does not reach the widget");
    assert.ok(look.inputWidth > 50);
    assert.equal(look.answerColor, "rgb(238, 238, 238)", "the dark theme's text, not the host's red");
    assert.equal(look.answerSize, "16px", "the widget's own size, not the host's 40px");
    assert.equal(look.letterSpacing, "normal");
    assert.equal(look.theme, "dark");
    assert.equal(look.background, "rgb(28, 31, 38)");
    // And the widget's styles do not leak out onto the host's elements.
    const own = await p.evaluate(() => {
      const s = getComputedStyle(document.getElementById("own"));
      return { border: s.borderTopWidth, display: s.display, color: s.color };
    });
    assert.deepEqual(own, { border: "0px", display: "inline", color: "rgb(255, 0, 0)" });

    // A change predicts again; the answer, its probabilities and the event match `kiln predict`.
    await p.fill(byTestId("kiln-input-petal_length"), "5.9");
    await p.fill(byTestId("kiln-input-petal_width"), "2.3");
    await p.waitForFunction(() => window.__events.some((e) => e.type === "kiln-prediction" && e.detail.row.petal_width === "2.3"));
    const last = (await events(p, "kiln-prediction")).at(-1);
    assert.equal(last.row.petal_length, "5.9");
    const cli = cliPredict(models.logistic, last.row);
    assert.equal(last.label, cli.label);
    for (const [label, prob] of last.probabilities) assert.ok(Math.abs(prob - cli.probabilities[label]) < 1e-6, `${label}: ${prob} vs ${cli.probabilities[label]}`);
    assert.equal(await p.getAttribute(byTestId("kiln-result"), "data-label"), cli.label);
    assert.match(await p.textContent(byTestId("kiln-answer")), new RegExp(`^Iris: ${cli.label} \\(\\d+\\.\\d%\\)$`));
    assert.equal(await p.locator(`${byTestId("kiln-probabilities")} .bar`).count(), 3);
    // The two features that mattered most, as asked.
    assert.equal(last.contributions.length, 2);
    assert.equal(await p.locator(`${byTestId("kiln-contributions")} li`).count(), 2);
    // A value outside the training range is flagged, and still predicted.
    await p.fill(byTestId("kiln-input-petal_length"), "40");
    await p.waitForSelector(`${byTestId("kiln-hint-petal_length")}.warn`);
    const range = ready.schema.find((f) => f.name === "petal_length");
    assert.ok(range.min >= 1 && range.max <= 6.9, JSON.stringify(range));
    assert.equal(await p.textContent(byTestId("kiln-hint-petal_length")), `Outside what the model saw in training (${range.min} to ${range.max}): treat this prediction with care`);

    assert.deepEqual(await p.evaluate(() => window.__violations), [], "nothing the policy forbids was attempted");
    assert.deepEqual(visitor.errors, []);

    // A reload revalidates the model (a 304, nothing downloaded again) and predicts as before.
    assert.equal(model.full, 1);
    await p.reload();
    await p.waitForSelector(`${byTestId("kiln-result")}[data-label]`);
    assert.equal(model.full, 1);
    assert.ok(model.notModified >= 1, "the browser asked whether the model changed");
    // Promoting a new version (another ETag at the same address) reaches the embed on its next load.
    Object.assign(model, { version: "v2", body: models.gbdt });
    await p.reload();
    await p.waitForSelector(`${byTestId("kiln-result")}[data-label]`);
    assert.equal(model.full, 2);
    const family = await p.evaluate(async () => (await window.Kiln.load("/model.json")).family);
    assert.equal(family, "gbdt");
    // In one page, loading the same address again costs a 304 and gives the model already
    // decoded.
    const asked = model.notModified;
    assert.equal(await p.evaluate(async () => (await window.Kiln.load("/model.json")) === (await window.Kiln.load("/model.json"))), true);
    assert.equal(model.full, 2);
    assert.ok(model.notModified >= asked + 2, `${model.notModified - asked} revalidations`);
    // Loads of one address that start together share one request.
    const requests = model.full + model.notModified;
    assert.equal(await p.evaluate(async () => {
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => window.Kiln.load("/model.json")));
      return a === b && b === c;
    }), true);
    assert.equal(model.full + model.notModified, requests + 1);
  } finally {
    await visitor.close();
    await site.stop();
  }
});

test("the iframe form works on a page that runs no scripts, and tells its host each prediction", async () => {
  const model = { version: "m1", body: models.logistic, full: 0, notModified: 0 };
  let site;
  const frame = () => `${kiln.url}/embed.html?${new URLSearchParams({ model: `${site.url}/model.json`, fields: "petal_width" })}`;
  site = await startSite({
    "/": (req, res) => page(`</head><body><h1>No scripts here</h1><iframe src="${frame()}" title="Prediction" width="500" height="400"></iframe></body>`, `default-src 'none'; frame-src ${kiln.url}`)(req, res),
    "/model.json": modelRoute(model),
  });
  const visitor = await freshProfile();
  await recordEvents(visitor);
  try {
    await visitor.page.goto(site.url);
    const widget = visitor.page.frameLocator("iframe");
    await widget.locator(byTestId("kiln-input-petal_width")).fill("0.2");
    await visitor.page.waitForFunction(() => window.__events.some((e) => e.type === "message:kiln-prediction" && e.detail.row.petal_width === "0.2"));
    const last = (await events(visitor.page, "message:kiln-prediction")).at(-1);
    assert.equal(last.label, cliPredict(models.logistic, last.row).label);
    assert.equal(await widget.locator(byTestId("kiln-result")).getAttribute("data-label"), last.label);
    assert.equal(await widget.locator("input").count(), 1);
    assert.deepEqual(visitor.errors, []);
  } finally {
    await visitor.close();
    await site.stop();
  }
});

test("the JS API predicts rows as `kiln predict` does, an MLP included, and throws typed errors", async () => {
  const site = await startSite({
    "/": page("</head><body><h1>API</h1></body>"),
    "/mlp.json": (req, res) => res.writeHead(200, { "content-type": "application/json" }).end(models.mlp),
    "/not-a-model.json": (req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"hello": 1}'),
  });
  const visitor = await freshProfile();
  try {
    await visitor.page.goto(site.url);
    const rows = [
      { sepal_length: 5.1, sepal_width: 3.5, petal_length: 1.4, petal_width: 0.2 },
      { sepal_length: 6.7, sepal_width: 3.0, petal_length: 5.2, petal_width: 2.3 },
      { sepal_length: 5.9, sepal_width: null, petal_length: "4.2", petal_width: 1.3 },
    ];
    const got = await visitor.page.evaluate(
      async ([api, site, rows]) => {
        const { load, KilnError } = await import(api);
        const m = await load(`${site}/mlp.json`);
        const catching = async (f) => {
          try {
            await f();
            return null;
          } catch (e) {
            return { isKilnError: e instanceof KilnError, name: e.name, code: e.code, field: e.field, value: e.value, expected: e.expected, row: e.row, status: e.status, message: e.message };
          }
        };
        return {
          family: m.family,
          task: m.task,
          classes: m.classes,
          many: m.predict(rows),
          one: m.predict(rows[1]),
          missing: await catching(() => m.predict({ sepal_length: 5, sepal_width: 3, petal_length: 1 })),
          mistyped: await catching(() => m.predict([rows[0], { ...rows[1], petal_width: "wide" }])),
          notRow: await catching(() => m.predict("5.1,3.5,1.4,0.2")),
          absent: await catching(() => load(`${site}/missing.json`)),
          notModel: await catching(() => load(`${site}/not-a-model.json`)),
        };
      },
      [`${kiln.url}/kiln.js`, site.url, rows],
    );
    assert.equal(got.family, "mlp");
    assert.equal(got.task, "classification");
    assert.deepEqual(got.classes, ["setosa", "versicolor", "virginica"]);
    assert.equal(got.many.length, 3);
    assert.deepEqual(got.one, got.many[1]);
    for (const [i, row] of rows.entries()) {
      const cli = cliPredict(models.mlp, Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v ?? ""])));
      assert.equal(got.many[i].label, cli.label, `row ${i}`);
      for (const [label, p] of got.many[i].probabilities) assert.ok(Math.abs(p - cli.probabilities[label]) < 1e-6, `row ${i} ${label}`);
    }
    assert.equal(got.missing.isKilnError, true);
    assert.equal(got.missing.name, "KilnError");
    assert.equal(got.missing.code, "missing_field");
    assert.equal(got.missing.field, "petal_width");
    assert.equal(got.missing.row ?? null, null, "one row given: no row index");
    assert.match(got.missing.message, /no "petal_width" field/);
    assert.equal(got.mistyped.code, "mistyped_field");
    assert.equal(got.mistyped.field, "petal_width");
    assert.equal(got.mistyped.value, "wide");
    assert.equal(got.mistyped.expected, "a number");
    assert.equal(got.mistyped.row, 1);
    assert.match(got.mistyped.message, /^row 1: "petal_width" must be a number, not "wide"$/);
    assert.equal(got.notRow.code, "not_a_row");
    assert.equal(got.absent.code, "fetch");
    assert.equal(got.absent.status, 404);
    assert.equal(got.notModel.code, "model");
    assert.match(got.notModel.message, /not a model Kiln can use/);
    assert.deepEqual(visitor.errors, []);
  } finally {
    await visitor.close();
    await site.stop();
  }
});

test("the studio scores a million-row file in its worker pool with progress, the page staying responsive, and the download has every row", async () => {
  const studio = await freshProfile();
  const { page } = studio;
  const file = join(dir, "big.csv");
  try {
    await page.goto(kiln.url);
    await createIrisProject(page, "Batch");
    await train(page, { model: "gbdt" });
    const model = await registerAndDownload(page, "iris-gbdt");
    // Gradient boosting has no ONNX export here: the button is only offered for linear models and MLPs.
    assert.equal(await page.locator(byTestId("export-onnx")).count(), 0);

    // A million rows: iris measurements cycled with a little noise, an id first, and one bad row.
    const iris = readFileSync(IRIS, "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
    const rows = 1_000_000;
    const lines = ["id,sepal_length,sepal_width,petal_length,petal_width"];
    for (let i = 0; i < rows; i++) {
      const r = iris[i % iris.length];
      const jitter = ((i * 7919) % 100) / 1000;
      lines.push(i === 123_456 ? `${i},5.1,3.5,abc,0.2` : `${i},${r[0]},${r[1]},${(Number(r[2]) + jitter).toFixed(3)},${r[3]}`);
    }
    writeFileSync(file, `${lines.join("\n")}\n`);

    // The main thread's longest pause while scoring, and every progress figure shown.
    await page.evaluate(() => {
      window.__gap = 0;
      window.__seen = new Set();
      let last = performance.now();
      window.__ticker = setInterval(() => {
        const now = performance.now();
        window.__gap = Math.max(window.__gap, now - last);
        last = now;
        const p = document.querySelector('[data-testid="batch-progress"]');
        if (p) window.__seen.add(p.dataset.done);
      }, 20);
    });
    await page.setInputFiles(byTestId("batch-file"), file);
    await page.waitForSelector(byTestId("batch-result"), { timeout: 300_000 });
    const watched = await page.evaluate(() => {
      clearInterval(window.__ticker);
      return { gap: window.__gap, seen: [...window.__seen].map(Number).filter((n) => n > 0 && n < 1_000_000) };
    });
    assert.ok(watched.seen.length >= 3, `progress moved through ${JSON.stringify(watched.seen)}`);
    assert.ok(watched.gap < 2_000, `the page never stopped for ${watched.gap} ms`);
    assert.equal(await page.getAttribute(byTestId("batch-result"), "data-rows"), String(rows));
    assert.equal(await page.getAttribute(byTestId("batch-result"), "data-failed"), "1");
    assert.match(await page.textContent(byTestId("batch-failures")), /row 123457: column "petal_length": "abc" is not a number/);

    const [scoredDownload] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("batch-download"))]);
    assert.equal(scoredDownload.suggestedFilename(), "big-scored.csv");
    const scored = readFileSync(await scoredDownload.path(), "utf8").trimEnd().split("\n");
    assert.equal(scored.length, rows + 1);
    assert.equal(scored[0], "id,sepal_length,sepal_width,petal_length,petal_width,prediction,probability_setosa,probability_versicolor,probability_virginica,prediction_error");
    // Rows keep their order and cells; the bad row says why and has no prediction.
    for (const i of [0, 1, 19_999, 20_000, 999_999]) assert.equal(scored[i + 1].split(",")[0], String(i));
    const bad = scored[123_457].split(",");
    assert.deepEqual(bad.slice(5, 9), ["", "", "", ""]);
    assert.match(bad.slice(9).join(","), /abc.* is not a number/);
    // The predictions are the command line's, row for row.
    const sample = [0, 50, 100, 149, 777_777];
    for (const i of sample) {
      const cells = scored[i + 1].split(",");
      const row = { sepal_length: cells[1], sepal_width: cells[2], petal_length: cells[3], petal_width: cells[4] };
      const cli = cliPredict(model, row);
      assert.equal(cells[5], cli.label, `row ${i}`);
      assert.ok(Math.abs(Number(cells[6]) - cli.probabilities.setosa) < 1e-6, `row ${i}`);
    }

    // Workers read the file's bytes as stored: a tab-separated file with a byte-order mark,
    // CRLF lines and a byte that is not UTF-8 comes back tab-separated, the mark not part of
    // a column's name and the stray byte read as U+FFFD.
    const tsv = join(dir, "small.tsv");
    const tsvRows = ["id\tsepal_length\tsepal_width\tpetal_length\tpetal_width", "caf\u00e9\t5.1\t3.5\t1.4\t0.2", "b\t6.7\t3.0\t5.2\t2.3"];
    writeFileSync(tsv, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(tsvRows.join("\r\n"), "latin1"), Buffer.from("\r\n")]));
    await page.setInputFiles(byTestId("batch-file"), tsv);
    await page.waitForSelector(`${byTestId("batch-result")}[data-rows="2"]`, { timeout: 60_000 });
    assert.equal(await page.getAttribute(byTestId("batch-result"), "data-failed"), "0");
    const [tsvDownload] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("batch-download"))]);
    assert.equal(tsvDownload.suggestedFilename(), "small-scored.tsv");
    const tsvScored = readFileSync(await tsvDownload.path(), "utf8").trimEnd().split(/\r?\n/).map((l) => l.split("\t"));
    assert.equal(tsvScored.length, 3);
    assert.deepEqual(tsvScored[0].slice(0, 2), ["id", "sepal_length"]);
    assert.equal(tsvScored[0].at(-1), "prediction_error");
    assert.equal(tsvScored[1][0], "caf\ufffd");
    assert.equal(tsvScored[1][5], cliPredict(model, { sepal_length: "5.1", sepal_width: "3.5", petal_length: "1.4", petal_width: "0.2" }).label);
    assert.equal(tsvScored[2][5], cliPredict(model, { sepal_length: "6.7", sepal_width: "3.0", petal_length: "5.2", petal_width: "2.3" }).label);
    rmSync(tsv, { force: true });
    assert.deepEqual(studio.errors, []);
  } finally {
    await studio.close();
    rmSync(file, { force: true });
  }
});

test("the studio exports a registered logistic model as ONNX that onnxruntime scores as `kiln predict` does; boosting offers no export", async () => {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = 1;
  const studio = await freshProfile();
  const { page } = studio;
  try {
    await page.goto(kiln.url);
    await createIrisProject(page, "Export");
    await train(page, { model: "linear" });
    const modelFile = join(dir, "export.kiln.json");
    writeFileSync(modelFile, await registerAndDownload(page, "iris-onnx"));
    const [onnxDownload] = await Promise.all([page.waitForEvent("download"), page.click(byTestId("export-onnx"))]);
    assert.equal(onnxDownload.suggestedFilename(), "iris-onnx-v1.onnx");
    assert.match(await page.textContent(byTestId("notice-banner")), /takes the recipe's 4 features in this order: sepal_length, sepal_width, petal_length, petal_width/);
    const session = await ort.InferenceSession.create(readFileSync(await onnxDownload.path()));

    const data = join(dir, "rows.csv");
    writeFileSync(data, "sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2\n6.3,2.9,5.6,1.8\n5.8,2.7,4.1,1.0\n");
    const features = kilnCli("features", "--model", modelFile, "--data", data).trim().split("\n").slice(1).map((l) => l.split(",").map(Number));
    const input = new ort.Tensor("float32", Float32Array.from(features.flat()), [features.length, features[0].length]);
    const out = await session.run({ features: input });
    const predicted = kilnCli("predict", "--model", modelFile, "--data", data).trim().split("\n").slice(1).map((l) => l.split(","));
    const classes = ["setosa", "versicolor", "virginica"];
    predicted.forEach((cells, i) => {
      assert.equal(classes[Number(out.label.data[i])], cells[0], `row ${i}`);
      for (let k = 0; k < 3; k++) assert.ok(Math.abs(out.probabilities.data[i * 3 + k] - Number(cells[k + 1])) < 1e-5, `row ${i} class ${k}`);
    });
    assert.deepEqual(studio.errors, []);
  } finally {
    await studio.close();
  }
});
