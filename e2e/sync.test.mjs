// The sync service from the studio, in real Chromium against a real `kiln serve`: the sync
// state in the header, edits pushed by themselves, offline edits that catch up when the
// server is back, a conflict resolved by reloading the server's copy, read-only share links
// (open, make a copy, revoke) and the registry (stages, rollback with its reason).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { byTestId, createIrisProject, freshProfile, startKiln, train } from "./harness.mjs";

let kiln;
let ada;
const PASSWORD = "correct horse battery";

before(async () => {
  kiln = await startKiln();
  ada = await freshProfile();
});

after(async () => {
  await ada?.close();
  await kiln?.stop();
});

const badge = (page) => page.textContent(byTestId("sync-badge"));

async function waitForBadge(page, pattern, timeout = 20_000) {
  await page.waitForFunction(
    ([sel, source]) => new RegExp(source).test(document.querySelector(sel)?.textContent ?? ""),
    [byTestId("sync-badge"), pattern.source],
    { timeout },
  );
}

async function signIn(page, { signup = false } = {}) {
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("sync-username"), "ada");
  await page.fill(byTestId("sync-password"), PASSWORD);
  await page.click(byTestId(signup ? "signup-button" : "login-button"));
  await page.waitForSelector(`${byTestId("sync-user")}:has-text("ada")`);
}

/** The server's copy of the current project, read with the page's own session. */
async function serverCopy(page) {
  return page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem("kiln.session"));
    const list = await (await fetch("/api/projects", { headers: { authorization: `Bearer ${session.token}` } })).json();
    const answer = await fetch(`/api/projects/${list[0].id}`, { headers: { authorization: `Bearer ${session.token}` } });
    return (await answer.json()).body;
  });
}

test("the header tells whether the project is synced, and edits push themselves, also after the server was down", async () => {
  const { page } = ada;
  await page.goto(kiln.url);
  await createIrisProject(page, "Iris sync");
  assert.match(await badge(page), /^Saved locally/);
  await train(page, { model: "linear" });
  await signIn(page, { signup: true });
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  await waitForBadge(page, /^Synced · signed in as ada/);

  // An edit is pushed without a click.
  await train(page, { model: "tree" });
  await waitForBadge(page, /^Synced/);
  assert.equal((await serverCopy(page)).runs.length, 2);

  // With the server stopped, an edit waits...
  const port = new URL(kiln.url).port;
  const dir = kiln.dbDir;
  await kiln.stop({ keep: true });
  await train(page, { model: "naive_bayes" });
  await page.waitForTimeout(4_000);
  assert.match(await badge(page), /not yet synced/);
  // ...and goes out once it is back, on the same address and database.
  kiln = await startKiln({ addr: `127.0.0.1:${port}`, dir });
  await waitForBadge(page, /^Synced/, 30_000);
  assert.equal((await serverCopy(page)).runs.length, 3);
});

test("a stale copy is marked as a conflict and reloading takes the server's version", async () => {
  const other = await freshProfile();
  try {
    await other.page.goto(kiln.url);
    await signIn(other.page);
    await other.page.click(byTestId("refresh-remote"));
    await other.page.click(`${byTestId("remote-project")} button`);
    await other.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris sync")`);
    await waitForBadge(other.page, /^Synced/);
    await train(other.page, { model: "knn" });
    await waitForBadge(other.page, /^Synced/);
  } finally {
    await other.close();
  }
  // The first browser edits its now stale copy: the automatic push is refused.
  const { page } = ada;
  await train(page, { model: "logistic" });
  await waitForBadge(page, /^Conflict/);
  await page.click(byTestId("nav-sync"));
  await page.waitForSelector(byTestId("push-conflict"));
  await page.click(byTestId("conflict-reload"));
  await waitForBadge(page, /^Synced/);
  await page.click(byTestId("nav-train"));
  // The server's version: three runs of the first browser and the other's k-NN run.
  assert.equal(await page.locator(byTestId("run-row")).count(), 4);
});

