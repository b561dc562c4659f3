/* Gradient-flow explorer: reads the grid vgdocs computed at build time (assets/explorer-grid.json),
   draws the per-layer gradient norms as SVG, keeps its state in the URL hash. Plain JavaScript;
   starts on Material's document$ so instant navigation works. */
(function () {
  "use strict";
  var B36 = "0123456789abcdefghijklmnopqrstuvwxyz", NS = "http://www.w3.org/2000/svg";
  var DEFAULT = { act: "relu", init: "he", depth: 20, norm: "none", res: "plain", sw: "2", hist: "first" };
  var cache = {};

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function svg(tag, attrs) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function key(s) {
    var init = s.init === "custom" ? "sw" + s.sw : s.init;
    return "activation=" + s.act + ",init=" + init + ",depth=" + s.depth + ",norm=" + s.norm + ",residual=" + s.res;
  }
  function readHash(data) {
    var s = Object.assign({}, DEFAULT), h = location.hash.replace(/^#/, "");
    h.split("&").forEach(function (kv) {
      var p = kv.split("="), k = p[0], v = decodeURIComponent(p[1] || "");
      if (k in s) s[k] = k === "depth" ? parseInt(v, 10) : v;
    });
    if (!(s.act in data.activations)) s.act = DEFAULT.act;
    if (!(s.init in data.inits) && s.init !== "custom") s.init = DEFAULT.init;
    if (!(("sw" + s.sw) in data.sigma_w2)) s.sw = DEFAULT.sw;
    if (data.depths.indexOf(s.depth) < 0) s.depth = DEFAULT.depth;
    if (["none", "layer"].indexOf(s.norm) < 0) s.norm = "none";
    if (["plain", "residual"].indexOf(s.res) < 0) s.res = "plain";
    if (["first", "middle", "last"].indexOf(s.hist) < 0) s.hist = "first";
    return s;
  }
  function writeHash(s) {
    var h = "#act=" + s.act + "&init=" + s.init + "&sw=" + s.sw + "&depth=" + s.depth + "&norm=" + s.norm +
      "&res=" + s.res + "&hist=" + s.hist;
    if (location.hash !== h) history.pushState(null, "", h);
  }
  function profile(cell, step) {
    var out = [], acc = 0;
    if (cell.a) return cell.a.map(function (v) { return v === null ? NaN : v * step; });
    cell.d.forEach(function (v) { acc += v; out.push(acc * step); });
    return out;
  }
  function controls(root, data) {
    var form = el("form", { "class": "vg-explorer-controls", "aria-label": "Network configuration" });
    function select(name, label, options) {
      var id = "vg-x-" + name, wrap = el("div", { "class": "vg-x-field" });
      wrap.appendChild(el("label", { "for": id }, label));
      var s = el("select", { id: id, name: name });
      options.forEach(function (o) { s.appendChild(el("option", { value: o[0] }, o[1])); });
      wrap.appendChild(s); form.appendChild(wrap);
      return s;
    }
    function check(name, label) {
      var id = "vg-x-" + name, wrap = el("div", { "class": "vg-x-field" });
      var c = el("input", { type: "checkbox", id: id, name: name });
      wrap.appendChild(c); wrap.appendChild(el("label", { "for": id }, label)); form.appendChild(wrap);
      return c;
    }
    var c = {};
    c.act = select("act", "Activation", Object.keys(data.activations).map(function (k) { return [k, data.activations[k]]; }));
    c.init = select("init", "Initialisation", Object.keys(data.inits).map(function (k) { return [k, data.inits[k]]; })
      .concat([["custom", "Normal, σ_w² from the slider"]]));
    var sws = Object.keys(data.sigma_w2).map(function (k) { return k.slice(2); });
    var wrap = el("div", { "class": "vg-x-field" });
    wrap.appendChild(el("label", { "for": "vg-x-sw" }, "σ_w² (weight variance × fan-in)"));
    c.sw = el("input", { type: "range", id: "vg-x-sw", name: "sw", min: "0", max: String(sws.length - 1), step: "1" });
    c.swOut = el("output", { "for": "vg-x-sw" });
    wrap.appendChild(c.sw); wrap.appendChild(c.swOut); form.appendChild(wrap);
    c.sws = sws;
    wrap = el("div", { "class": "vg-x-field" });
    wrap.appendChild(el("label", { "for": "vg-x-depth" }, "Depth (hidden layers)"));
    c.depth = el("input", { type: "range", id: "vg-x-depth", name: "depth", min: "0", max: String(data.depths.length - 1), step: "1" });
    c.depthOut = el("output", { "for": "vg-x-depth" });
    wrap.appendChild(c.depth); wrap.appendChild(c.depthOut); form.appendChild(wrap);
    c.norm = check("norm", "Layer normalisation");
    c.res = check("res", "Residual connections");
    c.hist = select("hist", "Histogram of layer", [["first", "First hidden layer"], ["middle", "Middle hidden layer"], ["last", "Last hidden layer"]]);
    root.appendChild(form);
    return c;
  }
  function plot(box, logs, lo, hi, pred, depth) {
    var W = 640, H = 300, L = 64, R = 16, T = 16, Bm = 44;
    var all = logs.concat(lo, hi, pred).filter(Number.isFinite);
    var ymin = Math.floor(Math.min.apply(null, all.length ? all : [0])), ymax = Math.ceil(Math.max.apply(null, all.length ? all : [1]));
    if (ymax === ymin) ymax = ymin + 1;
    var x = function (i) { return L + (depth === 1 ? 0 : i * (W - L - R) / (depth - 1)); };
    var y = function (v) { return T + (ymax - v) * (H - T - Bm) / (ymax - ymin); };
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-labelledby": "vg-x-plot-title", "class": "vg-x-plot" });
    var title = svg("title", { id: "vg-x-plot-title" }); title.textContent = "Gradient norm per layer, log scale"; s.appendChild(title);
    var stepY = Math.max(1, Math.ceil((ymax - ymin) / 8));
    for (var d = ymin; d <= ymax; d += stepY) {
      s.appendChild(svg("line", { x1: L, x2: W - R, y1: y(d), y2: y(d), "class": "vg-x-grid" }));
      var t = svg("text", { x: L - 6, y: y(d) + 4, "text-anchor": "end" }); t.textContent = "1e" + d; s.appendChild(t);
    }
    [1, Math.ceil(depth / 2), depth].forEach(function (l) {
      var t = svg("text", { x: x(l - 1), y: H - Bm + 16, "text-anchor": "middle" }); t.textContent = String(l); s.appendChild(t);
    });
    var xl = svg("text", { x: (L + W - R) / 2, y: H - 8, "text-anchor": "middle" }); xl.textContent = "layer (input side first)"; s.appendChild(xl);
    function path(vals, cls) {
      var dd = "", pen = false;
      vals.forEach(function (v, i) {
        if (!Number.isFinite(v)) { pen = false; return; }
        dd += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); pen = true;
      });
      if (dd) s.appendChild(svg("path", { d: dd, "class": cls }));
    }
    var band = "";
    hi.forEach(function (v, i) { if (Number.isFinite(v)) band += (band ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1); });
    for (var i = lo.length - 1; i >= 0; i--) if (Number.isFinite(lo[i])) band += "L" + x(i).toFixed(1) + " " + y(lo[i]).toFixed(1);
    if (band) s.appendChild(svg("path", { d: band + "Z", "class": "vg-x-band" }));
    path(pred, "vg-x-theory");
    path(logs, "vg-x-median");
    box.replaceChildren(s);
  }
  function histogram(box, h, label) {
    if (!h) { box.replaceChildren(el("p", {}, "No finite activations in " + label + " (the forward pass overflowed).")); return; }
    var W = 320, H = 140, n = h[2].length, bw = (W - 20) / n;
    var s = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "Histogram of the activations of the " + label + ", from " + h[0] + " to " + h[1] });
    for (var i = 0; i < n; i++) {
      var v = B36.indexOf(h[2][i]) / 35, bh = v * (H - 30);
      s.appendChild(svg("rect", { x: 10 + i * bw, y: H - 20 - bh, width: bw - 1, height: bh, "class": "vg-x-bar" }));
    }
    var a = svg("text", { x: 10, y: H - 4 }); a.textContent = vgDiagnose.fmtG(h[0], 3); s.appendChild(a);
    var b = svg("text", { x: W - 10, y: H - 4, "text-anchor": "end" }); b.textContent = vgDiagnose.fmtG(h[1], 3); s.appendChild(b);
    box.replaceChildren(s);
  }
  function render(root, data, c, s, ui) {
    c.act.value = s.act; c.init.value = s.init; c.hist.value = s.hist;
    c.norm.checked = s.norm === "layer"; c.res.checked = s.res === "residual";
    var di = data.depths.indexOf(s.depth), si = c.sws.indexOf(s.sw);
    c.depth.value = String(di); c.depthOut.textContent = String(s.depth);
    c.depth.setAttribute("aria-valuetext", s.depth + " hidden layers");
    c.sw.value = String(si); c.swOut.textContent = s.sw;
    c.sw.setAttribute("aria-valuetext", "sigma w squared " + s.sw);
    c.sw.disabled = s.init !== "custom";
    var k = key(s), cell = data.cells[k], logs = profile(cell, data.steps.median);
    var lo = logs.map(function (v, i) { return v - B36.indexOf(cell.lo[i]) * data.steps.spread; });
    var hi = logs.map(function (v, i) { return v + B36.indexOf(cell.hi[i]) * data.steps.spread; });
    var pred = [];
    var th = data.theory[s.act + "," + (s.init === "custom" ? "sw" + s.sw : s.init)];
    if (s.norm === "none" && s.res === "plain" && Number.isFinite(logs[s.depth - 1])) {
      pred = new Array(s.depth); pred[s.depth - 1] = logs[s.depth - 1];
      for (var l = s.depth - 2; l >= 0; l--) pred[l] = th[l] === null ? NaN : pred[l + 1] + th[l];
    }
    plot(ui.plot, logs, lo, hi, pred, s.depth);
    var hidx = { first: 0, middle: 1, last: 2 }[s.hist];
    histogram(ui.hist, cell.h[hidx], { first: "first", middle: "middle", last: "last" }[s.hist] + " hidden layer");
    var ratio = cell.r === null ? NaN : cell.r;
    var verdict = cell.v;  // vgdocs.engine.diagnose on the unrounded median profile, at build time
    var name = data.activations[s.act] + ", " + (s.init === "custom" ? "normal weights with σ_w² " + s.sw : data.inits[s.init]) +
      ", " + s.depth + " hidden layers" + (s.norm === "layer" ? ", layer normalisation" : "") + (s.res === "residual" ? ", residual connections" : "");
    ui.ratio.textContent = vgDiagnose.fmtG(ratio, 3);
    ui.verdict.textContent = verdict;
    ui.summary.textContent = name + ": the gradient norm of the first hidden layer is " + vgDiagnose.fmtG(ratio, 3) +
      " times that of the last (median of " + data.seeds.length + " seeds), so the verdict is " + verdict + "." +
      (pred.length ? " The dashed line is the mean-field prediction." : " Mean-field theory does not cover this configuration.");
  }
  function start() {
    var root = document.querySelector(".vg-explorer");
    if (!root || root.dataset.ready) return;
    root.dataset.ready = "1";
    var url = new URL(root.dataset.src, location.href).href;
    var got = cache[url] ? Promise.resolve(cache[url]) : fetch(url).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status); return r.json();
    });
    got.then(function (data) {
      cache[url] = data;
      var live = el("div", { "class": "vg-explorer-live" });
      var c = controls(live, data);
      var result = el("p", { "class": "vg-x-result" });
      var ui = { ratio: el("strong", { "class": "vg-x-ratio" }), verdict: el("strong", { "class": "vg-x-verdict" }) };
      result.append("First-to-last ratio: ", ui.ratio, "; verdict: ", ui.verdict, ".");
      ui.summary = el("p", { "class": "vg-x-summary", role: "status", "aria-live": "polite" });
      ui.plot = el("div", { "class": "vg-x-figure" });
      ui.hist = el("div", { "class": "vg-x-hist" });
      live.append(result, ui.summary, ui.plot, el("p", { "class": "vg-x-legend" },
        "Solid: median over seeds; shaded: lowest to highest seed; dashed: mean-field prediction. Below: histogram of forward activations."), ui.hist);
      root.appendChild(live);
      var state = readHash(data);
      function update(push) {
        state = {
          act: c.act.value, init: c.init.value, sw: c.sws[parseInt(c.sw.value, 10)], depth: data.depths[parseInt(c.depth.value, 10)],
          norm: c.norm.checked ? "layer" : "none", res: c.res.checked ? "residual" : "plain", hist: c.hist.value
        };
        if (push) writeHash(state);
        render(root, data, c, state, ui);
      }
      live.querySelector("form").addEventListener("input", function () { update(true); });
      live.querySelector("form").addEventListener("submit", function (e) { e.preventDefault(); });
      function fromHash() { if (document.body.contains(root)) { state = readHash(data); render(root, data, c, state, ui); } }
      window.addEventListener("popstate", fromHash);
      window.addEventListener("hashchange", fromHash);
      render(root, data, c, state, ui);
    }).catch(function (err) {
      root.appendChild(el("p", { "class": "vg-error", role: "alert" }, "The explorer's data could not be loaded (" + err.message + "); the table below gives every activation and initialisation at the default depth."));
    });
  }
  if (typeof document$ !== "undefined") document$.subscribe(start);
  else document.addEventListener("DOMContentLoaded", start);
})();
