// Kiln embed loader: defines <kiln-predict> and window.Kiln.load.
//
//   <script src="https://your-kiln-server/embed.js"></script>
//   <kiln-predict model="https://your-kiln-server/api/public/models/alice/iris/production"
//                 theme="dark" fields="petal_length,petal_width"
//                 labels='{"petal_length": "Petal length (cm)"}' explain="3"></kiln-predict>
//
// Attributes: model (the artifact's URL: a fixed version, or a stage such as .../production),
// theme (light, dark or auto), fields (comma-separated inputs to show; the others keep their
// training default), labels (JSON object of field or target name to the text shown), explain
// (how many top contributing features to show, 0 by default). The form predicts as soon as it
// appears and again on every change, in the visitor's browser (kiln.js and its wasm engine,
// loaded from beside this file). Events, bubbling and composed: kiln-ready {target, task,
// schema}, kiln-prediction {label, value, probabilities, row, contributions?}, kiln-error
// {code, message, field?}. Styles live in the element's shadow root (a constructed
// stylesheet, so a strict style-src needs no exception); colours follow --kiln-accent,
// --kiln-background and --kiln-text when the host sets them.
(() => {
  if (window.customElements && customElements.get("kiln-predict")) return;
  const script = document.currentScript;
  const base = new URL(".", script ? script.src : location.href);
  let api;
  const kiln = () => (api ??= import(new URL("kiln.js", base).href));
  const load = async (url, options) => (await kiln()).load(url, options);

  const css = `
    :host { display: block; max-width: 30rem; }
    :host([hidden]) { display: none; }
    .kiln { all: initial; display: block; box-sizing: border-box; font: 14px/1.45 system-ui, sans-serif;
      color: var(--kiln-text, #111); background: var(--kiln-background, #fff); border: 1px solid var(--kiln-border, #ccd);
      border-radius: 8px; padding: 1rem; }
    .kiln.dark { color: var(--kiln-text, #eee); background: var(--kiln-background, #1c1f26); border-color: var(--kiln-border, #3a4150); }
    @media (prefers-color-scheme: dark) {
      .kiln.auto { color: var(--kiln-text, #eee); background: var(--kiln-background, #1c1f26); border-color: var(--kiln-border, #3a4150); }
    }
    .kiln * { box-sizing: border-box; font: inherit; color: inherit; margin: 0; letter-spacing: normal; text-transform: none; }
    form { display: grid; gap: .55rem; }
    label { display: grid; grid-template-columns: minmax(6rem, 40%) 1fr; align-items: center; gap: .5rem; }
    input, select, button { display: block; width: 100%; padding: .3rem .45rem; border: 1px solid currentColor; border-radius: 5px;
      background: transparent; min-height: 2rem; opacity: 1; visibility: visible; }
    select option { color: #111; background: #fff; }
    input[aria-invalid="true"] { border-color: #dc2626; }
    .hint { grid-column: 2; font-size: 12px; opacity: .75; }
    .warn { color: #b45309; }
    .result { font-weight: 600; font-size: 16px; }
    .error { color: #dc2626; font-weight: 400; font-size: 14px; }
    .bars { display: grid; gap: .2rem; font-size: 13px; }
    .bar { display: grid; grid-template-columns: minmax(5rem, 35%) 1fr 3.5rem; gap: .4rem; align-items: center; }
    .bar .track { height: .55rem; border-radius: 3px; background: color-mix(in srgb, currentColor 15%, transparent); overflow: hidden; }
    .bar .fill { height: 100%; background: var(--kiln-accent, #2563eb); }
    .bar .pct { text-align: right; font-variant-numeric: tabular-nums; }
    .why { font-size: 13px; display: grid; gap: .15rem; }
    .why li { list-style: none; }
    .camera { display: grid; gap: .4rem; }
    video, img.preview { max-width: 12rem; border-radius: 6px; }
    button.camera-button { background: var(--kiln-accent, #2563eb); color: #fff; border: 0; cursor: pointer; }
    .brand { font-size: 11px; opacity: .65; }`;
  let sheet;
  function styles() {
    if (!sheet) {
      sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
    }
    return [sheet];
  }

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k.startsWith("data-") || k.startsWith("aria-") || k === "role") node.setAttribute(k, v);
      else node[k] = v;
    }
    node.append(...children);
    return node;
  }

  const percent = (p) => `${(p * 100).toFixed(1)}%`;
  const isoDate = /^\d{4}-\d{2}-\d{2}$/;

  class KilnPredict extends HTMLElement {
    static get observedAttributes() {
      return ["model", "theme", "fields", "labels", "explain"];
    }

    connectedCallback() {
      this.connected = true;
      this.show();
    }

    disconnectedCallback() {
      this.connected = false;
      this.ticket = (this.ticket || 0) + 1;
      this.stopCamera();
    }

    attributeChangedCallback(name, oldValue, newValue) {
      // Before the first connection (an element upgraded in place gets one call per
      // attribute) there is nothing to update: connectedCallback shows the model once.
      if (!this.connected || oldValue === newValue) return;
      if (name === "model" || !this.model) this.show();
      else this.render(this.model);
    }

    emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
    }

    frame() {
      const root = this.shadowRoot || this.attachShadow({ mode: "open" });
      root.adoptedStyleSheets = styles();
      const theme = ["dark", "auto"].includes(this.getAttribute("theme")) ? this.getAttribute("theme") : "light";
      const box = el("div", { className: `kiln ${theme}`, "data-theme": theme });
      root.replaceChildren(box);
      return box;
    }

    labels() {
      try {
        const parsed = JSON.parse(this.getAttribute("labels") || "{}");
        return parsed && typeof parsed === "object" ? parsed : {};
      } catch {
        return {};
      }
    }

    async show() {
      this.stopCamera();
      const url = this.getAttribute("model");
      // Only the latest request may render (the attribute can change while one loads).
      const ticket = (this.ticket = (this.ticket || 0) + 1);
      this.model = null;
      const box = this.frame();
      if (!url) {
        box.append(el("p", { className: "error", "data-testid": "kiln-error", textContent: 'kiln-predict needs a model="URL" attribute.' }));
        return;
      }
      box.append(el("p", { "data-testid": "kiln-loading", textContent: "Loading model…" }));
      let model;
      try {
        model = await load(url);
      } catch (e) {
        if (ticket !== this.ticket) return;
        const message = `Kiln could not load the model: ${e.message || e}`;
        this.frame().append(el("p", { className: "error", "data-testid": "kiln-error", role: "alert", textContent: message }));
        this.emit("kiln-error", { code: e.code || "fetch", message });
        return;
      }
      if (ticket !== this.ticket) return;
      this.model = model;
      this.emit("kiln-ready", { target: model.target, task: model.task, schema: model.schema, classes: model.classes });
      this.render(model);
    }

    render(model) {
      this.stopCamera();
      const box = this.frame();
      const labels = this.labels();
      const wanted = (this.getAttribute("fields") || "").split(",").map((f) => f.trim()).filter(Boolean);
      const shown = wanted.length ? model.schema.filter((f) => wanted.includes(f.name)) : model.schema;
      const form = el("form", { "data-testid": "kiln-form", noValidate: true });
      const controls = new Map();
      for (const field of shown) {
        const control = this.control(field);
        control.name = field.name;
        control.setAttribute("data-testid", `kiln-input-${field.name}`);
        const label = el("label", {}, el("span", { textContent: labels[field.name] || field.name }), control);
        const hint = el("span", { className: "hint", "data-testid": `kiln-hint-${field.name}` });
        if (field.numeric && field.kind !== "datetime" && field.min != null && field.max != null) {
          hint.dataset.range = `${field.min} to ${field.max}`;
          hint.textContent = `Seen in training: ${field.min} to ${field.max}`;
        }
        label.append(hint);
        form.append(label);
        controls.set(field.name, { control, hint, field });
      }
      const out = el("div", { className: "result", "data-testid": "kiln-result", "aria-live": "polite" });
      form.append(out);
      if (model.imageSize) form.prepend(this.imagePicker(model, out));
      form.append(el("p", { className: "brand", textContent: "Computed in your browser by Kiln." }));
      form.addEventListener("submit", (ev) => ev.preventDefault());
      box.append(form);
      if (model.imageSize) return;
      const row = () => {
        const values = {};
        for (const field of model.schema) {
          const shownField = controls.get(field.name);
          values[field.name] = shownField ? shownField.control.value : field.default;
        }
        return values;
      };
      let timer;
      const run = () => {
        clearTimeout(timer);
        this.predict(model, row(), out, controls, labels);
      };
      form.addEventListener("change", run);
      form.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(run, 150);
      });
      run();
    }

    control(field) {
      if (!field.numeric && field.categories.length > 0) {
        const select = el("select");
        for (const c of field.categories) select.add(new Option(c, c, false, c === field.default));
        return select;
      }
      if (field.kind === "datetime" && isoDate.test(field.default)) return el("input", { type: "date", value: field.default });
      if (field.numeric && field.kind !== "datetime") return el("input", { type: "number", step: "any", value: field.default });
      return el("input", { type: "text", value: field.default });
    }

    predict(model, row, out, controls, labels) {
      for (const { control, hint, field } of controls.values()) {
        control.removeAttribute("aria-invalid");
        const v = Number(control.value);
        const outside = control.value !== "" && hint.dataset.range && (v < field.min || v > field.max);
        hint.classList.toggle("warn", Boolean(outside));
        if (hint.dataset.range) {
          hint.textContent = outside
            ? `Outside what the model saw in training (${hint.dataset.range}): treat this prediction with care`
            : `Seen in training: ${hint.dataset.range}`;
        }
      }
      let prediction;
      try {
        prediction = model.predict(row);
      } catch (e) {
        const shown = e.field && controls.get(e.field);
        if (shown) shown.control.setAttribute("aria-invalid", "true");
        out.replaceChildren(el("p", { className: "error", "data-testid": "kiln-error", role: "alert", textContent: e.message || String(e) }));
        delete out.dataset.label;
        this.emit("kiln-error", { code: e.code || "error", message: e.message || String(e), field: e.field });
        return;
      }
      const target = labels[model.target] || model.target;
      const top = prediction.probabilities.find(([label]) => label === prediction.label);
      const headline = el("p", { "data-testid": "kiln-answer" });
      if (model.task === "clustering" && prediction.components?.length) {
        headline.textContent = `Components: ${prediction.components.map((c) => c.toFixed(3)).join(", ")}`;
      } else {
        headline.textContent = top ? `${target}: ${prediction.label} (${percent(top[1])})` : `${target}: ${prediction.label}`;
      }
      const parts = [headline];
      if (prediction.probabilities.length) {
        const ranked = [...prediction.probabilities].sort((a, b) => b[1] - a[1]).slice(0, 10);
        const bars = el("div", { className: "bars", "data-testid": "kiln-probabilities" });
        for (const [label, p] of ranked) {
          const fill = el("div", { className: "fill" });
          fill.style.width = percent(p);
          bars.append(el("div", { className: "bar", "data-class": label }, el("span", { textContent: label }), el("div", { className: "track" }, fill), el("span", { className: "pct", textContent: percent(p) })));
        }
        parts.push(bars);
      }
      const detail = { ...prediction, row };
      const count = Number.parseInt(this.getAttribute("explain") || "0", 10);
      if (count > 0) {
        try {
          const why = model.explain(row);
          const index = Math.max(0, why.outputs.indexOf(prediction.label));
          const ranked = why.features
            .map((name, i) => ({ name, value: why.values[index][i] }))
            .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
            .slice(0, count);
          detail.contributions = ranked;
          const list = el("ul", { className: "why", "data-testid": "kiln-contributions" });
          for (const { name, value } of ranked) {
            const sign = value >= 0 ? "+" : "\u2212";
            list.append(el("li", { "data-feature": name, textContent: `${labels[name] || name}: ${sign}${Math.abs(value).toPrecision(3)}` }));
          }
          const output = why.outputs[index];
          const space = why.space === "log_odds" ? "log-odds of " : "";
          parts.push(el("p", { textContent: `What moved ${space}${labels[output] || output} most:` }), list);
        } catch (e) {
          parts.push(el("p", { className: "hint", textContent: `No explanation: ${e.message || e}` }));
        }
      }
      out.replaceChildren(...parts);
      out.dataset.label = prediction.label;
      this.emit("kiln-prediction", detail);
    }

    // An image classifier: the visitor picks a picture or takes one with the camera.
    imagePicker(model, out) {
      const file = el("input", { type: "file", accept: "image/*", "data-testid": "kiln-image-input" });
      const preview = el("img", { className: "preview", alt: "" });
      const classify = (source) => {
        model
          .predictImage(source)
          .then((p) => {
            const top = p.probabilities.find(([label]) => label === p.label);
            out.replaceChildren(el("p", { "data-testid": "kiln-answer", textContent: top ? `${p.label} (${percent(top[1])})` : p.label }));
            out.dataset.label = p.label;
            this.emit("kiln-prediction", p);
          })
          .catch((e) => {
            out.replaceChildren(el("p", { className: "error", "data-testid": "kiln-error", textContent: e.message || String(e) }));
            delete out.dataset.label;
            this.emit("kiln-error", { code: e.code || "error", message: e.message || String(e) });
          });
      };
      file.addEventListener("change", () => {
        const chosen = file.files[0];
        if (!chosen) return;
        URL.revokeObjectURL(preview.src);
        preview.src = URL.createObjectURL(chosen);
        classify(chosen);
      });
      const video = el("video", { muted: true, playsInline: true, hidden: true, "data-testid": "kiln-camera" });
      const start = el("button", { type: "button", className: "camera-button", textContent: "Use the camera", "data-testid": "kiln-camera-start" });
      const snap = el("button", { type: "button", className: "camera-button", textContent: "Classify this frame", hidden: true, "data-testid": "kiln-camera-snap" });
      start.addEventListener("click", async () => {
        const ticket = this.ticket;
        start.disabled = true;
        let stream;
        try {
          stream = await navigator.mediaDevices.getUserMedia({ video: true });
        } catch (e) {
          start.disabled = false;
          out.replaceChildren(el("p", { className: "error", "data-testid": "kiln-error", textContent: `The camera is not available: ${e.message || e}` }));
          return;
        }
        // The element may have been removed or re-rendered while the visitor was asked.
        if (ticket !== this.ticket || !video.isConnected) {
          stream.getTracks().forEach((t) => t.stop());
          return;
        }
        this.stream = stream;
        video.srcObject = stream;
        video.hidden = false;
        snap.hidden = false;
        start.hidden = true;
        video.play().catch(() => {});
      });
      snap.addEventListener("click", () => classify(video));
      return el("div", { className: "camera" }, el("label", {}, el("span", { textContent: "Picture" }), file), preview, start, video, snap);
    }

    stopCamera() {
      this.stream?.getTracks().forEach((t) => t.stop());
      this.stream = null;
    }
  }

  customElements.define("kiln-predict", KilnPredict);
  window.Kiln = Object.assign(window.Kiln || {}, { load });
})();
