// Shared fixtures for the browser tests: a real `kiln serve` on a free port with a fresh
// SQLite file, and Debian's Chromium (WebGPU on, fresh profile per context) via playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:http";
import { chromium } from "playwright-core";

const KILN_BIN = process.env.KILN_BIN || "target/debug/kiln";
const KILN_DIST = process.env.KILN_DIST || "dist";
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--enable-unsafe-webgpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
  // A camera that shows a moving test pattern, granted without a prompt (webcam capture).
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
];

/** Starts `kiln serve` on 127.0.0.1:0 with a throw-away database and resolves once it prints
 * its address. The benchmarks pass their own binary and studio build. With `addr` and `dir`
 * it starts again where a stopped server was (same port, same database; `stop({ keep: true })`
 * leaves the database for that). */
export async function startKiln({ bin = KILN_BIN, dist = KILN_DIST, addr = "127.0.0.1:0", dir } = {}) {
  dir = dir ?? mkdtempSync(join(tmpdir(), "kiln-e2e-"));
  const child = spawn(bin, ["serve", "--addr", addr, "--db", join(dir, "kiln.db"), "--dist", dist], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kiln serve did not start:\n${log}`)), 30_000);
    const onData = (chunk) => {
      log += chunk;
      const m = log.match(/http:\/\/127\.0\.0\.1:\d+/);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("error", (e) => reject(e));
    child.on("exit", (code) => reject(new Error(`kiln serve exited with ${code}:\n${log}`)));
  });
  return {
    url,
    dbDir: dir,
    log: () => log,
    async stop({ keep = false } = {}) {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh browser profile (its own IndexedDB, storage, everything). */
export async function freshProfile() {
  const dir = mkdtempSync(join(tmpdir(), "kiln-profile-"));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
  });
  context.setDefaultTimeout(60_000);
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A plain HTTP server on another port (another origin) serving one HTML page, and any
 * `files` by path (`{"/model.json": text}`, served as JSON). */
export async function startOtherOrigin(html, files = {}) {
  const server = createServer((req, res) => {
    const file = files[new URL(req.url, "http://x").pathname];
    res.writeHead(200, { "content-type": file === undefined ? "text/html; charset=utf-8" : "application/json" });
    res.end(file ?? html);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address();
  return { url: `http://127.0.0.1:${port}/`, stop: () => new Promise((r) => server.close(r)) };
}

export const byTestId = (id) => `[data-testid="${id}"]`;

/** Creates a project and loads the bundled iris sample. */
export async function createIrisProject(page, name) {
  await page.fill(byTestId("project-name"), name);
  await page.click(byTestId("create-project"));
  await page.click(byTestId("sample-iris"));
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("150 rows")`);
}

/** Trains on the Train page and waits for the new run; returns the runs-table row count. */
export async function train(page, { model = "linear", epochs } = {}) {
  await page.click(byTestId("nav-train"));
  const before = await page.locator(byTestId("run-row")).count();
  await page.selectOption(byTestId("model-select"), model);
  if (epochs !== undefined) await page.fill(byTestId("epochs-input"), String(epochs));
  if (epochs !== undefined) await page.locator(byTestId("epochs-input")).dispatchEvent("change");
  await page.click(byTestId("train-button"));
  await page.waitForFunction(
    ([sel, n]) => document.querySelectorAll(sel).length > n,
    [byTestId("run-row"), before],
    { timeout: 180_000 },
  );
  return before + 1;
}
