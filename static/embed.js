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

  async function load(url) {
    const response = await fetch(url, { mode: "cors" });
    if (!response.ok) throw new Error(`could not fetch the model (${response.status})`);
    const text = await response.text();
    const m = await loadEngine();
    const model = m.Model.load(text);
    return {
      target: model.target(),
      schema: JSON.parse(model.schema()),
      predict: (row) => JSON.parse(model.predict(JSON.stringify(row))),
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
        try {
          const p = model.predict(row);
          out.className = "result";
          out.textContent = p.label;
          this.dispatchEvent(new CustomEvent("kiln-prediction", { detail: p, bubbles: true }));
        } catch (e) {
          out.className = "result error";
          out.textContent = e.message || String(e);
        }
      });
      root.append(form);
    }
  }

  customElements.define("kiln-predict", KilnPredict);
  window.Kiln = Object.assign(window.Kiln || {}, { load });
})();
