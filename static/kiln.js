// Kiln's JS API: load a model a Kiln studio made and predict with it in this browser.
//
//   import { load, KilnError } from "https://your-kiln-server/kiln.js";
//   const m = await load("https://your-kiln-server/api/public/models/alice/churn/production");
//   m.predict({ tenure: 12, plan: "basic" });          // one row  -> one prediction
//   m.predict([{ ... }, { ... }]);                     // rows     -> a prediction each
//
// Every prediction is computed here by Kiln's inference engine (kiln-widget_bg.wasm, fetched
// from beside this file); no row leaves the page. Pages with a Content-Security-Policy need
// 'wasm-unsafe-eval' in script-src (to compile the engine) and this server in script-src and
// connect-src.
import init, { Model as Engine } from "./kiln-widget.js";

/** What went wrong, with `code` a program can act on: `fetch` (the model could not be
 * downloaded; `status` holds the HTTP status when there was one), `model` (not a model Kiln
 * can use), `missing_field` / `mistyped_field` (`field`, and for a mistyped one `value` and
 * `expected`), `not_a_row`, `not_explainable`, `not_an_image`, `engine` (this browser could not
 * start the engine). `row` is the index of the row
 * at fault when several were given. */
export class KilnError extends Error {
  constructor(message, details = {}) {
    super(message);
    this.name = "KilnError";
    this.code = details.code || "error";
    for (const key of ["field", "value", "expected", "row", "status"]) {
      if (details[key] !== undefined) this[key] = details[key];
    }
  }
}

let compiled;
function engine() {
  compiled ??= init({ module_or_path: new URL("kiln-widget_bg.wasm", import.meta.url) }).catch((e) => {
    // A failed start (the network, say) is tried again by the next load, not kept.
    compiled = undefined;
    throw e;
  });
  return compiled;
}

// Models this page has loaded, by URL, with the ETag they came with: a second element or a
// second `load` of the same URL reuses the decoded model when the server says it is unchanged.
const loaded = new Map();

// Loads under way, by URL: several elements with one model, starting together, share one
// request (a load that can be aborted goes on its own).
const pending = new Map();

/** Fetches and decodes the model at `url` (a fixed version, or a registry stage such as
 * `.../production` that follows promotions). The artifact is revalidated with the server on
 * every load (`If-None-Match` from the browser's cache), so an unchanged model costs a 304
 * and a promoted one is picked up. */
export async function load(url, { signal } = {}) {
  const href = new URL(url, globalThis.document?.baseURI ?? location.href).href;
  if (signal) return fetchModel(href, signal);
  let promise = pending.get(href);
  if (!promise) {
    promise = fetchModel(href).finally(() => pending.delete(href));
    pending.set(href, promise);
  }
  return promise;
}

async function fetchModel(href, signal) {
  const ready = engine();
  // Awaited below once the model has arrived; a failed fetch must not leave it unobserved.
  ready.catch(() => {});
  let response;
  try {
    response = await fetch(href, { mode: "cors", cache: "no-cache", signal });
  } catch (e) {
    if (e && e.name === "AbortError") throw e;
    throw new KilnError(`could not fetch the model from ${href}: ${e.message || e}`, { code: "fetch" });
  }
  if (!response.ok) {
    throw new KilnError(`could not fetch the model from ${href} (HTTP ${response.status})`, {
      code: "fetch",
      status: response.status,
    });
  }
  const etag = response.headers.get("etag");
  const known = loaded.get(href);
  if (etag && known && known.etag === etag) {
    response.body?.cancel();
    return known.model;
  }
  const text = await response.text();
  try {
    await ready;
  } catch (e) {
    throw new KilnError(`this browser could not start Kiln's engine: ${e.message || e}`, { code: "engine" });
  }
  let inner;
  try {
    inner = Engine.load(text);
  } catch (e) {
    throw new KilnError(`${href} is not a model Kiln can use: ${e.message || e}`, { code: "model" });
  }
  const model = new KilnModel(inner, href, etag);
  if (etag) loaded.set(href, { etag, model });
  return model;
}

function rowError(error, many) {
  const details = { ...error };
  if (!many) delete details.row;
  const where = many && error.row !== undefined ? `row ${error.row}: ` : "";
  return new KilnError(where + error.message, details);
}

// An image (File, Blob, ImageBitmap, <img>, <canvas> or <video>) resized to size×size by the
// browser's own decoder, as RGBA bytes: the same steps the studio takes when it trains.
async function pixels(source, size) {
  const bitmap = await createImageBitmap(source, { resizeWidth: size, resizeHeight: size, resizeQuality: "high" });
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return new Uint8Array(context.getImageData(0, 0, size, size).data.buffer);
}

/** A loaded model: what it takes (`schema`, or `imageSize` for an image model) and gives
 * (`task`, `target`, `classes`), and the ways to ask it. */
class KilnModel {
  #engine;

  constructor(engine, url, etag) {
    this.#engine = engine;
    const d = JSON.parse(engine.describe());
    this.url = url;
    this.etag = etag;
    this.target = d.target;
    this.task = d.task;
    this.family = d.family;
    this.classes = d.classes;
    this.imageSize = d.image_size;
    this.schema = d.schema;
  }

  /** Scores one row (an object of field name to value) or an array of rows. Every input in
   * `schema` must be there; `null` or "" is a missing value, filled as in training. Returns
   * `{label, value, probabilities: [[class, p], ...]}` per row; throws a `KilnError`. */
  predict(rowOrRows) {
    const many = Array.isArray(rowOrRows);
    const out = JSON.parse(this.#engine.predict_rows(JSON.stringify(rowOrRows ?? null)));
    if (out.error) throw rowError(out.error, many);
    return many ? out.predictions : out.predictions[0];
  }

  /** Each feature's contribution to one row's prediction: `{features, outputs, values,
   * expected, prediction, label, method, space}`, `expected[o] + sum(values[o]) =
   * prediction[o]`. */
  explain(row) {
    const out = JSON.parse(this.#engine.explain(JSON.stringify(row ?? null)));
    if (out.error) throw rowError(out.error, false);
    return out.explanation;
  }

  /** Classifies a picture (File, Blob, ImageBitmap, <img>, <canvas> or <video>). */
  async predictImage(source) {
    if (!this.imageSize) throw new KilnError("this model scores table rows, not images", { code: "not_an_image" });
    let rgba;
    try {
      rgba = await pixels(source, this.imageSize);
    } catch (e) {
      throw new KilnError(`the picture could not be read: ${e.message || e}`, { code: "not_an_image" });
    }
    return JSON.parse(this.#engine.predict_image(rgba));
  }
}
