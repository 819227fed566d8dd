// The sync service from the studio, in real Chromium against a real `kiln serve`: the sync
// state in the header, edits pushed by themselves, offline edits that catch up when the
// server is back, conflicts resolved by reloading the server's copy or overwriting it,
// read-only share links (open, make a copy, revoke) and the registry (stages, rollback with
// its reason, the public flag).
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
  assert.equal(await page.textContent(byTestId("sync-state")), "Iris sync: Synced");

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

test("a stale copy is marked as a conflict: reloading takes the server's version, overwriting keeps this one", async () => {
  const { page } = ada;
  const other = await freshProfile();
  try {
    // A second browser pulls the project and adds a run, which pushes itself.
    await other.page.goto(kiln.url);
    await signIn(other.page);
    await other.page.click(byTestId("refresh-remote"));
    await other.page.click(`${byTestId("remote-project")} button`);
    await other.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris sync")`);
    await waitForBadge(other.page, /^Synced/);
    await train(other.page, { model: "knn" });
    await waitForBadge(other.page, /^Synced/);

    // The first browser edits its now stale copy: the automatic push is refused.
    await train(page, { model: "logistic" });
    await waitForBadge(page, /^Conflict/);
    // The conflict outlives a reload: the project is not pushed again behind the person's back.
    await page.reload();
    await page.waitForSelector(`${byTestId("project-title")}:has-text("Iris sync")`);
    assert.match(await badge(page), /^Conflict/);
    await page.click(byTestId("nav-sync"));
    await page.waitForSelector(byTestId("push-conflict"));
    assert.equal(await page.textContent(byTestId("sync-state")), "Iris sync: Conflict with the server's copy");
    await page.click(byTestId("conflict-reload"));
    await waitForBadge(page, /^Synced/);
    await page.click(byTestId("nav-train"));
    // The server's version: three runs of the first browser and the other's k-NN run.
    assert.equal(await page.locator(byTestId("run-row")).count(), 4);

    // Both edit again; the second browser's push lands first, the first browser overwrites it.
    await train(other.page, { model: "tree" });
    await waitForBadge(other.page, /^Synced/);
    const theirs = (await serverCopy(page)).runs.map((r) => r.id);
    assert.equal(theirs.length, 5);
    await train(page, { model: "linear" });
    await waitForBadge(page, /^Conflict/);
    await page.click(byTestId("nav-sync"));
    await page.waitForSelector(byTestId("push-conflict"));
    await page.click(byTestId("force-push-button"));
    await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
    await waitForBadge(page, /^Synced/);
    assert.equal(await page.locator(byTestId("push-conflict")).count(), 0);
    const ours = (await serverCopy(page)).runs.map((r) => r.id);
    assert.equal(ours.length, 5);
    assert.ok(!ours.includes(theirs.at(-1)), "the second browser's run was overwritten");
  } finally {
    await other.close();
  }
});

test("a read-only share link opens the project without an account, makes a copy, and stops when revoked", async () => {
  const { page } = ada;
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("share-label"), "for Grace");
  await page.click(byTestId("share-create"));
  const url = await page.inputValue(byTestId("share-url"));
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/#shared=[0-9a-f]{48}$/);
  await page.waitForSelector(`${byTestId("share-item")}:has-text("for Grace")`);
  await page.context().grantPermissions(["clipboard-read", "clipboard-write"], { origin: kiln.url });
  await page.click(byTestId("share-copy"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("copied")`);
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);

  const grace = await freshProfile();
  try {
    await grace.page.goto(url);
    await grace.page.waitForSelector(byTestId("shared-view"));
    assert.match(await grace.page.textContent("#shared-heading"), /Iris sync/);
    assert.equal(await grace.page.locator(byTestId("shared-run")).count(), 5);
    assert.equal(await grace.page.locator(byTestId("push-button")).count(), 0, "no editing while read-only");
    await grace.page.click(byTestId("make-copy"));
    await grace.page.waitForSelector(`${byTestId("project-title")}:has-text("Iris sync")`);
    assert.match(await badge(grace.page), /^Saved locally$/, "the copy is Grace's own, not synced");
    await grace.page.click(byTestId("nav-train"));
    assert.equal(await grace.page.locator(byTestId("run-row")).count(), 5);
  } finally {
    await grace.close();
  }

  await page.click(`${byTestId("share-item")}:has-text("for Grace") [data-testid^="share-revoke-"]`);
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("revoked")`);
  const late = await freshProfile();
  try {
    await late.page.goto(url);
    await late.page.waitForSelector(`${byTestId("error-banner")}:has-text("does not open a project")`);
    assert.match(await late.page.textContent(byTestId("error-banner")), /not valid \(it may have been revoked/);
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

  // New models are private: the production address serves nothing until the model is public.
  const productionUrl = await page.textContent(`${model} ${byTestId("production-url")}`);
  const served = () =>
    page.evaluate(async (u) => {
      const answer = await fetch(u);
      return { status: answer.status, etag: answer.headers.get("etag") };
    }, productionUrl);
  assert.equal((await served()).status, 404);
  await page.click(`${model} ${byTestId("public-toggle")}`);
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("iris-prod is public")`);
  assert.ok(await page.isChecked(`${model} ${byTestId("public-toggle")}`));

  // Embeds that follow production now get version 1.
  const v1 = await page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem("kiln.session"));
    const info = await (await fetch("/api/models/iris-prod", { headers: { authorization: `Bearer ${session.token}` } })).json();
    return info.versions.find((v) => v.version === 1).public_id;
  });
  assert.deepEqual(await served(), { status: 200, etag: `"${v1}"` });

  // The Register & ship page follows: the model is embeddable there, with its snippet.
  await page.click(byTestId("nav-deploy"));
  const local = `${byTestId("registered-model")}[data-name="iris-prod"]`;
  assert.ok(await page.isChecked(`${local} ${byTestId("model-public")}`));
  await page.waitForSelector(`${local} ${byTestId("embed-snippet")}`);
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
