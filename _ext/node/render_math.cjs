// Render TeX to SVG at build time, so that a page shows its formulas in the
// first paint and loads no math script.
//
// stdin:  {"macros": {...}, "pages": [{"id": ..., "items": [{"tex", "display"}]}]}
// stdout: {"css": ..., "pages": [{"id", "cache", "items": [html...]}],
//          "errors": [{"id", "tex", "message"}]}
//
// Each page gets its own SVG output with a page-wide glyph cache: a glyph
// used by many formulas is stored once per page and referenced by <use>.
// Every formula carries its MathML (hidden visually) for screen readers.
"use strict";

const { mathjax } = require("mathjax-full/js/mathjax.js");
const { TeX } = require("mathjax-full/js/input/tex.js");
const { SVG } = require("mathjax-full/js/output/svg.js");
const { liteAdaptor } = require("mathjax-full/js/adaptors/liteAdaptor.js");
const { RegisterHTMLHandler } = require("mathjax-full/js/handlers/html.js");
const { AssistiveMmlHandler } = require("mathjax-full/js/a11y/assistive-mml.js");
const { AllPackages } = require("mathjax-full/js/input/tex/AllPackages.js");

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

// "require" and "autoload" load packages at run time in a browser (every
// package is already here); without "noundefined" an unknown macro is an
// error that fails the build instead of red text on the page
const PACKAGES = AllPackages.filter(
  (p) => !["require", "autoload", "noundefined"].includes(p),
);

function renderPage(page, macros, errors) {
  const tex = new TeX({
    packages: PACKAGES,
    macros,
    formatError: (jax, err) => {
      throw err;
    },
  });
  const svg = new SVG({ fontCache: "global" });
  const doc = mathjax.document("", { InputJax: tex, OutputJax: svg });
  const items = page.items.map(({ tex: source, display }) => {
    try {
      const node = doc.convert(source, { display });
      return adaptor.outerHTML(node);
    } catch (err) {
      errors.push({ id: page.id, tex: source, message: String(err.message || err) });
      return "";
    }
  });
  const cache = svg.pageElements(doc);
  return {
    id: page.id,
    items,
    cache: cache ? adaptor.outerHTML(cache) : "",
    css: adaptor.textContent(svg.styleSheet(doc)),
  };
}

function main() {
  const chunks = [];
  process.stdin.on("data", (c) => chunks.push(c));
  process.stdin.on("end", () => {
    const job = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    const errors = [];
    const pages = job.pages.map((p) => renderPage(p, job.macros || {}, errors));
    const css = pages.length ? pages[0].css : "";
    pages.forEach((p) => delete p.css);
    process.stdout.write(JSON.stringify({ css, pages, errors }));
  });
}

main();
