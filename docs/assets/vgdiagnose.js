/* A faithful port of vgdocs.engine.diagnose.diagnose (norms only) and of Python's "%g" formatting,
   plus the parser for pasted gradient norms. Thresholds are the defaults of `python -m vgdocs diagnose`;
   tests/fixtures/diagnose_golden.json pins this file to the Python verdicts. No framework, no network. */
(function () {
  "use strict";
  var DEFAULTS = { vanishing_ratio: 1e-2, exploding_ratio: 1e2, max_norm: 1e3, min_norm: 1e-6 };

  // Python's format(x, "." + p + "g") (and "g" = ".6g"), for finite and non-finite floats.
  function fmtG(x, p) {
    if (p === undefined) p = 6;
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    if (x === 0) return (Object.is(x, -0) ? "-0" : "0");
    var exp = x.toExponential(Math.max(p - 1, 0));
    var parts = exp.split("e"), e = parseInt(parts[1], 10);
    var out;
    if (e >= -4 && e < p) {
      out = x.toFixed(Math.max(p - 1 - e, 0));
      if (out.indexOf(".") >= 0) out = out.replace(/0+$/, "").replace(/\.$/, "");
    } else {
      var m = parts[0];
      if (m.indexOf(".") >= 0) m = m.replace(/0+$/, "").replace(/\.$/, "");
      out = m + "e" + (e < 0 ? "-" : "+") + (Math.abs(e) < 10 ? "0" : "") + Math.abs(e);
    }
    return out;
  }

  function pyStr(x) { // str(np.float64(x)) for the non-finite values the overflow message quotes
    return Number.isNaN(x) ? "nan" : (x === Infinity ? "inf" : String(x));
  }

  function diagnose(norms, opts) {
    var o = Object.assign({}, DEFAULTS, opts || {});
    if (!Array.isArray(norms) || norms.length < 2) {
      throw new Error("Give the gradient norms of at least 2 layers, input side first (got " +
        (Array.isArray(norms) ? norms.length : 0) + ").");
    }
    for (var i = 0; i < norms.length; i++) {
      if (norms[i] < 0) throw new Error("Gradient norms cannot be negative: layer " + (i + 1) + " is " + norms[i] + ".");
    }
    var n = norms.length, first = norms[0], last = norms[n - 1];
    var ratio = (last > 0 || Number.isNaN(last)) ? first / last : (first > 0 ? Infinity : NaN);
    var factor = Number.isFinite(ratio) ? Math.pow(ratio, 1 / (n - 1)) : ratio;
    var where = "layer 1 (input side) has gradient norm " + fmtG(first, 3) + ", layer " + n + " (output side) " + fmtG(last, 3);
    var verdict, why, bad = -1, k;
    for (k = 0; k < n; k++) { if (!Number.isFinite(norms[k])) { bad = k; break; } }
    var maxI = 0, minI = 0;
    for (k = 1; k < n; k++) { if (norms[k] > norms[maxI]) maxI = k; if (norms[k] < norms[minI]) minI = k; }
    if (bad >= 0) {
      verdict = "exploding"; why = "gradient norm of layer " + (bad + 1) + " is " + pyStr(norms[bad]) + " (overflow)";
    } else if (last === 0 && first === 0) {
      verdict = "vanishing"; why = "every gradient at both ends is exactly zero: nothing learns";
    } else if (ratio < o.vanishing_ratio) {
      verdict = "vanishing";
      why = where + ": ratio " + fmtG(ratio, 3) + " < " + fmtG(o.vanishing_ratio) + " (per-layer factor " + fmtG(factor, 3) + ")";
    } else if (ratio > o.exploding_ratio) {
      verdict = "exploding";
      why = where + ": ratio " + fmtG(ratio, 3) + " > " + fmtG(o.exploding_ratio) + " (per-layer factor " + fmtG(factor, 3) + ")";
    } else if (o.max_norm !== null && norms[maxI] > o.max_norm) {
      verdict = "exploding";
      why = "layer " + (maxI + 1) + " has gradient norm " + fmtG(norms[maxI], 3) + " > max_norm " + fmtG(o.max_norm);
    } else if (o.min_norm !== null && norms[minI] < o.min_norm) {
      verdict = "vanishing";
      why = "layer " + (minI + 1) + " has gradient norm " + fmtG(norms[minI], 3) + " < min_norm " + fmtG(o.min_norm);
    } else {
      verdict = "healthy";
      why = where + ": ratio " + fmtG(ratio, 3) + " within [" + fmtG(o.vanishing_ratio) + ", " + fmtG(o.exploding_ratio) +
        "] (per-layer factor " + fmtG(factor, 3) + ")";
    }
    return { verdict: verdict, ratio: ratio, factor: factor, n_layers: n, explanation: verdict + ": " + why };
  }

  var NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
  var SPECIAL = /^[+-]?(inf|infinity|nan)$/i;

  // Pasted text -> array of numbers: one per line, or a printed list / dict of per-layer norms
  // (the PyTorch and Keras recipes' `norms` dict, e.g. {'0.weight': 1.2e-05, '2.weight': 0.003}).
  function parseNorms(text) {
    var s = String(text || "").trim();
    if (!s) throw new Error("Nothing to judge: paste one gradient norm per layer, input side first.");
    var tokens;
    if (s.indexOf("{") >= 0) {
      tokens = [];
      var re = /:\s*([^,}\s]+)/g, m;
      while ((m = re.exec(s)) !== null) tokens.push(m[1]);
      if (!tokens.length) throw new Error("Found a { but no 'name: norm' pairs in it.");
    } else {
      tokens = s.replace(/[\[\]()]/g, " ").split(/[\s,;]+/).filter(function (t) { return t.length; });
    }
    return tokens.map(function (t, i) {
      var u = t.replace(/^tensor\(|\)$/g, "");
      if (!NUMBER.test(u) && !SPECIAL.test(u)) {
        throw new Error("Item " + (i + 1) + " (\u201c" + t.slice(0, 40) + "\u201d) is not a number.");
      }
      var low = u.toLowerCase().replace(/^\+/, "");
      if (/nan$/.test(low)) return NaN;
      if (/inf(inity)?$/.test(low)) return low[0] === "-" ? -Infinity : Infinity;
      return parseFloat(u);
    });
  }

  window.vgDiagnose = { diagnose: diagnose, parseNorms: parseNorms, fmtG: fmtG, DEFAULTS: DEFAULTS };

  function start() {
    var form = document.querySelector("form.vg-diagnose");
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    form.hidden = false;
    var input = form.querySelector("textarea"), out = form.querySelector(".vg-diagnose-result");
    function run(ev) {
      if (ev) ev.preventDefault();
      out.classList.remove("vg-error");
      try {
        var d = diagnose(parseNorms(input.value));
        out.dataset.verdict = d.verdict;
        var strong = document.createElement("strong");
        strong.textContent = d.verdict;
        out.replaceChildren("Verdict: ", strong, ". As python -m vgdocs diagnose prints it: " + d.explanation);
        out.dataset.explanation = d.explanation;
      } catch (err) {
        out.dataset.verdict = "error";
        out.dataset.explanation = "";
        out.classList.add("vg-error");
        out.textContent = "Cannot judge this input: " + err.message;
      }
    }
    form.addEventListener("submit", run);
  }
  if (typeof document$ !== "undefined") document$.subscribe(start);
  else document.addEventListener("DOMContentLoaded", start);
})();