test("a read-only share link opens the project without an account, makes a copy, and stops when revoked", async () => {
  const { page } = ada;
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("share-label"), "for Grace");
  await page.click(byTestId("share-create"));
  const url = await page.inputValue(byTestId("share-url"));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#shared=[0-9a-f]{48}$/);
  await page.waitForSelector(`${byTestId("share-item")}:has-text("for Grace")`);

  const grace = await freshProfile();
  try {
    await grace.page.goto(url);
    await grace.page.waitForSelector(byTestId("shared-view"));
    assert.match(await grace.page.textContent("#shared-heading"), /Iris sync/);
    assert.equal(await grace.page.locator(byTestId("shared-run")).count(), 4);
    assert.equal(await grace.page.locator(byTestId("push-button")).count(), 0, "no editing while read-only");
    await grace.page.click(byTestId("make-copy"));
    await grace.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris sync")`);
    await grace.page.click(byTestId("nav-train"));
    assert.equal(await grace.page.locator(byTestId("run-row")).count(), 4);
  } finally {
    await grace.close();
  }

  await page.click(`${byTestId("share-item")} button`);
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("revoked")`);
  const late = await freshProfile();
  try {
    await late.page.goto(url);
    await late.page.waitForSelector(`${byTestId("error-banner")}:has-text("does not open a project")`);
    assert.equal(await late.page.locator(byTestId("shared-view")).count(), 0);
  } finally {
    await late.close();
  }
});

test("the registry promotes versions, rolls back with a reason, and records the history", async () => {
  const { page } = ada;
  for (const model of ["linear", "tree"]) {
    await train(page, { model });
    await page.click(byTestId("nav-deploy"));
    await page.fill(byTestId("model-name"), "iris-prod");
    await page.click(byTestId("register-button"));
  }
  await page.waitForSelector(`${byTestId("registered-version")}:has-text("iris-prod v2")`);
  await page.click(byTestId("nav-sync"));
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  await page.click(byTestId("registry-load"));
  const model = `${byTestId("registry-model")}[data-name="iris-prod"]`;
  await page.waitForSelector(`${model} ${byTestId("registry-version")}[data-version="2"]`);
  for (const version of [1, 2]) {
    await page.selectOption(`${model} ${byTestId(`stage-select-${version}`)}`, "production");
    await page.click(`${model} ${byTestId(`stage-apply-${version}`)}`);
    await page.waitForSelector(`${model} ${byTestId("registry-version")}[data-version="${version}"][data-stage="production"]`);
  }
  assert.equal(await page.getAttribute(`${model} [data-version="1"]`, "data-stage"), "archived");

  await page.fill(byTestId("stage-reason"), "v2 mislabels virginica");
  await page.click(`${model} ${byTestId("rollback-button")}`);
  await page.waitForSelector(`${model} ${byTestId("registry-version")}[data-version="1"][data-stage="production"]`);
  assert.equal(await page.getAttribute(`${model} [data-version="2"]`, "data-stage"), "archived");
  const latest = await page.textContent(`${model} ${byTestId("history-entry")}`);
  assert.match(latest, /v1: archived → production \(rollback\) by ada .*"v2 mislabels virginica"/);

  // Embeds that follow production now get version 1.
  const productionUrl = await page.textContent(`${model} ${byTestId("production-url")}`);
  const { etag, v1 } = await page.evaluate(async (u) => {
    const session = JSON.parse(localStorage.getItem("kiln.session"));
    const info = await (await fetch("/api/models/iris-prod", { headers: { authorization: `Bearer ${session.token}` } })).json();
    const served = await fetch(u);
    return { etag: served.headers.get("etag"), v1: info.versions[0].public_id };
  }, productionUrl);
  assert.equal(etag, `"${v1}"`);
});

test("a project deleted on the server is said to be gone, and pushing stores it anew", async () => {
  const { page } = ada;
  await page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem("kiln.session"));
    const headers = { authorization: `Bearer ${session.token}` };
    const list = await (await fetch("/api/projects", { headers })).json();
    await fetch(`/api/projects/${list[0].id}`, { method: "DELETE", headers });
  });
  await train(page, { model: "linear" });
  await page.waitForSelector(`${byTestId("error-banner")}:has-text("no longer has")`, { timeout: 20_000 });
  await waitForBadge(page, /^Saved locally ·/);
  await page.click(byTestId("nav-sync"));
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  await waitForBadge(page, /^Synced/);
});
