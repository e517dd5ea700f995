// Segment builder. Loaded only on /segments/new and /segments/{id}/edit,
// as a file because the CSP forbids inline scripts. The definition lives
// in the form's <textarea name="definition"> (JSON, editable by hand
// without this script); the script draws it as nested AND/OR groups of
// conditions, writes every change back to the textarea, and asks the
// server for the live count and a sample a moment after the last change.
// Every word it shows comes from the server, translated, in the catalogue
// data block (#segment-catalog); errors come back as JSON paths and are
// shown on the condition they name.
(function () {
  "use strict";

  var form = document.querySelector("form.segment-builder");
  var source = document.getElementById("segment-catalog");
  var textarea = form && form.querySelector("textarea[name=definition]");
  var tree = form && form.querySelector("#segment-tree");
  if (!form || !source || !textarea || !tree) {
    return;
  }
  var cat = JSON.parse(source.textContent);
  var t = cat.text;
  var preview = document.getElementById("segment-preview");
  var def;
  try {
    def = JSON.parse(textarea.value || "{}");
  } catch (e) {
    def = null;
  }
  if (!def || typeof def !== "object") {
    def = {};
  }
  normalise(def, true);
  form.classList.add("js");

  // normalise gives every group its lists. The root holds groups only
  // (the schema has no predicates at the top), so a new definition
  // starts with one empty group to put conditions in.
  function normalise(g, root) {
    if (g.op !== "or") {
      g.op = "and";
    }
    if (!Array.isArray(g.groups)) {
      g.groups = [];
    }
    if (root) {
      delete g.predicates;
      if (g.groups.length === 0) {
        g.groups.push({ op: "and", predicates: [], groups: [] });
      }
    } else if (!Array.isArray(g.predicates)) {
      g.predicates = [];
    }
    g.groups.forEach(function (sub) {
      normalise(sub, false);
    });
  }

  // Persian and Arabic-Indic digits typed on a phone count as digits.
  function latinDigits(s) {
    return String(s).replace(/[\u06F0-\u06F9]/g, function (d) {
      return String(d.charCodeAt(0) - 0x06f0);
    }).replace(/[\u0660-\u0669]/g, function (d) {
      return String(d.charCodeAt(0) - 0x0660);
    }).replace(/[\u066B\u060C]/g, ".").replace(/\u066C/g, "");
  }

  function el(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") {
        n.textContent = attrs[k];
      } else if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) {
        n.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
      }
    });
    (children || []).forEach(function (c) {
      if (c) {
        n.appendChild(c);
      }
    });
    return n;
  }

  // choices are a part's options: its own, or those of the source it
  // names (owners, products… sent once for the whole builder).
  function choices(x) {
    if (!x) {
      return null;
    }
    if (x.options && x.options.length) {
      return x.options;
    }
    return (x.source && cat.sources && cat.sources[x.source]) || null;
  }

  function field(key) {
    return cat.fields[key] || null;
  }

  function opOf(f, op) {
    if (!f) {
      return null;
    }
    for (var i = 0; i < f.ops.length; i++) {
      if (f.ops[i].op === op) {
        return f.ops[i];
      }
    }
    return null;
  }

  // emptyValue is what a fresh input of a kind holds.
  function emptyValue(input) {
    switch (input) {
      case "none":
        return undefined;
      case "enums":
      case "tags":
        return [];
      case "number_range":
      case "money_range":
      case "date_range":
        return [null, null];
    }
    return null;
  }

  // --- drawing -----------------------------------------------------------

  function render() {
    tree.textContent = "";
    tree.appendChild(groupNode(def, "definition", null, 0));
  }

  function groupNode(g, path, parent, depth) {
    var box = el("fieldset", { "class": "seg-group" + (depth === 0 ? " seg-root" : ""), "data-path": path });
    var opSel = el("select", { "class": "seg-join", "aria-label": t.join });
    [["and", t.and], ["or", t.or]].forEach(function (o) {
      opSel.appendChild(el("option", { value: o[0], selected: g.op === o[0], text: o[1] }));
    });
    opSel.addEventListener("change", function () {
      g.op = opSel.value;
      changed(false);
    });
    var head = el("legend", { "class": "seg-head" }, [opSel]);
    if (parent) {
      var rm = el("button", { type: "button", "class": "seg-remove secondary outline", "aria-label": t.remove_group, title: t.remove_group, text: "×" });
      rm.addEventListener("click", function () {
        parent.groups.splice(parent.groups.indexOf(g), 1);
        changed(true);
      });
      head.appendChild(rm);
    }
    box.appendChild(head);
    var actions = el("div", { "class": "seg-actions" });
    if (depth > 0) {
      var list = el("ol", { "class": "seg-preds" });
      g.predicates.forEach(function (p, i) {
        list.appendChild(predicateNode(p, path + ".predicates[" + i + "]", g));
      });
      box.appendChild(list);
      var addP = el("button", { type: "button", "class": "seg-add secondary", text: "+ " + t.add_predicate });
      addP.addEventListener("click", function () {
        g.predicates.push({ field: "", op: "" });
        changed(true);
        var sel = tree.querySelector('[data-path="' + path + '"] > .seg-preds > li:last-child select.seg-field');
        if (sel) {
          sel.focus();
        }
      });
      actions.appendChild(addP);
    }
    g.groups.forEach(function (sub, i) {
      box.appendChild(groupNode(sub, path + ".groups[" + i + "]", g, depth + 1));
    });
    if (depth < cat.max_depth) {
      var addG = el("button", { type: "button", "class": "seg-add secondary outline", text: "+ " + t.add_group });
      addG.addEventListener("click", function () {
        g.groups.push({ op: depth > 0 && g.op === "and" ? "or" : "and", predicates: [{ field: "", op: "" }], groups: [] });
        changed(true);
      });
      actions.appendChild(addG);
    }
    box.appendChild(actions);
    return box;
  }

  function predicateNode(p, path, g) {
    var li = el("li", { "class": "seg-pred", "data-path": path });
    var f = field(p.field);

    var fieldSel = el("select", { "class": "seg-field", "aria-label": t.field, "data-part": "field" });
    fieldSel.appendChild(el("option", { value: "", text: t.choose_field, disabled: true, selected: !f }));
    cat.families.forEach(function (fam) {
      var og = el("optgroup", { label: fam.label });
      fam.fields.forEach(function (k) {
        og.appendChild(el("option", { value: k, selected: k === p.field, text: cat.fields[k].label }));
      });
      fieldSel.appendChild(og);
    });
    if (p.field && !f) { // a field this console does not know: keep it visible
      fieldSel.appendChild(el("option", { value: p.field, selected: true, text: p.field }));
    }
    fieldSel.addEventListener("change", function () {
      var nf = field(fieldSel.value);
      Object.keys(p).forEach(function (k) {
        delete p[k];
      });
      p.field = fieldSel.value;
      p.op = nf && nf.ops.length ? nf.ops[0].op : "";
      var o = opOf(nf, p.op);
      if (o) {
        setValue(p, o, emptyValue(o.input));
      }
      (nf ? nf.params : []).forEach(function (pr) {
        if (pr.default !== undefined && pr.default !== null) {
          p[pr.key] = pr.default;
        }
      });
      changed(true);
    });
    var parts = [el("div", { "class": "seg-cell seg-cell-field" }, [fieldSel])];

    if (f) {
      var opSel = el("select", { "class": "seg-op", "aria-label": t.operator, "data-part": "op" });
      f.ops.forEach(function (o) {
        opSel.appendChild(el("option", { value: o.op, selected: o.op === p.op, text: o.label }));
      });
      opSel.addEventListener("change", function () {
        var before = opOf(f, p.op);
        p.op = opSel.value;
        var after = opOf(f, p.op);
        if (!before || !after || before.input !== after.input) {
          setValue(p, after, after ? emptyValue(after.input) : undefined);
        }
        changed(true);
      });
      parts.push(el("div", { "class": "seg-cell seg-cell-op" }, [opSel]));
      var o = opOf(f, p.op);
      if (o && o.input !== "none") {
        parts.push(el("div", { "class": "seg-cell seg-cell-value", "data-path": path + ".value" }, valueInputs(p, o, f)));
      }
      // Required parameters (a consent's purpose and channel) show at
      // once; optional ones (time window, products…) fold away until used.
      var optional = [];
      f.params.forEach(function (pr) {
        if (pr.required) {
          parts.push(paramInput(p, pr, path));
        } else {
          optional.push(pr);
        }
      });
      if (optional.length) {
        var used = optional.some(function (pr) {
          return p[pr.key] !== undefined;
        });
        var more = el("details", { "class": "seg-more", open: used }, [el("summary", { text: t.more_options })]);
        var body = el("div", { "class": "seg-more-body" });
        optional.forEach(function (pr) {
          body.appendChild(paramInput(p, pr, path));
        });
        more.appendChild(body);
        parts.push(more);
      }
    }
    var rm = el("button", { type: "button", "class": "seg-remove secondary outline", "aria-label": t.remove_predicate, title: t.remove_predicate, text: "×" });
    rm.addEventListener("click", function () {
      g.predicates.splice(g.predicates.indexOf(p), 1);
      changed(true);
    });
    parts.push(rm);
    parts.forEach(function (n) {
      li.appendChild(n);
    });
    return li;
  }

  function setValue(p, o, v) {
    if (v === undefined) {
      delete p.value;
    } else {
      p.value = v;
    }
  }

  // scalar reads one input of a kind into the JSON value the engine wants.
  function scalar(kind, raw, options) {
    raw = latinDigits(raw).trim();
    if (raw === "") {
      return null;
    }
    switch (kind) {
      case "number":
      case "days":
        var n = Number(raw);
        return isFinite(n) ? n : raw;
      case "money":
        // Money is typed in the shop's currency and stored in minor units.
        var m = Number(raw.replace(/,/g, ""));
        return isFinite(m) ? Math.round(m * (cat.money_scale || 1)) : raw;
      case "enum":
        for (var i = 0; options && i < options.length; i++) {
          if (String(options[i].v) === raw) {
            return options[i].v;
          }
        }
        return raw;
    }
    return raw;
  }

  function display(v) {
    return v === null || v === undefined ? "" : String(v);
  }

  function displayAs(kind, v) {
    if (kind === "money" && typeof v === "number") {
      return String(v / (cat.money_scale || 1));
    }
    return display(v);
  }

  function textInput(kind, value, label, onInput) {
    var attrs = { type: "text", value: displayAs(kind, value), "aria-label": label, "class": "seg-value" };
    if (kind === "number" || kind === "days") {
      attrs.inputmode = "numeric";
    } else if (kind === "money") {
      attrs.inputmode = "decimal";
    } else if (kind === "date") {
      attrs.type = "date";
    }
    var inp = el("input", attrs);
    inp.addEventListener("input", function () {
      onInput(inp.value);
    });
    return inp;
  }

  function valueInputs(p, o, f) {
    var kind = o.input;
    var label = o.value_label || t.value;
    if (kind === "enum" || kind === "enums") {
      var sel = el("select", { "class": "seg-value", "aria-label": label, multiple: kind === "enums" });
      if (kind === "enum") {
        sel.appendChild(el("option", { value: "", text: t.choose, disabled: true, selected: p.value === null || p.value === undefined }));
      }
      var chosen = Array.isArray(p.value) ? p.value.map(String) : [display(p.value)];
      var opts = choices(o) || choices(f) || [];
      opts.forEach(function (opt) {
        sel.appendChild(el("option", { value: String(opt.v), selected: chosen.indexOf(String(opt.v)) >= 0, text: opt.l }));
      });
      if (opts.length === 0) {
        sel.appendChild(el("option", { value: "", disabled: true, text: t.no_options }));
      }
      sel.addEventListener("change", function () {
        if (kind === "enums") {
          p.value = Array.prototype.filter.call(sel.options, function (x) {
            return x.selected && x.value !== "";
          }).map(function (x) {
            return scalar("enum", x.value, opts);
          });
        } else {
          p.value = scalar("enum", sel.value, opts);
        }
        changed(false);
      });
      return [sel];
    }
    if (kind === "tags" || kind === "ids") {
      return [listInput(kind, p.value, label, function (list) {
        p.value = list;
        changed(false);
      })];
    }
    if (/_range$/.test(kind)) {
      var base = kind.replace(/_range$/, "");
      if (!Array.isArray(p.value)) {
        p.value = [null, null];
      }
      var lo = textInput(base, p.value[0], t.from, function (raw) {
        p.value[0] = scalar(base, raw);
        changed(false);
      });
      var hi = textInput(base, p.value[1], t.to, function (raw) {
        p.value[1] = scalar(base, raw);
        changed(false);
      });
      return [lo, el("span", { "class": "seg-and", text: t.range_and }), hi];
    }
    var inp = textInput(kind, p.value, label, function (raw) {
      p.value = scalar(kind, raw);
      changed(false);
    });
    var out = [inp];
    if (o.suffix) {
      out.push(el("span", { "class": "seg-suffix", text: o.suffix }));
    }
    return out;
  }

  // listInput is a comma-separated list: words (tags, SKUs) or record
  // ids, which the definition stores as numbers.
  function listInput(kind, value, label, onList) {
    var inp = el("input", { type: "text", value: (Array.isArray(value) ? value : []).join(", "), "aria-label": label, "class": "seg-value",
      placeholder: t.tags_hint, inputmode: kind === "ids" ? "numeric" : null });
    inp.addEventListener("input", function () {
      onList(inp.value.split(/[,،、]/).map(function (x) {
        x = latinDigits(x).trim();
        return kind === "ids" && /^\d+$/.test(x) ? Number(x) : x;
      }).filter(function (x) {
        return x !== "";
      }));
    });
    return inp;
  }

  // paramInput draws one extra parameter of a predicate family (a time
  // window, "N times"); an empty input leaves the parameter out.
  function paramInput(p, pr, path) {
    var cell = el("div", { "class": "seg-cell seg-cell-param", "data-path": path + "." + pr.key });
    var id = "seg-" + Math.random().toString(36).slice(2);
    cell.appendChild(el("label", { "for": id, text: pr.label }));
    var inp;
    if (pr.input === "bool") {
      inp = el("input", { id: id, type: "checkbox", role: "switch", checked: p[pr.key] === true });
      inp.addEventListener("change", function () {
        if (inp.checked) {
          p[pr.key] = true;
        } else {
          delete p[pr.key];
        }
        changed(false);
      });
      cell.classList.add("seg-cell-bool");
      cell.insertBefore(inp, cell.firstChild);
      return cell;
    }
    if (pr.input === "enums") {
      inp = el("select", { id: id, "class": "seg-value", multiple: true });
      var have = (p[pr.key] || []).map(String);
      (choices(pr) || []).forEach(function (opt) {
        inp.appendChild(el("option", { value: String(opt.v), selected: have.indexOf(String(opt.v)) >= 0, text: opt.l }));
      });
      inp.addEventListener("change", function () {
        var vals = Array.prototype.filter.call(inp.options, function (x) {
          return x.selected;
        }).map(function (x) {
          return scalar("enum", x.value, choices(pr));
        });
        if (vals.length) {
          p[pr.key] = vals;
        } else {
          delete p[pr.key];
        }
        changed(false);
      });
    } else if (pr.input === "enum") {
      inp = el("select", { id: id, "class": "seg-value" });
      inp.appendChild(el("option", { value: "", text: t.any }));
      (choices(pr) || []).forEach(function (opt) {
        inp.appendChild(el("option", { value: String(opt.v), selected: display(p[pr.key]) === String(opt.v), text: opt.l }));
      });
      inp.addEventListener("change", function () {
        var v = scalar("enum", inp.value, choices(pr));
        if (v === null) {
          delete p[pr.key];
        } else {
          p[pr.key] = v;
        }
        changed(false);
      });
    } else if (pr.input === "tags" || pr.input === "ids") {
      inp = listInput(pr.input, p[pr.key], pr.label, function (list) {
        if (list.length) {
          p[pr.key] = list;
        } else {
          delete p[pr.key];
        }
        changed(false);
      });
      inp.id = id;
    } else {
      inp = textInput(pr.input, p[pr.key], pr.label, function (raw) {
        var v = scalar(pr.input, raw);
        if (v === null) {
          delete p[pr.key];
        } else {
          p[pr.key] = v;
        }
        changed(false);
      });
      inp.id = id;
      if (pr.placeholder) {
        inp.placeholder = pr.placeholder;
      }
    }
    cell.appendChild(inp);
    return cell;
  }

  // --- state, preview, errors --------------------------------------------

  var timer = null;
  var inflight = null;
  var seq = 0;

  function changed(redraw) {
    textarea.value = JSON.stringify(def);
    if (redraw) {
      render();
    }
    clearErrors();
    schedule();
  }

  function schedule() {
    if (!preview) {
      return;
    }
    clearTimeout(timer);
    preview.setAttribute("aria-busy", "true");
    timer = setTimeout(fetchPreview, 400);
  }

  // incomplete reports a condition still waiting for its field: the
  // count waits for it rather than flagging a row the user just added.
  function incomplete(g) {
    return (g.predicates || []).some(function (p) {
      return !p.field;
    }) || g.groups.some(incomplete);
  }

  function fetchPreview() {
    if (incomplete(def)) {
      seq++;
      if (inflight) {
        inflight.abort();
      }
      preview.removeAttribute("aria-busy");
      preview.textContent = "";
      preview.appendChild(el("p", { "class": "muted", text: t.preview_incomplete }));
      return;
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    var body = new URLSearchParams();
    body.set("definition", textarea.value);
    if (meta) {
      body.set("_csrf", meta.getAttribute("content"));
    }
    var kindInput = form.querySelector("input[name=kind]:checked");
    if (kindInput) {
      body.set("kind", kindInput.value);
    }
    if (inflight) {
      inflight.abort();
    }
    inflight = typeof AbortController === "function" ? new AbortController() : null;
    var mine = ++seq;
    fetch(preview.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": meta ? meta.getAttribute("content") : "", "HX-Request": "true" },
      body: body,
      signal: inflight ? inflight.signal : undefined
    }).then(function (res) {
      return res.text().then(function (html) {
        // A redirect means the session ended (the login page came back).
        return { ok: (res.ok || res.status === 422) && !res.redirected, html: html };
      });
    }).then(function (r) {
      if (mine !== seq) {
        return;
      }
      preview.removeAttribute("aria-busy");
      if (!r.ok) {
        preview.textContent = t.preview_failed;
        return;
      }
      var doc = new DOMParser().parseFromString(r.html, "text/html");
      preview.textContent = "";
      Array.prototype.forEach.call(doc.body.childNodes, function (n) {
        preview.appendChild(document.importNode(n, true));
      });
      showErrors(preview);
    }).catch(function (e) {
      if (e && e.name === "AbortError") {
        return;
      }
      if (mine === seq) {
        preview.removeAttribute("aria-busy");
        preview.textContent = t.preview_failed;
      }
    });
  }

  function clearErrors() {
    tree.querySelectorAll(".seg-error").forEach(function (n) {
      n.remove();
    });
    tree.querySelectorAll("[aria-invalid]").forEach(function (n) {
      n.removeAttribute("aria-invalid");
    });
    tree.querySelectorAll(".invalid").forEach(function (n) {
      n.classList.remove("invalid");
    });
  }

  // target finds the node an error path names: the longest data-path that
  // is a prefix of it ("definition.groups[0].predicates[2].value" lands on
  // that value cell, a path inside an unknown part on its predicate).
  function target(path) {
    path = path.replace(/^body\./, "");
    var best = null;
    var bestLen = -1;
    tree.querySelectorAll("[data-path]").forEach(function (n) {
      var p = n.getAttribute("data-path");
      var boundary = path.length === p.length || path.charAt(p.length) === "." || path.charAt(p.length) === "[";
      if (path.indexOf(p) === 0 && boundary && p.length > bestLen) {
        best = n;
        bestLen = p.length;
      }
    });
    return best;
  }

  // showErrors puts each error of a list (li[data-path]) on its condition.
  function showErrors(root) {
    clearErrors();
    root.querySelectorAll("[data-error-path]").forEach(function (item) {
      var node = target(item.getAttribute("data-error-path"));
      if (!node) {
        return;
      }
      var fold = node.closest("details");
      if (fold) {
        fold.open = true;
      }
      var pred = node.closest(".seg-pred") || node;
      pred.classList.add("invalid");
      node.querySelectorAll("input, select").forEach(function (i) {
        i.setAttribute("aria-invalid", "true");
      });
      var msg = el("small", { "class": "seg-error", role: "alert", text: item.getAttribute("data-error-text") || item.textContent });
      if (node.tagName === "FIELDSET") {
        node.insertBefore(msg, node.querySelector(".seg-preds"));
      } else {
        node.appendChild(msg);
      }
    });
  }

  render();
  textarea.value = JSON.stringify(def);
  var initial = document.getElementById("segment-errors");
  if (initial) {
    showErrors(initial);
  }
  // The raw JSON stays editable: a hand edit redraws the builder.
  textarea.addEventListener("change", function () {
    try {
      var d = JSON.parse(textarea.value);
      if (d && typeof d === "object") {
        def = d;
        normalise(def, true);
        render();
        schedule();
      }
    } catch (e) {
      // left as typed: the server names the problem on save
    }
  });
  // Enter in a condition's input counts at once instead of saving the
  // half-built segment.
  tree.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && e.target.tagName === "INPUT") {
      e.preventDefault();
      clearTimeout(timer);
      if (preview) {
        fetchPreview();
      }
    }
  });
  form.querySelectorAll("input[name=kind]").forEach(function (r) {
    r.addEventListener("change", schedule);
  });
  if (preview) {
    fetchPreview();
  }
})();
