// Kiln embed loader: defines <kiln-predict model="URL"> and window.Kiln.
// Include with <script src="https://your-kiln-server/embed.js"></script>. The model is fetched
// from its URL and every prediction is computed in the visitor's browser by Kiln's engine
// (kiln-widget.wasm, loaded from the same place as this script).
(() => {
  if (window.customElements && customElements.get("kiln-predict")) return;
  const script = document.currentScript;
  const base = new URL(".", script ? script.src : location.href);
  let engine;

  function loadEngine() {
    if (!engine) {
      engine = import(new URL("kiln-widget.js", base).href).then(async (m) => {
        await m.default({ module_or_path: new URL("kiln-widget_bg.wasm", base).href });
        return m;
      });
    }
    return engine;
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

  async function load(url) {
    const response = await fetch(url, { mode: "cors" });
    if (!response.ok) throw new Error(`could not fetch the model (${response.status})`);
    const text = await response.text();
    const m = await loadEngine();
    const model = m.Model.load(text);
    const imageSize = model.image_size();
    return {
      target: model.target(),
      schema: imageSize ? [] : JSON.parse(model.schema()),
      imageSize,
      predict: (row) => JSON.parse(model.predict(JSON.stringify(row))),
      explain: (row) => JSON.parse(model.explain(JSON.stringify(row))),
      predictImage: async (source) => {
        if (!imageSize) throw new Error("this model scores table rows, not images");
        return JSON.parse(model.predict_image(await pixels(source, imageSize)));
      },
    };
  }

  const style = `
    :host { display: block; font: 14px/1.4 system-ui, sans-serif; color: #111; max-width: 28rem; }
    form { display: grid; gap: .5rem; border: 1px solid #ccd; border-radius: 8px; padding: 1rem; background: #fff; }
    label { display: grid; grid-template-columns: 10rem 1fr; align-items: center; gap: .5rem; }
    input, select { font: inherit; padding: .25rem .4rem; }
    button { font: inherit; padding: .4rem .8rem; background: #2563eb; color: #fff; border: 0; border-radius: 6px; cursor: pointer; }
    .result { font-weight: 600; } .error { color: #b91c1c; }
    .brand { font-size: 12px; color: #555; }`;

  class KilnPredict extends HTMLElement {
    static get observedAttributes() {
      return ["model"];
    }

    connectedCallback() {
      this.show();
    }

    attributeChangedCallback(name, oldValue, newValue) {
      if (this.isConnected && oldValue !== newValue) this.show();
    }

    async show() {
      const root = this.shadowRoot || this.attachShadow({ mode: "open" });
      const url = this.getAttribute("model");
      // Only the latest request may render (the attribute can change while one loads).
      const ticket = (this.ticket = (this.ticket || 0) + 1);
      root.innerHTML = `<style>${style}</style><p data-testid="kiln-loading">Loading model…</p>`;
      if (!url) {
        root.innerHTML = `<style>${style}</style><p class="error" data-testid="kiln-error">kiln-predict needs a model="URL" attribute.</p>`;
        return;
      }
      let model;
      try {
        model = await load(new URL(url, location.href).href);
        if (ticket !== this.ticket) return;
      } catch (e) {
        if (ticket !== this.ticket) return;
        root.innerHTML = `<style>${style}</style><p class="error" data-testid="kiln-error"></p>`;
        root.querySelector(".error").textContent = `Kiln could not load the model: ${e.message || e}`;
        return;
      }
      this.render(root, model);
    }

    // Shows a prediction (or the reason there is none) and tells the host page.
    report(out, run) {
      Promise.resolve()
        .then(run)
        .then((p) => {
          out.className = "result";
          const top = p.probabilities.find(([label]) => label === p.label);
          out.textContent = top ? `${p.label} (${(top[1] * 100).toFixed(1)}%)` : p.label;
          out.dataset.label = p.label;
          this.dispatchEvent(new CustomEvent("kiln-prediction", { detail: p, bubbles: true }));
        })
        .catch((e) => {
          out.className = "result error";
          out.textContent = e.message || String(e);
          delete out.dataset.label;
        });
    }

    render(root, model) {
      root.innerHTML = `<style>${style}</style>`;
      const form = document.createElement("form");
      form.setAttribute("data-testid", "kiln-form");
      for (const field of model.schema) {
        const label = document.createElement("label");
        label.textContent = field.name;
        let control;
        if (field.numeric || field.categories.length === 0) {
          // Numbers, dates (ISO 8601 text) and free values are typed in.
          control = document.createElement("input");
          if (field.numeric) control.inputMode = "decimal";
          control.value = field.default;
        } else {
          control = document.createElement("select");
          for (const c of field.categories) control.add(new Option(c, c));
        }
        control.name = field.name;
        control.setAttribute("data-testid", `kiln-input-${field.name}`);
        label.append(control);
        form.append(label);
      }
      const button = document.createElement("button");
      button.type = "submit";
      button.textContent = `Predict ${model.target}`;
      button.setAttribute("data-testid", "kiln-predict-button");
      const out = document.createElement("p");
      out.className = "result";
      out.setAttribute("data-testid", "kiln-result");
      out.setAttribute("aria-live", "polite");
      const brand = document.createElement("p");
      brand.className = "brand";
      brand.textContent = "Computed in your browser by Kiln.";
      form.append(button, out, brand);
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        const row = Object.fromEntries(new FormData(form).entries());
        this.report(out, () => model.predict(row));
      });
      if (model.imageSize) {
        // An image classifier: the visitor picks a picture; it is classified as soon as chosen.
        const label = document.createElement("label");
        label.textContent = "Image";
        const file = document.createElement("input");
        file.type = "file";
        file.accept = "image/*";
        file.setAttribute("data-testid", "kiln-image-input");
        label.append(file);
        const preview = document.createElement("img");
        preview.alt = "";
        preview.style.maxWidth = "8rem";
        form.prepend(label, preview);
        button.remove();
        file.addEventListener("change", () => {
          const chosen = file.files[0];
          if (!chosen) return;
          URL.revokeObjectURL(preview.src);
          preview.src = URL.createObjectURL(chosen);
          this.report(out, () => model.predictImage(chosen));
        });
      }
      root.append(form);
    }
  }

  customElements.define("kiln-predict", KilnPredict);
  window.Kiln = Object.assign(window.Kiln || {}, { load });
})();
