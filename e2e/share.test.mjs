// Share links in one real Chromium against a real `kiln serve`: a link carries the recipe, the
// model and, if asked, a sample of the rows, opens read-only in a fresh profile with "Make a
// copy"; a project too big for a link is offered a sync-service link instead; a link that was
// altered or cut short says so and leaves the studio working.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { byTestId, createIrisProject, freshProfile, startKiln, train } from "./harness.mjs";

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

async function openLink(link) {
  const other = await freshProfile();
  await other.page.goto(link);
  return other;
}

test("a link with a data sample opens read-only in a fresh profile and becomes the visitor's copy", async () => {
  const { page } = studio;
  await page.goto(kiln.url);
  await createIrisProject(page, "Shared iris");
  await train(page, { model: "linear" });
  await page.click(byTestId("nav-deploy"));
  await page.check(byTestId("share-sample"));
  await page.fill(byTestId("share-sample-rows"), "40");
  await page.click(byTestId("share-button"));
  await page.waitForFunction((sel) => document.querySelector(sel)?.value.includes("#share="), byTestId("share-link"));
  const link = await page.inputValue(byTestId("share-link"));
  assert.ok(link.length < 80_000, `${link.length} characters`);
  const other = await openLink(link);
  try {
    await other.page.waitForSelector(byTestId("shared-view"));
    assert.match(await other.page.textContent("#shared-heading"), /Shared iris/);
    assert.match(await other.page.textContent(byTestId("shared-view")), /iris-sample\.csv \(40 rows\)/);
    assert.equal(await other.page.locator(byTestId("shared-run")).count(), 1);
    // Nothing is saved until the visitor asks: a reload (the fragment is gone by then) shows
    // no project.
    await other.page.reload();
    await other.page.waitForSelector(byTestId("project-name"));
    assert.equal(await other.page.locator(byTestId("shared-view")).count(), 0);
    assert.doesNotMatch(await other.page.textContent("body"), /Shared iris/);
    await other.page.goto("about:blank");
    await other.page.goto(link);
    await other.page.waitForSelector(byTestId("shared-view"));
    await other.page.click(byTestId("make-copy"));
    await other.page.waitForSelector(`${byTestId("project-title")}:has-text("Shared iris")`);
    await other.page.click(byTestId("nav-data"));
    await other.page.waitForSelector(`${byTestId("dataset-summary")}:has-text("40 rows")`);
    // The copy predicts with the shared model.
    await other.page.click(byTestId("nav-evaluate"));
    await other.page.fill(byTestId("predict-input-petal_length"), "1.4");
    await other.page.fill(byTestId("predict-input-petal_width"), "0.2");
    await other.page.click(byTestId("predict-button"));
    assert.equal(await other.page.textContent(byTestId("prediction-label")), "setosa");
    assert.deepEqual(other.errors, []);
  } finally {
    await other.close();
  }

  // Altered or cut short: a clear message, and the studio goes on working.
  const payload = link.slice(link.indexOf("#share=") + 7);
  const middle = Math.floor(payload.length / 2);
  const altered = `${link.slice(0, link.indexOf("#share=") + 7)}${payload.slice(0, middle)}${payload[middle] === "A" ? "B" : "A"}${payload.slice(middle + 1)}`;
  for (const broken of [altered, link.slice(0, -25), link.slice(0, -26), `${kiln.url}/#share=not*a*link`]) {
    const visitor = await openLink(broken);
    try {
      await visitor.page.waitForSelector(byTestId("error-banner"));
      assert.match(await visitor.page.textContent(byTestId("error-banner")), /This share link (is damaged|is cut short or altered|does not hold a Kiln project)/);
      assert.equal(await visitor.page.locator(byTestId("shared-view")).count(), 0);
      await visitor.page.fill(byTestId("project-name"), "Still works");
      await visitor.page.click(byTestId("create-project"));
      await visitor.page.waitForSelector(`${byTestId("project-title")}:has-text("Still works")`);
      assert.deepEqual(visitor.errors, []);
    } finally {
      await visitor.close();
    }
  }
});

test("a project too big for a link is offered a sync-service link, which opens read-only", async () => {
  const { page } = studio;
  // 6,000 rows of noisy numbers and a yes/no label: their sample cannot fit in a link.
  const lines = ["a,b,c,d,y"];
  let x = 12345;
  const next = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648).toFixed(6);
  for (let i = 0; i < 6000; i++) lines.push([next(), next(), next(), next(), Number(next()) > 0.5 ? "yes" : "no"].join(","));
  await page.goto(kiln.url);
  await page.click(byTestId("nav-data"));
  await page.fill(byTestId("project-name"), "Noise");
  await page.click(byTestId("create-project"));
  await page.setInputFiles(byTestId("file-input"), { name: "noise.csv", mimeType: "text/csv", buffer: Buffer.from(lines.join("\n")) });
  await page.waitForSelector(`${byTestId("dataset-summary")}:has-text("6000 rows")`);
  await train(page, { model: "linear" });
  await page.click(byTestId("nav-deploy"));
  await page.check(byTestId("share-sample"));
  await page.fill(byTestId("share-sample-rows"), "6000");
  await page.click(byTestId("share-button"));
  await page.waitForSelector(byTestId("share-too-long"));
  assert.match(await page.textContent(byTestId("share-too-long")), /This link would be \d+ thousand characters; links over 80 thousand/);
  assert.equal(await page.inputValue(byTestId("share-link")), "");
  // Without an account there is no sync link yet: the page says what to do.
  await page.click(byTestId("share-sync-link"));
  assert.match(await page.textContent(byTestId("error-banner")), /Log in on the Sync page and push the project/);
  await page.click(byTestId("nav-sync"));
  await page.fill(byTestId("sync-username"), "lin");
  await page.fill(byTestId("sync-password"), "correct horse battery");
  await page.click(byTestId("signup-button"));
  await page.waitForSelector(`${byTestId("sync-user")}:has-text("lin")`);
  await page.click(byTestId("push-button"));
  await page.waitForSelector(`${byTestId("notice-banner")}:has-text("Pushed")`);
  await page.click(byTestId("nav-deploy"));
  await page.check(byTestId("share-sample"));
  await page.fill(byTestId("share-sample-rows"), "6000");
  await page.click(byTestId("share-button"));
  await page.click(byTestId("share-sync-link"));
  await page.waitForFunction((sel) => document.querySelector(sel)?.value.includes("#shared="), byTestId("share-link"));
  const link = await page.inputValue(byTestId("share-link"));
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#shared=[0-9a-f]{48}$/);
  const other = await openLink(link);
  try {
    await other.page.waitForSelector(byTestId("shared-view"));
    assert.match(await other.page.textContent("#shared-heading"), /Noise/);
    assert.match(await other.page.textContent(byTestId("shared-view")), /noise\.csv \(6000 rows\)/);
    assert.equal(await other.page.locator(byTestId("make-copy")).count(), 1);
    assert.deepEqual(other.errors, []);
  } finally {
    await other.close();
  }
});
