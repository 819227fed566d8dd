// The iframe form of <kiln-predict> (embed.html): the query string's parameters become the
// element's attributes, and its events reach the embedding page as messages
// ({source: "kiln", type: "kiln-prediction" | "kiln-error" | "kiln-ready" | "kiln-resize",
// detail}), so a host that allows no scripts of ours still gets a working form.
(() => {
  const params = new URLSearchParams(location.search);
  const element = document.createElement("kiln-predict");
  for (const name of ["model", "theme", "fields", "labels", "explain"]) {
    const value = params.get(name);
    if (value !== null) element.setAttribute(name, value);
  }
  const tell = (type, detail) => {
    if (window.parent !== window) window.parent.postMessage({ source: "kiln", type, detail }, "*");
  };
  for (const type of ["kiln-ready", "kiln-prediction", "kiln-error"]) {
    element.addEventListener(type, (ev) => tell(type, ev.detail));
  }
  const start = () => {
    document.body.append(element);
    new ResizeObserver(() => tell("kiln-resize", { height: Math.ceil(document.documentElement.scrollHeight) })).observe(document.body);
  };
  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
