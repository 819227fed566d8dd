// Explaining predictions in the browser: a 100-tree random forest trained by `kiln train` is
// loaded on another site through the embeddable widget's JS API (`Kiln.load(url)`), and the
// page times `explain(row)` (exact TreeSHAP, in the visitor's browser) and `predict(row)` on
// the same 1,000 rows. The peer is shap's TreeExplainer on a scikit-learn forest of 100 trees
// fitted on the same rows (bench/explain.py), run natively.
//
// Usage: node bench/browser/explain.mjs DATA.csv MODEL.json
// Env: KILN_BIN (a kiln to serve dist/), KILN_DIST (default dist), ROWS (default 1000).

import { readFileSync } from "node:fs";
import { freshProfile, startKiln, startOtherOrigin } from "../../e2e/harness.mjs";

const [csvPath, modelPath] = process.argv.slice(2);
const ROWS = Number(process.env.ROWS || 1000);

const lines = readFileSync(csvPath, "utf8").trimEnd().split("\n");
const header = lines[0].split(",");
const rows = lines.slice(1, ROWS + 1).map((l) => Object.fromEntries(l.split(",").map((v, i) => [header[i], v])));
const model = readFileSync(modelPath, "utf8");
const artifact = JSON.parse(model);
const trees = artifact.model.trees?.length ?? 0;
const nodes = (artifact.model.trees ?? []).reduce((n, t) => n + t.nodes.length, 0);

const kiln = await startKiln();
const site = await startOtherOrigin(
  `<!doctype html><html><body><script src="${new URL("embed.js", kiln.url)}"></script></body></html>`,
  { "/model.json": model },
);
const visitor = await freshProfile();
try {
  await visitor.page.goto(site.url);
  await visitor.page.waitForFunction(() => window.Kiln);
  const result = await visitor.page.evaluate(async (rows) => {
    const m = await window.Kiln.load("/model.json");
    m.explain(rows[0]);
    let t = performance.now();
    for (const r of rows) m.predict(r);
    const predict = performance.now() - t;
    t = performance.now();
    let checked = 0;
    for (const r of rows) {
      const c = m.explain(r);
      const sum = c.values[0].reduce((a, b) => a + b, c.expected[0]);
      if (Math.abs(sum - c.prediction[0]) < 1e-9) checked += 1;
    }
    const explain = performance.now() - t;
    return { predict_ms: predict, explain_ms: explain, checked };
  }, rows);
  console.log(JSON.stringify({ rows: rows.length, trees, nodes, ...result }));
} finally {
  await visitor.close();
  await site.stop();
  await kiln.stop();
}
