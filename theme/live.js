// The book's live experiments. Each <figure class="live"> on a page (the
// `{{#live id}}` directive, tool/live.rs) is driven by the chapter crates
// compiled to WebAssembly (live/src/lib.rs). The module comes as base64 in
// live/wasm.js, loaded with a <script> tag, so that the book also works
// from file://. No framework, nothing fetched from the network.
(function () {
  "use strict";
  const figures = Array.from(document.querySelectorAll("figure.live"));
  if (figures.length === 0) return;

  const SVG = "http://www.w3.org/2000/svg";

  // A translated edition gives each widget its texts (po/<code>/live.po) in
  // data-words: fixed texts by their English, texts the module writes by
  // their template, numbers taken out and put back in order (the rule of
  // tool/translation.rs's template_of). Without a translation, English.
  const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?/g;
  function translator(fig) {
    const words = fig.dataset.words ? JSON.parse(fig.dataset.words) : {};
    return (text) => {
      if (words[text] !== undefined) return words[text];
      const numbers = text.match(NUMBER) || [];
      const template = words[text.replace(NUMBER, "{}")];
      if (template === undefined) return text;
      let k = 0;
      return template.replace(/\{\}/g, () => numbers[k++] ?? "");
    };
  }

  function fail(why) {
    for (const fig of figures) {
      const tr = translator(fig);
      fig.classList.add("failed");
      fig.dataset.state = "failed";
      fig.querySelector(".live-why").textContent =
        tr(why) + " " + tr("This is the book's figure at its settings.");
      fig.querySelector(".live-note").textContent = "";
    }
  }

  // JSON has no NaN or infinities: the module writes them as strings.
  function num(v) { return typeof v === "string" ? Number(v) : v; }

  const SUPER = { "-": "⁻", "0": "⁰", "1": "¹", "2": "²", "3": "³", "4": "⁴", "5": "⁵", "6": "⁶", "7": "⁷", "8": "⁸", "9": "⁹" };
  // Six significant digits, powers of ten written as in the prose.
  function format(v) {
    if (Number.isNaN(v)) return "NaN";
    if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a >= 1e6 && Number.isInteger(v) && a < 1e15) return String(v);
    if (a >= 1e5 || a < 1e-3) {
      const [m, e] = v.toExponential(4).split("e");
      const mant = String(Number(m)).replace("-", "−");
      const exp = String(Number(e)).split("").map((c) => SUPER[c]).join("");
      return mant === "1" ? "10" + exp : mant + " × 10" + exp;
    }
    return String(Number(v.toPrecision(6))).replace("-", "−");
  }

  function niceTicks(lo, hi, log) {
    if (log) {
      const ticks = [];
      for (let e = Math.ceil(Math.log10(lo) - 1e-9); e <= Math.floor(Math.log10(hi) + 1e-9); e++) ticks.push(10 ** e);
      const step = Math.ceil(ticks.length / 7);
      return ticks.filter((_, i) => i % step === 0);
    }
    const span = hi - lo, raw = span / 6, mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => span / s <= 7);
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return ticks;
  }

  function el(name, attrs, parent) {
    const e = document.createElementNS(SVG, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    if (parent) parent.appendChild(e);
    return e;
  }

  // The width of a 12px label, roughly: a Chinese character is a full em,
  // other characters about half of one.
  const WIDE = /[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]/;
  function textWidth(text) {
    let w = 0;
    for (const c of text) w += WIDE.test(c) ? 12 : 6.5;
    return w;
  }

  function draw(fig, series) {
    const chart = fig.querySelector(".live-chart");
    // Drawn at the width it is shown (text stays 12px on a phone), the
    // legend wrapped into as many rows as it needs.
    const W = Math.round(Math.min(720, Math.max(300, chart.clientWidth || 640)));
    const keys = [];
    let kx = 64, row = 0;
    series.forEach((s, i) => {
      if (s.points.length === 0) return;
      const width = 34 + textWidth(s.label);
      if (kx + width > W && kx > 64) { kx = 64; row += 1; }
      keys.push({ s, i, x: kx, y: 14 + 18 * row });
      kx += width;
    });
    const M = { left: 64, right: 16, top: 30 + 18 * row, bottom: 44 };
    const H = Math.round(Math.max(240, W * 0.45)) + 18 * row;
    const logX = fig.dataset.logX === "true", logY = fig.dataset.logY === "true";
    const pts = series.flatMap((s) => s.points);
    if (pts.length === 0) { chart.replaceChildren(); return; }
    const range = (k, log) => {
      let lo = Math.min(...pts.map((p) => p[k])), hi = Math.max(...pts.map((p) => p[k]));
      if (log) { lo = Math.log10(lo); hi = Math.log10(hi); }
      if (hi - lo < 1e-12) { lo -= 0.5; hi += 0.5; }
      const pad = log ? 0 : 0.04 * (hi - lo);
      return log ? [10 ** lo, 10 ** hi] : [lo - pad, hi + pad];
    };
    const [x0, x1] = range(0, logX), [y0, y1] = range(1, logY);
    const t = (v, lo, hi, log) => log ? (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo)) : (v - lo) / (hi - lo);
    const X = (v) => M.left + t(v, x0, x1, logX) * (W - M.left - M.right);
    const Y = (v) => H - M.bottom - t(v, y0, y1, logY) * (H - M.top - M.bottom);
    const svg = el("svg", { viewBox: `0 0 ${W} ${H}`, class: "live-svg", "aria-hidden": "true" });
    const axes = el("g", { class: "live-axes" }, svg);
    for (const v of niceTicks(x0, x1, logX)) {
      el("line", { x1: X(v), x2: X(v), y1: M.top, y2: H - M.bottom, class: "live-grid" }, axes);
      el("text", { x: X(v), y: H - M.bottom + 16, "text-anchor": "middle" }, axes).textContent = format(v);
    }
    for (const v of niceTicks(y0, y1, logY)) {
      el("line", { x1: M.left, x2: W - M.right, y1: Y(v), y2: Y(v), class: "live-grid" }, axes);
      el("text", { x: M.left - 6, y: Y(v) + 4, "text-anchor": "end" }, axes).textContent = format(v);
    }
    el("rect", { x: M.left, y: M.top, width: W - M.left - M.right, height: H - M.top - M.bottom, class: "live-frame" }, axes);
    el("text", { x: (M.left + W - M.right) / 2, y: H - 8, "text-anchor": "middle" }, axes).textContent = chart.dataset.xLabel;
    el("text", { x: 14, y: (M.top + H - M.bottom) / 2, "text-anchor": "middle", transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, axes).textContent = chart.dataset.yLabel;
    series.forEach((s, i) => {
      const g = el("g", { class: `live-series live-s${i % 6} live-${s.style}` }, svg);
      if (s.style === "dots") {
        for (const [x, y] of s.points) el("circle", { cx: X(x), cy: Y(y), r: 3 }, g);
      } else if (s.points.length > 0) {
        el("path", { d: s.points.map(([x, y], j) => `${j ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join("") }, g);
      }
    });
    for (const { s, i, x, y } of keys) {
      const key = el("g", { class: `live-key live-s${i % 6} live-${s.style}` }, svg);
      if (s.style === "dots") el("circle", { cx: x + 9, cy: y, r: 3 }, key);
      else el("path", { d: `M${x},${y}h18` }, key);
      el("text", { x: x + 24, y: y + 4 }, key).textContent = s.label;
    }
    chart.replaceChildren(svg);
  }

  function start(exports) {
    const decoder = new TextDecoder();
    const answer = (len) => {
      const bytes = new Uint8Array(exports.memory.buffer, exports.live_output(), len);
      return JSON.parse(decoder.decode(bytes));
    };
    for (const fig of figures) {
      const index = Number(fig.dataset.index);
      const inputs = Array.from(fig.querySelectorAll(".live-controls input, .live-controls select"));
      const readouts = Array.from(fig.querySelectorAll(".live-readouts dd"));
      const note = fig.querySelector(".live-note");
      const tr = translator(fig);
      let generation = 0, pending = false;
      const atBook = () => inputs.every((i) => Number(i.value) === Number(i.dataset.book));
      const show = (frame, started, first) => {
        if (frame.error) {
          note.textContent = frame.error;
          fig.dataset.state = "error";
          return;
        }
        draw(fig, frame.series.map((s) => {
          const p = [];
          for (let k = 0; k < s.points.length; k += 2) p.push([num(s.points[k]), num(s.points[k + 1])]);
          return { label: tr(s.label), style: s.style, points: p };
        }));
        const book = atBook();
        frame.values.forEach((raw, k) => {
          const v = num(raw), dd = readouts[k];
          dd.dataset.value = String(v);
          dd.textContent = format(v);
          if (book && dd.dataset.claim) {
            const mark = document.createElement("a");
            mark.className = "claim-mark";
            mark.href = dd.dataset.ledger;
            mark.textContent = "✓";
            mark.title = tr("The book's claim {id}, checked by cargo test").replace("{id}", dd.dataset.claim);
            mark.setAttribute("aria-label", tr("claim {id} in the ledger").replace("{id}", dd.dataset.claim));
            dd.appendChild(mark);
          }
        });
        note.textContent = tr(frame.note);
        // How long the reader waited for the first frame after a change
        // (the browser suite reports it).
        if (first) fig.dataset.firstMs = (performance.now() - started).toFixed(1);
        fig.dataset.state = frame.done ? "done" : "running";
      };
      // A trap in the module (a bug) stops this widget with a note, not
      // the page.
      const guarded = (f) => {
        try { return f(); } catch (e) {
          note.textContent = tr("The experiment stopped: {error}.").replace("{error}", e);
          fig.dataset.state = "error";
          return null;
        }
      };
      const run = () => {
        const mine = ++generation, started = performance.now();
        const v = inputs.map((i) => Number(i.value));
        while (v.length < 4) v.push(0);
        let frame = guarded(() => answer(exports.live_start(index, v[0], v[1], v[2], v[3])));
        if (!frame) return;
        fig.dataset.runs = String(Number(fig.dataset.runs || 0) + 1);
        show(frame, started, true);
        const step = () => {
          if (mine !== generation || frame.error || frame.done) return;
          frame = guarded(() => answer(exports.live_advance(index)));
          if (!frame) return;
          show(frame, started, false);
          requestAnimationFrame(step);
        };
        requestAnimationFrame(step);
      };
      // Coalesce a slider's burst of events into one run per frame.
      const schedule = () => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => { pending = false; run(); });
      };
      for (const input of inputs) {
        const output = input.parentElement.querySelector("output");
        input.disabled = false;
        input.addEventListener("input", () => {
          if (output) output.textContent = input.value;
          fig.dataset.state = "pending";
          schedule();
        });
      }
      const reset = fig.querySelector(".live-reset");
      reset.disabled = false;
      reset.addEventListener("click", () => {
        for (const input of inputs) {
          input.value = input.dataset.book;
          const output = input.parentElement.querySelector("output");
          if (output) output.textContent = input.value;
        }
        fig.dataset.state = "pending";
        schedule();
      });
      fig.classList.add("ready");
      run();
    }
  }

  const script = document.createElement("script");
  script.src = figures[0].dataset.glue;
  script.onerror = () => fail("The live experiments' module (live/wasm.js) is missing from this copy of the book.");
  script.onload = () => {
    if (typeof window.blackBoxLive !== "string") {
      fail("This copy of the book was built without its live experiments (run `cargo run --release` with the wasm32-unknown-unknown target).");
      return;
    }
    if (typeof WebAssembly !== "object") {
      fail("This browser does not run WebAssembly.");
      return;
    }
    const bytes = Uint8Array.from(atob(window.blackBoxLive), (c) => c.charCodeAt(0));
    WebAssembly.instantiate(bytes, {})
      .then(({ instance }) => start(instance.exports))
      .catch((e) => fail(`The live experiments could not start (${e}).`));
  };
  document.head.appendChild(script);
})();
