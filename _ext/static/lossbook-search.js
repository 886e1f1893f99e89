// The search page: whole-word matching over the book's sections.
//
// Records come from _static/lossbook-search.json (one per section, glossary
// entry and API entry; see _ext/site_search.py). A record matches when it
// holds every word of the query as a whole word (a plural "s" aside), in
// its title or its text. Matches are ranked in tiers, best first:
//
//   1. a chapter section whose title holds the query as a phrase;
//   2. the glossary entry for the query (its term or the term's initials);
//   3. a chapter section that defines the phrase (in bold);
//   4. a chapter section of a chapter whose title holds the phrase;
//   5. any section holding the phrase in its text (more often is better);
//   6. a record holding every word, though not as a phrase.
//
// Within a tier chapters come before the API reference and other pages,
// then book order. When nothing matches, the page says which words occur
// nowhere and points to the glossary and the contents.
"use strict";

(() => {
  const WORD = /[\p{L}\p{N}]+/gu;

  const normalise = (word) => {
    let w = word.toLowerCase();
    if (w.length > 4 && w.endsWith("ies")) return w.slice(0, -3) + "y";
    if (w.length > 3 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) {
      return w.slice(0, -1);
    }
    return w;
  };

  const tokens = (text) => (text.normalize("NFKC").match(WORD) || []).map(normalise);

  const countPhrase = (haystack, phrase) => {
    if (!phrase.length) return 0;
    let count = 0;
    for (let i = 0; i + phrase.length <= haystack.length; i++) {
      let hit = true;
      for (let j = 0; j < phrase.length; j++) {
        if (haystack[i + j] !== phrase[j]) {
          hit = false;
          break;
        }
      }
      if (hit) count++;
    }
    return count;
  };

  const KIND_PENALTY = { chapter: 0, glossary: 0, api: 300, "api-page": 300, page: 200 };

  const prepare = (records) =>
    records.map((r) => {
      const title = tokens(r.t.replace(/^[\d.]+\s*/, ""));
      const text = tokens(r.x);
      const words = new Set([...title, ...text]);
      return {
        ...r,
        title,
        text,
        page: tokens(r.p.replace(/^[\d.]+\s*/, "")),
        bold: (r.b || []).map(tokens),
        names: [title, ...(r.a || []).map(tokens)],
        words,
      };
    });

  // the query's phrase, plus the full term of any glossary entry the query
  // names by its initials
  const alternatives = (query, records) => {
    const alts = [query];
    for (const r of records) {
      if (r.k !== "glossary") continue;
      for (const name of r.names.slice(1)) {
        if (name.join(" ") === query.join(" ")) alts.push(r.title);
      }
    }
    return alts;
  };

  const scoreFor = (r, phrase) => {
    if (!phrase.every((w) => r.words.has(w))) return -1;
    const exactName = r.names.some((n) => n.join(" ") === phrase.join(" "));
    const inTitle = countPhrase(r.title, phrase) > 0;
    const inText = countPhrase(r.text, phrase);
    let score;
    if (r.k !== "glossary" && inTitle) {
      score = 1000 + (exactName ? 50 : 0);
    } else if (r.k === "glossary" && exactName) {
      score = 900;
    } else if (r.k === "glossary" && inTitle) {
      score = 850;
    } else if (r.bold.some((b) => countPhrase(b, phrase) > 0)) {
      score = 700;
    } else if (inText && countPhrase(r.page, phrase) > 0) {
      score = 600 + Math.min(inText, 20);
    } else if (inText) {
      score = 400 + 5 * Math.min(inText, 20);
    } else {
      score = 100;
    }
    return score - (KIND_PENALTY[r.k] || 0);
  };

  const search = (records, queryText) => {
    const query = tokens(queryText);
    if (!query.length) return { query, results: [], missing: [] };
    const alts = alternatives(query, records);
    const results = [];
    for (const r of records) {
      const score = Math.max(...alts.map((a) => scoreFor(r, a)));
      if (score >= 0) results.push({ record: r, score });
    }
    results.sort((a, b) => b.score - a.score || a.record.o - b.record.o);
    const missing = query.filter((w) => !records.some((r) => r.words.has(w)));
    return { query, results, missing };
  };

  const escapeHtml = (s) =>
    s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);

  // about 220 characters of the record's text around the first hit of a
  // query word, with the query's words marked
  const preview = (record, query) => {
    const text = record.x || "";
    if (!text) return "";
    const words = new Set(query);
    const matches = [];
    for (const m of text.matchAll(WORD)) {
      if (words.has(normalise(m[0]))) matches.push([m.index, m.index + m[0].length]);
    }
    const first = matches.length ? matches[0][0] : 0;
    let start = Math.max(0, first - 80);
    if (start > 0) {
      const space = text.indexOf(" ", start);
      start = space >= 0 && space < first ? space + 1 : start;
    }
    let end = Math.min(text.length, start + 220);
    const space = text.lastIndexOf(" ", end);
    if (end < text.length && space > first) end = space;
    let html = "";
    let pos = start;
    for (const [a, b] of matches) {
      if (a < start || b > end) continue;
      html += escapeHtml(text.slice(pos, a)) + "<mark>" + escapeHtml(text.slice(a, b)) + "</mark>";
      pos = b;
    }
    html += escapeHtml(text.slice(pos, end));
    return (start > 0 ? "… " : "") + html + (end < text.length ? " …" : "");
  };

  const KIND_LABEL = { chapter: "Chapter", glossary: "Glossary", api: "API reference", "api-page": "API reference", page: "Page" };

  const render = (container, status, root, queryText, found) => {
    const { results, missing } = found;
    container.innerHTML = "";
    const quoted = `“${escapeHtml(queryText.trim())}”`;
    if (!queryText.trim()) {
      status.innerHTML = "Type one or more words; every word must appear in a section for it to match.";
      return;
    }
    if (!results.length) {
      const nowhere = missing.length
        ? ` The book never uses ${missing.map((w) => `“${escapeHtml(w)}”`).join(", ")} as a word.`
        : " Its words occur, but never together in one section: try fewer words.";
      status.innerHTML =
        `No section matches ${quoted}.${nowhere} ` +
        `Check the spelling, try a broader word, or browse the ` +
        `<a href="${root}reference/glossary.html">glossary</a> and the ` +
        `<a href="${root}intro.html">table of contents</a>.`;
      return;
    }
    status.textContent = "";
    status.insertAdjacentHTML(
      "beforeend",
      `${results.length} ${results.length === 1 ? "section matches" : "sections match"} ${quoted}.`,
    );
    const list = document.createElement("ul");
    list.className = "search lb-results";
    for (const { record } of results.slice(0, 50)) {
      const item = document.createElement("li");
      const where = record.k === "chapter" || record.t === record.p ? record.p : `${record.p}`;
      item.innerHTML =
        `<a href="${root}${record.u}">${escapeHtml(record.t)}</a>` +
        `<p class="lb-where">${escapeHtml(KIND_LABEL[record.k] || "Page")} · ${escapeHtml(where)}</p>` +
        `<p class="lb-preview">${preview(record, found.query)}</p>`;
      list.appendChild(item);
    }
    container.appendChild(list);
  };

  const start = async () => {
    const container = document.getElementById("search-results");
    if (!container) return;
    const root = document.documentElement.dataset.content_root || "";
    const status = document.createElement("p");
    status.id = "lb-search-status";
    status.setAttribute("role", "status");
    container.before(status);
    const params = new URLSearchParams(window.location.search);
    const queryText = params.get("q") || "";
    document.querySelectorAll('.bd-search-container input[name="q"]').forEach((input) => {
      input.value = queryText;
    });
    status.textContent = queryText ? "Searching…" : "";
    const response = await fetch(`${root}_static/lossbook-search.json`);
    const records = prepare((await response.json()).records);
    const found = search(records, queryText);
    render(container, status, root, queryText, found);
    window.lossbookSearch = (q) => search(records, q);
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
