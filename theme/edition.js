// What a page needs to be read in its edition's language. The build writes
// the language switcher into every page (tool/preprocess.rs); a translated
// edition's switcher carries its interface texts (po/<code>/interface.po)
// in data-words, which this script puts into mdBook's own interface.
(function () {
  "use strict";
  const lang = document.documentElement.lang || "en";
  if (lang === "en") return;

  // Search: the build indexes Chinese as overlapping pairs of characters
  // (tool/search.rs's tokenize); a query is split by the same rule.
  const cjk = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  function tokenize(text) {
    const out = [];
    let word = "", han = [];
    const flushHan = () => {
      if (han.length === 1) out.push(han[0]);
      for (let k = 0; k + 1 < han.length; k++) out.push(han[k] + han[k + 1]);
      han = [];
    };
    for (const c of String(text || "")) {
      if (cjk.test(c)) {
        if (word) { out.push(word); word = ""; }
        han.push(c);
      } else {
        flushHan();
        if (/[\p{L}\p{N}_]/u.test(c)) word += c.toLowerCase();
        else if (word) { out.push(word); word = ""; }
      }
    }
    flushHan();
    if (word) out.push(word);
    return out;
  }
  if (window.elasticlunr) window.elasticlunr.tokenizer = tokenize;

  const nav = document.querySelector(".edition-switch[data-words]");
  if (!nav) return;
  const words = JSON.parse(nav.dataset.words);
  for (const el of document.querySelectorAll("[title], [aria-label], [placeholder]")) {
    for (const attr of ["title", "aria-label", "placeholder"]) {
      const v = el.getAttribute(attr);
      if (v && words[v]) el.setAttribute(attr, words[v]);
    }
  }
  for (const el of document.querySelectorAll("#mdbook-theme-list button, .theme-popup button, #mdbook-help-container h2")) {
    const v = el.textContent.trim();
    if (words[v]) el.textContent = words[v];
  }
  // The search results' header, which searcher.js writes in English.
  const header = document.getElementById("searchresults-header") || document.getElementById("mdbook-searchresults-header");
  if (header) {
    const many = /^(\d+) search results for '(.*)':$/s, none = /^No search results for '(.*)'\.$/s;
    new MutationObserver(() => {
      const text = header.textContent;
      let m;
      if ((m = text.match(many)) && words["{count} search results for '{term}':"]) {
        header.textContent = words["{count} search results for '{term}':"].replace("{count}", m[1]).replace("{term}", m[2]);
      } else if ((m = text.match(none)) && words["No search results for '{term}'."]) {
        header.textContent = words["No search results for '{term}'."].replace("{term}", m[1]);
      }
    }).observe(header, { childList: true, characterData: true, subtree: true });
  }
})();
