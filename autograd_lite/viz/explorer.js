/* The explorer page of autograd_lite.viz.explore: hand-written, no dependencies.
 *
 * The page holds one or two panes (snapshots). Each pane has its JSON (see pagedata.py)
 * and Graphviz's SVG as markup, one element per line (a text script
 * "al-svg-<pane>"), with each element's id and box in the JSON. Only the elements near
 * the screen are put in the document (Pane.render, on every scroll): a browser lays out
 * and paints an SVG of 10,000 nodes in seconds, and paints all of it again when any part
 * changes, while a few hundred elements take milliseconds. What the page marks (backward
 * steps, matches) is kept by id and applied to an element whenever it is drawn.
 * DOM ids are "p<pane>_" + the drawing's id (nodes "n3", clusters "cluster_0", edges
 * "e<k>"); nodes are matched across panes by id. */
(function () {
  "use strict";

  const DATA = JSON.parse(document.getElementById("al-data").textContent);
  const COLORS = DATA.colors;
  const SEVERITY = { None: 0, ok: 1, vanishing: 2, exploding: 3, nonfinite: 4 };
  const byId = (id) => document.getElementById(id);

  // ---- small helpers --------------------------------------------------------------

  /* NaN and the infinities arrive as strings (JSON has no spelling for them). */
  const num = (x) => (typeof x === "string" ? Number(x) : x);

  function fmt(x, digits) {
    x = num(x);
    if (x === null || x === undefined) return "\u2014";
    if (!Number.isFinite(x)) return String(x);
    return String(Number(x.toPrecision(digits || 4)));
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k.startsWith("on")) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) if (c !== null && c !== undefined) e.append(c);
    return e;
  }

  function svgEl(tag, attrs) {
    const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }

  /* Docstring text with ``code`` spans as <code>. */
  function rst(text) {
    const span = el("span");
    text.split("``").forEach((part, i) => span.append(i % 2 ? el("code", {}, part) : part));
    return span;
  }

  const shapeText = (n) => "(" + n.shape.join(", ") + (n.shape.length === 1 ? "," : "") + ") " + n.dt;
  const worst = (statuses) => statuses.reduce((a, s) => (SEVERITY[s || "None"] > SEVERITY[a || "None"] ? s : a), null);

  // ---- one snapshot ---------------------------------------------------------------

  const PX = 4 / 3;  // CSS pixels per point (Graphviz's unit) at zoom 1
  const TILE = 400;  // points: elements are found by the tiles their boxes touch

  class Pane {
    constructor(i, d) {
      this.i = i;
      this.d = d;
      this.prefix = "p" + i + "_";
      this.root = document.querySelector('.al-pane[data-pane="' + i + '"]');
      this.root.querySelector(".al-pane-label").textContent = d.label;
      this.scroll = this.root.querySelector(".al-scroll");
      this.lines = byId("al-svg-" + i).textContent.split("\n");
      const g = d.svg;
      const M = 10;  // points of margin, for the marks around nodes at the edge
      [this.w, this.h, this.tx, this.ty] = [g.w + 2 * M, g.h + 2 * M, g.tf[0] + M, g.tf[1] + M];
      this.svg = svgEl("svg", { class: "al-graph", viewBox: "0 0 " + this.w + " " + this.h });
      const top = svgEl("g", { transform: "translate(" + this.tx + " " + this.ty + ")" });
      top.append(svgEl("rect", { x: -this.tx, y: -this.ty, width: this.w, height: this.h, fill: "white" }));
      this.layer = {};  // later ones are drawn on top
      for (const name of ["clusters", "nodes", "edges", "covers", "ring"]) {
        top.append(this.layer[name] = svgEl("g", { class: "al-layer-" + name }));
      }
      this.svg.append(top);
      this.scroll.append(this.svg);
      this.element = new Map(g.ids.map((id, k) => [id, k]));  // id -> index of its markup
      // tiles[r * cols + c]: the elements whose boxes touch tile (c, r) of the drawing;
      // numbered from its corner (Graphviz's y runs up from -ty to 0). Numbers, not "c,r"
      // strings: 20 times faster to fill for 10,000 nodes.
      this.cols = Math.ceil(this.w / TILE) + 1;
      this.rows = Math.ceil(this.h / TILE) + 1;
      this.tiles = new Array(this.cols * this.rows);
      g.box.forEach((b, k) => {
        const [c0, r0, c1, r1] = this.tileRange(b[0], b[1], b[2], b[3]);
        for (let r = r0; r <= r1; r++) {
          for (let c = c0; c <= c1; c++) (this.tiles[r * this.cols + c] ||= []).push(k);
        }
      });
      this.rendered = new Map();  // element index -> its DOM element, for those on screen
      this.covers = new Map();  // cluster id -> the DOM element covering it
      this.classes = new Map();  // DOM id -> the marks it carries (al-visited, al-flow...)

      this.nodes = new Map();
      this.edgesOf = new Map();
      d.nodes.forEach((n, k) => { n.index = k; this.nodes.set(n.id, n); this.edgesOf.set(n.id, []); });
      d.edges.forEach((e, k) => { this.edgesOf.get(e[0]).push(k); this.edgesOf.get(e[1]).push(k); });
      this.clusters = new Map();
      for (const [id, label, parent] of d.clusters) {
        this.clusters.set(id, { id, label, parent, members: [], children: [] });
      }
      for (const c of this.clusters.values()) if (c.parent) this.clusters.get(c.parent).children.push(c.id);
      for (const n of d.nodes) {  // n.chain: the clusters holding n, innermost first
        n.chain = [];
        for (let c = n.c; c; c = this.clusters.get(c).parent) {
          n.chain.push(c);
          this.clusters.get(c).members.push(n.index);
        }
      }
      // Each leaf's .grad after every step that added to it: [[step, summary], ...].
      this.leafUpdates = new Map();
      d.steps.forEach((s, k) => {
        for (const sent of s[3]) {
          if (sent[3] < 0) continue;
          if (!this.leafUpdates.has(sent[3])) this.leafUpdates.set(sent[3], []);
          this.leafUpdates.get(sent[3]).push([k + 1, sent[4]]);
        }
      });
      this.scroll.addEventListener("scroll", () => this.later());
    }

    /* The tiles (first and last column and row) that a box in points touches. */
    tileRange(x0, y0, x1, y1) {
      const col = (x) => Math.max(0, Math.min(this.cols - 1, Math.floor((x + this.tx) / TILE)));
      const row = (y) => Math.max(0, Math.min(this.rows - 1, Math.floor((y + this.ty) / TILE)));
      return [col(x0), row(y0), col(x1), row(y1)];
    }

    /* The element with this id if it is in the document (on screen), else null. */
    elem(id) { return byId(this.prefix + id); }

    /* Put in the document what is near the screen and not hidden, take out the rest. */
    render() {
      this.pending = false;
      const s = state.scale * PX, w = this.scroll.clientWidth / s, h = this.scroll.clientHeight / s;
      const x0 = this.scroll.scrollLeft / s - this.tx - w, y0 = this.scroll.scrollTop / s - this.ty - h;
      const x1 = x0 + 3 * w, y1 = y0 + 3 * h;  // the screen and one screen around it
      const want = new Set();
      const [c0, r0, c1, r1] = this.tileRange(x0, y0, x1, y1);
      for (let r = r0; r <= r1; r++) {
        for (let c = c0; c <= c1; c++) {
          for (const k of this.tiles[r * this.cols + c] || []) if (!this.hidden(k)) want.add(k);
        }
      }
      for (const [k, e] of this.rendered) if (!want.has(k)) { e.remove(); this.rendered.delete(k); }
      const add = { clusters: [], nodes: [], edges: [] };
      for (const k of want) if (!this.rendered.has(k)) add[this.kind(k)].push(k);
      for (const layer in add) {
        if (!add[layer].length) continue;
        const holder = svgEl("g", {});
        holder.innerHTML = add[layer].map((k) => this.lines[k]).join("");  // one parse for all
        const made = [...holder.children];
        add[layer].forEach((k, j) => { this.rendered.set(k, made[j]); this.decorate(made[j]); });
        this.layer[layer].append(...made);
      }
      for (const [cid, cover] of this.covers) {
        if (!state.collapsed.has(cid) || this.above(cid)) { cover.remove(); this.covers.delete(cid); }
      }
      for (const cid of state.collapsed) if (!this.covers.has(cid) && !this.above(cid) && this.clusters.has(cid)) this.cover(cid);
    }

    later() {  // one render per frame, however many scroll events
      if (!this.pending) { this.pending = true; requestAnimationFrame(() => this.render()); }
    }

    kind(k) {
      const id = this.d.svg.ids[k];
      return id.startsWith("cluster_") ? "clusters" : /^e\d+$/.test(id) ? "edges" : "nodes";
    }

    /* Is element k hidden by a collapsed module? */
    hidden(k) {
      const id = this.d.svg.ids[k], kind = this.kind(k);
      if (kind === "clusters") return this.above(id);
      if (kind === "nodes") return this.outerCollapsed(this.nodes.get(id)) !== null;
      const [src, dst] = this.d.edges[Number(id.slice(1))];
      const a = this.outerCollapsed(this.nodes.get(src));
      return a !== null && a === this.outerCollapsed(this.nodes.get(dst));
    }

    /* Is a cluster around cluster cid (not cid itself) collapsed? */
    above(cid) {
      for (let p = this.clusters.get(cid).parent; p; p = this.clusters.get(p).parent) if (state.collapsed.has(p)) return true;
      return false;
    }

    /* The outermost collapsed cluster holding node n, or null. */
    outerCollapsed(n) {
      for (let j = n.chain.length - 1; j >= 0; j--) if (state.collapsed.has(n.chain[j])) return n.chain[j];
      return null;
    }

    /* The id of what shows node id now: its own, or the cover of its collapsed module. */
    shown(id) {
      const n = this.nodes.get(id);
      if (!n) return null;
      const c = this.outerCollapsed(n);
      return c ? c + "_cover" : id;
    }

    /* Mark (or unmark) what has this id with class cls, now and whenever it is drawn. */
    setClass(id, cls, on) {
      if (!this.classes.has(id)) this.classes.set(id, new Set());
      const set = this.classes.get(id);
      if (on) set.add(cls); else set.delete(cls);
      const e = this.elem(id);
      if (e) e.classList.toggle(cls, on);
    }

    decorate(e) {
      const set = this.classes.get(e.id.slice(this.prefix.length));
      if (set) for (const cls of set) e.classList.add(cls);
    }

    /* The box of what has this id (a node, an edge, or a cluster's cover), in points. */
    box(id) {
      const k = this.element.get(id.endsWith("_cover") ? id.slice(0, -6) : id);
      return k === undefined ? null : this.d.svg.box[k];
    }

    /* Draw the selection ring around what has this id (null: none). */
    ring(id) {
      if (!this.ringEl) this.layer.ring.append(this.ringEl = svgEl("rect", { class: "al-ring", rx: 8 }));
      const b = id ? this.box(id) : null;
      this.ringEl.classList.toggle("al-hidden", !b);
      if (!b) return;
      const at = { x: b[0] - 5, y: b[1] - 5, width: b[2] - b[0] + 10, height: b[3] - b[1] + 10 };
      for (const k in at) this.ringEl.setAttribute(k, at[k]);
    }

    /* Scroll so that what has this id is on screen, if it is not. */
    reveal(id) {
      const b = id ? this.box(id) : null;
      if (!b) return;
      const s = state.scale * PX, sc = this.scroll;
      const x0 = (b[0] + this.tx) * s, x1 = (b[2] + this.tx) * s, y0 = (b[1] + this.ty) * s, y1 = (b[3] + this.ty) * s;
      if (x0 < sc.scrollLeft || x1 > sc.scrollLeft + sc.clientWidth) sc.scrollLeft = (x0 + x1 - sc.clientWidth) / 2;
      if (y0 < sc.scrollTop || y1 > sc.scrollTop + sc.clientHeight) sc.scrollTop = (y0 + y1 - sc.clientHeight) / 2;
      this.render();
    }

    leafGrad(index, step) {
      let last = null;
      for (const [k, s] of this.leafUpdates.get(index) || []) if (k <= step) last = s;
      return last;
    }

    clusterStatus(c) { return worst(c.members.map((k) => this.d.nodes[k].st)); }

    /* Draw the box over collapsed cluster cid: its name, size and worst gradient colour. */
    cover(cid) {
      const b = this.box(cid), c = this.clusters.get(cid);
      const ops = c.members.filter((k) => this.d.nodes[k].k === "op").length;
      const params = c.members.filter((k) => this.d.nodes[k].k === "param").length;
      const cover = svgEl("g", { id: this.prefix + cid + "_cover", class: "al-cover", "data-cluster": cid });
      cover.append(svgEl("rect", { x: b[0], y: b[1], width: b[2] - b[0], height: b[3] - b[1], rx: 6,
        fill: COLORS[this.clusterStatus(c) || "None"] }));
      const lines = [c.label, ops + " op" + (ops === 1 ? "" : "s") + ", " + params + " param" + (params === 1 ? "" : "s"),
        "(double-click to expand)"];
      lines.forEach((text, j) => {
        const t = svgEl("text", { x: (b[0] + b[2]) / 2, y: b[1] + 18 + 15 * j });
        t.textContent = text;
        cover.append(t);
      });
      this.decorate(cover);
      this.layer.covers.append(cover);
      this.covers.set(cid, cover);
    }
  }

  // ---- the state of the page ------------------------------------------------------

  const panes = DATA.panes.map((d, i) => new Pane(i, d));
  const nSteps = Math.max(...panes.map((p) => p.d.steps.length));
  const state = {
    step: 0, selected: null, module: null, collapsed: new Set(), timer: null,
    scale: 1, matches: [], matchAt: -1, marked: [],
  };

  // ---- the panel: what a node is ----------------------------------------------------

  function kv(rows) {
    const t = el("table", { class: "al-kv" });
    for (const [k, v, field] of rows) {
      if (v === null || v === undefined || v === "") continue;
      const td = el("td", field ? { "data-field": field } : {}, v);
      t.append(el("tr", {}, el("td", {}, k), td));
    }
    return t;
  }

  function histogram(s) {
    if (!s.h || !s.h.length) return null;
    const top = Math.max(...s.h) || 1, w = 168, h = 34, bw = w / s.h.length;
    const svg = svgEl("svg", { width: w, height: h + 2, class: "al-hist" });
    s.h.forEach((c, j) => {
      const bh = (c / top) * h;
      svg.append(svgEl("rect", { x: j * bw + 0.5, y: h - bh, width: bw - 1, height: bh, fill: "#6a8fc7" }));
    });
    return el("div", {}, svg, el("div", { class: "al-note" }, fmt(s.lo) + " \u2026 " + fmt(s.hi)));
  }

  /* A value or gradient summary: norm, min, max, mean, counts of NaN and Inf, histogram, values. */
  function summaryBlock(s, what, status) {
    if (!s) return el("p", { class: "al-note" }, what === "grad" ? "no gradient recorded" :
      "freed by backward before it was recorded (record backward inside al.viz.trace())");
    const rows = [["norm", fmt(s.n, 6), what + "-norm"], ["min", fmt(s.lo, 6), what + "-min"],
      ["max", fmt(s.hi, 6), what + "-max"]];
    if (s.mu !== undefined) rows.push(["mean", fmt(s.mu, 6), what + "-mean"]);
    if (s.nan) rows.push(["NaN", s.nan + " entries"]);
    if (s.inf) rows.push(["Inf", s.inf + " entries"]);
    if (status) rows.push(["verdict", statusBadge(status), what + "-status"]);
    const box = el("div", {}, kv(rows), histogram(s));
    if (s.x) box.append(el("div", { class: "al-values" }, "values: [" + s.x.map((v) => fmt(v, 4)).join(", ") + "]"));
    return box;
  }

  function statusBadge(st) {
    const text = { ok: "in range", vanishing: "vanishing", exploding: "exploding", nonfinite: "NaN/Inf" }[st] || "\u2014";
    return el("span", { class: "al-status", style: "background:" + COLORS[st || "None"] }, text);
  }

  /* The columns of the panel: one per pane, headed by its label when there are two. */
  function columns(make) {
    if (panes.length === 1) return make(panes[0]);
    return el("div", { class: "al-cols" }, ...panes.map((p) =>
      el("div", { "data-pane": p.i }, el("div", { class: "al-col-label" }, p.d.label || "snapshot " + (p.i + 1)), make(p))));
  }

  function inputsOf(p, n) {
    const names = [];
    for (const e of p.edgesOf.get(n.id)) {
      const [src, dst] = p.d.edges[e];
      if (dst !== n.id) continue;
      const s = p.nodes.get(src);
      names.push((s.name || s.op || s.k) + " " + (s.shape ? shapeText(s) : ""));
    }
    return names.join("; ");
  }

  function showNode(id) {
    const panel = byId("al-panel");
    panel.replaceChildren();
    const first = panes.map((p) => p.nodes.get(id)).find((n) => n);
    const title = first.k === "module" ? first.name : first.name ? first.name + (first.op ? " = " + first.op : "") : first.op || first.k;
    panel.append(el("h2", { "data-field": "title" }, title, el("span", { class: "al-kind" },
      { op: "op", param: "parameter", input: "input", module: "collapsed module" }[first.k])));
    if (first.k === "module") {
      panel.append(columns((p) => {
        const n = p.nodes.get(id);
        return n ? el("div", {}, kv([["contents", n.label.join("; ")], ["parameters", n.params.join(", ")]]),
          el("h3", {}, "gradient of its output"), summaryBlock(n.g, "grad", n.st)) : el("p", {}, "not in this snapshot");
      }));
      panel.append(el("p", { class: "al-note" }, "Drawn as one box because the graph has " + panes[0].d.total +
        " nodes, more than max_nodes: explore a smaller part, or pass max_nodes=None."));
      return;
    }
    const op = first.op ? panes[0].d.ops[first.op] || panes[panes.length - 1].d.ops[first.op] : null;
    panel.append(kv([
      ["op", first.op, "op"],
      ["params", first.p ? Object.entries(first.p).map(([k, v]) => k + "=" + v).join(", ") : null, "params"],
      ["output", shapeText(first), "shape"],
      ["inputs", first.k === "op" ? inputsOf(panes[0], first) : null],
      ["module", first.c ? panes[0].clusters.get(first.c).label : null],
    ]));
    panel.append(el("h3", {}, first.k === "op" ? "forward value" : "value"));
    panel.append(columns((p) => { const n = p.nodes.get(id); return n ? summaryBlock(n.v, "value") : el("p", {}, "not in this snapshot"); }));
    panel.append(el("h3", {}, first.k === "op" ? "gradient of the loss w.r.t. this output" : ".grad"));
    panel.append(columns((p) => { const n = p.nodes.get(id); return n ? summaryBlock(n.g, "grad", n.st) : el("p", {}, "not in this snapshot"); }));
    if (panes.length === 2) {
      const [a, b] = panes.map((p) => p.nodes.get(id));
      if (a && b && a.g && b.g) {
        panel.append(el("p", { "data-field": "grad-ratio" }, "grad norm, right / left: " + fmt(num(b.g.n) / num(a.g.n), 4)));
      }
    }
    if (op) {
      panel.append(el("h3", {}, "VJP of " + first.op), el("p", {}, rst(op.doc)));
      if (op.vjp.length) panel.append(el("pre", { class: "al-math", "data-field": "vjp" }, op.vjp.join("\n")));
      if (op.note) panel.append(el("p", { class: "al-note" }, rst(op.note)));
    }
    if (first.k === "op") {
      panel.append(el("h3", {}, "created at (most recent call last)"));
      panel.append(first.w !== undefined ? el("pre", { class: "al-where", "data-field": "where" }, panes[0].d.where[first.w])
        : el("p", { class: "al-note" }, "unknown: run the forward pass inside al.detect_anomaly(check_nan=False) to record it"));
    }
  }

  function showModule(cid) {
    const panel = byId("al-panel");
    panel.replaceChildren();
    const p = panes.find((q) => q.clusters.has(cid));
    const c = p.clusters.get(cid);
    const ops = c.members.map((k) => p.d.nodes[k]);
    const on = state.collapsed.has(cid);
    panel.append(el("h2", { "data-field": "title" }, c.label, el("span", { class: "al-kind" }, "module")),
      kv([["ops", String(ops.filter((n) => n.k === "op").length)],
        ["parameters", ops.filter((n) => n.k === "param").map((n) => n.name || "leaf").join(", ")],
        ["worst gradient", statusBadge(p.clusterStatus(c))]]),
      el("button", { onclick: () => toggleModule(cid) }, on ? "expand" : "collapse"));
  }

  // ---- selecting ------------------------------------------------------------------

  function select(id, reveal) {
    state.selected = id;
    state.module = null;
    if (reveal) for (const p of panes) {
      const n = p.nodes.get(id);
      if (n) for (const c of n.chain) if (state.collapsed.has(c)) toggleModule(c, false);
    }
    for (const p of panes) p.ring(p.shown(id));
    showNode(id);
    if (reveal) for (const p of panes) p.reveal(p.shown(id));
  }

  function selectModule(cid) {
    state.selected = null;
    state.module = cid;
    for (const p of panes) p.ring(state.collapsed.has(cid) ? cid + "_cover" : cid);
    showModule(cid);
  }

  // ---- collapsing modules ---------------------------------------------------------

  function toggleModule(cid, on) {
    on = on === undefined ? !state.collapsed.has(cid) : on;
    if (on) state.collapsed.add(cid); else state.collapsed.delete(cid);
    for (const p of panes) p.render();
    showCurrent();
    if (state.selected) for (const p of panes) p.ring(p.shown(state.selected));
    if (state.module === cid) selectModule(cid);
    const button = document.querySelector('#al-modules button[data-cluster="' + cid + '"]');
    if (button) button.textContent = on ? "expand" : "collapse";
  }

  function fillModules() {
    const p = panes[panes.length - 1];
    const list = byId("al-modules");
    if (list.childElementCount || !p.clusters.size) return;
    const items = new Map();
    for (const c of p.clusters.values()) {
      const li = el("li", {},
        el("button", { "data-cluster": c.id, onclick: () => toggleModule(c.id) }, state.collapsed.has(c.id) ? "expand" : "collapse"),
        el("span", { onclick: () => selectModule(c.id) },
          el("span", { class: "al-dot", style: "background:" + COLORS[p.clusterStatus(c) || "None"] }), c.label));
      items.set(c.id, li);
      const parent = c.parent ? items.get(c.parent) : null;
      if (parent) {
        if (!parent.lastChild || parent.lastChild.tagName !== "UL") parent.append(el("ul"));
        parent.lastChild.append(li);
      } else list.append(li);
    }
  }

  // ---- stepping through backward --------------------------------------------------

  function stepMarks(p, k, on) {  // step k (from 1): its node visited, its edges carried a cotangent
    const s = p.d.steps[k - 1];
    if (!s) return;
    p.setClass(p.d.nodes[s[0]].id, "al-visited", on);
    for (const sent of s[3]) for (const e of sent[0]) p.setClass("e" + e, "al-flowed", on);
  }

  function showCurrent() {
    for (const [p, id, cls] of state.marked) p.setClass(id, cls, false);
    state.marked = [];
    const add = (p, id, cls) => { if (id) { p.setClass(id, cls, true); state.marked.push([p, id, cls]); } };
    for (const p of panes) {
      const s = p.d.steps[state.step - 1];
      if (!s) continue;
      add(p, p.shown(p.d.nodes[s[0]].id), "al-current");
      for (const sent of s[3]) {
        for (const e of sent[0]) add(p, "e" + e, "al-flow");
        if (sent[3] >= 0) add(p, p.shown(p.d.nodes[sent[3]].id), "al-updated");
      }
    }
  }

  function setStep(k) {
    k = Math.max(0, Math.min(nSteps, k));
    const old = state.step;
    if (k === old) return;
    for (const p of panes) {
      for (let j = Math.min(old, k) + 1; j <= Math.max(old, k); j++) stepMarks(p, j, k > old);
    }
    state.step = k;
    showCurrent();
    showLeaves();
    showStep();
    const cur = panes.map((p) => p.d.steps[k - 1]).find((s) => s);
    const p = panes.find((q) => q.d.steps[k - 1]);
    if (cur) select(p.d.nodes[cur[0]].id, false);
    if (cur) for (const q of panes) q.reveal(q.shown(p.d.nodes[cur[0]].id));
  }

  function showStep() {
    const text = byId("al-step-text");
    const box = byId("al-step-panel");
    box.replaceChildren();
    if (!nSteps) {
      text.textContent = "no backward recorded";
      box.append(el("p", { class: "al-note" }, "Record backward inside `with al.viz.trace() as tr:` and pass grads=tr to step through it."));
      return;
    }
    if (state.step === 0) {
      text.textContent = "before backward (" + nSteps + " steps)";
      box.append(el("p", { class: "al-note" }, "The forward pass is done. Step 1 visits the output (the loss), whose " +
        "gradient backward() seeds with 1; then each node, newest first, as soon as every use of it has sent its cotangent."));
      return;
    }
    const first = panes.map((p) => p.d.steps[state.step - 1]).find((s) => s);
    text.textContent = "step " + state.step + " / " + nSteps + ": " + first[1];
    box.append(columns((p) => {
      const s = p.d.steps[state.step - 1];
      if (!s) return el("p", {}, "backward had ended");
      const n = p.d.nodes[s[0]];
      const lines = el("ul", { "data-field": "step-sent" });
      for (const [edges, i, norm, leaf, after] of s[3]) {
        const src = edges.length ? p.nodes.get(p.d.edges[edges[0]][0]) : null;
        const who = src ? (src.name || src.op || src.k) : "input " + i;
        const item = el("li", {}, "to input " + i + " (" + who + "): cotangent norm " + fmt(norm, 6));
        if (leaf >= 0 && after) item.append(el("br"), "\u2192 its .grad is now norm " + fmt(after.n, 6));
        lines.append(item);
      }
      return el("div", {},
        el("p", {}, "Visiting ", el("b", { "data-field": "step-node" }, n.k === "module" ? n.name + " (" + s[1] + ")" : (n.name ? n.name + " = " : "") + s[1]),
          ": the cotangent arriving has norm ", el("b", { "data-field": "step-grad" }, fmt(s[2], 6)),
          "; its VJP sends"), lines);
    }));
  }

  const LEAF_ROWS = 60;  // more rows than this are a slow table nobody reads

  /* The parameters' .grad norms at the current step: every parameter of a small graph;
     of a big one, those the last steps added to, newest first. */
  function showLeaves() {
    const table = byId("al-leaves");
    const p = panes[panes.length - 1];
    const params = p.d.nodes.filter((n) => n.k === "param");
    let rows = params, note = null;
    if (params.length > LEAF_ROWS) {
      const seen = new Set();
      for (let k = state.step; k >= 1 && seen.size < LEAF_ROWS; k--) {
        for (const sent of (p.d.steps[k - 1] || [0, 0, 0, []])[3]) if (sent[3] >= 0) seen.add(p.d.nodes[sent[3]]);
      }
      rows = [...seen];
      note = params.length + " parameters: showing those the last steps added to (search a name to find any)";
    }
    const head = el("tr", {}, el("th", {}, "parameter"), el("th", {}, "shape"));
    for (const q of panes) head.append(el("th", {}, (panes.length > 1 ? (q.d.label || "snapshot " + (q.i + 1)) + ": " : "") + ".grad norm now"));
    table.replaceChildren(head);
    for (const n of rows) {
      const row = el("tr", { "data-node": n.id, onclick: () => select(n.id, true) },
        el("td", {}, n.name || "leaf"), el("td", {}, shapeText(n)));
      let now = false;
      for (const q of panes) {
        const m = q.nodes.get(n.id);
        const g = m ? q.leafGrad(m.index, state.step) : null;
        row.append(el("td", { "data-pane": q.i }, g ? fmt(g.n, 6) : "\u2014"));
        const s = q.d.steps[state.step - 1];
        now = now || Boolean(m && s && s[3].some((sent) => sent[3] === m.index));
      }
      row.classList.toggle("al-updated", now);
      table.append(row);
    }
    if (!params.length) table.replaceChildren(el("tr", {}, el("td", {}, "no parameter in this graph")));
    if (note) table.append(el("tr", {}, el("td", { colspan: 2 + panes.length, class: "al-note" }, note)));
  }

  function play() {
    if (state.timer) { clearInterval(state.timer); state.timer = null; byId("al-play").textContent = "\u25B6"; return; }
    if (state.step >= nSteps) setStep(0);
    byId("al-play").textContent = "||";
    state.timer = setInterval(() => {
      if (state.step >= nSteps) { play(); return; }
      setStep(state.step + 1);
    }, 1000 / Number(byId("al-speed").value));
  }

  // ---- search, flags, legend, zoom ------------------------------------------------

  function search(query, next) {
    const q = query.trim().toLowerCase();
    if (!next) {
      const p = panes[panes.length - 1];
      state.matches = q ? p.d.nodes.filter((n) => (n.name || "").toLowerCase().includes(q) ||
        (n.op || "").toLowerCase().includes(q)).map((n) => n.id) : [];
      for (const p2 of panes) {
        for (const [id, set] of p2.classes) if (set.has("al-match")) p2.setClass(id, "al-match", false);
        for (const id of state.matches) if (p2.nodes.has(id)) p2.setClass(id, "al-match", true);
      }
      state.matchAt = -1;
    }
    const count = byId("al-search-count");
    count.textContent = q ? (state.matches.length ? "" : "no match") : "";
    if (!state.matches.length) return;
    state.matchAt = (state.matchAt + 1) % state.matches.length;
    count.textContent = (state.matchAt + 1) + " of " + state.matches.length;
    select(state.matches[state.matchAt], true);
  }

  function fillFlags() {
    const list = byId("al-flags");
    if (list.childElementCount) return;
    for (const p of panes) {
      for (const n of p.d.nodes) {
        if (!n.st || n.st === "ok") continue;
        list.append(el("li", { "data-node": n.id, onclick: () => select(n.id, true) },
          el("span", { class: "al-dot", style: "background:" + COLORS[n.st] }),
          (panes.length > 1 ? "[" + (p.d.label || p.i + 1) + "] " : "") + (n.name || n.op || n.k) + ": " + n.st));
      }
    }
    if (!list.childElementCount) list.append(el("li", {}, "no vanishing, exploding or NaN gradient"));
  }

  function fillLegend() {
    const p = panes[panes.length - 1];
    const [van, exp] = p.d.thresholds;
    const counts = {};
    for (const n of p.d.nodes) if (n.st) counts[n.st] = (counts[n.st] || 0) + 1;
    const legend = byId("al-legend");
    const rows = [["nonfinite", "NaN/Inf"], ["exploding", "max|g| > " + exp], ["ok", "in range"], ["vanishing", "max|g| < " + van]];
    for (const [st, text] of rows) {
      legend.append(el("span", { style: "background:" + COLORS[st], "data-status": st, title: "gradients " + text },
        text + ": " + (counts[st] || 0)));
    }
  }

  function zoom(scale) {
    scale = Math.max(0.02, Math.min(4, scale));
    if (scale === state.scale) return;  // a new size lays the whole SVG out again
    state.scale = scale;
    for (const p of panes) {
      p.svg.setAttribute("width", p.w * state.scale * PX);
      p.svg.setAttribute("height", p.h * state.scale * PX);
      p.render();
    }
  }

  const fitScale = (whole) => Math.min(...panes.map((p) => Math.min(p.scroll.clientWidth / (p.w * PX),
    whole ? p.scroll.clientHeight / (p.h * PX) : Infinity)));

  // ---- events ---------------------------------------------------------------------

  function target(ev) {
    const cover = ev.target.closest("g.al-cover");
    if (cover) return { module: cover.dataset.cluster };
    const g = ev.target.closest("g.node, g.cluster");
    if (!g) return null;
    const id = g.id.slice(g.id.indexOf("_") + 1);  // "p0_n3" -> "n3"
    return g.classList.contains("node") ? { node: id } : { module: id };
  }

  function card(ev) {
    const box = byId("al-card");
    const t = target(ev);
    if (!t || !t.node) { box.hidden = true; return; }
    const pane = panes[Number(ev.currentTarget.dataset.pane)];
    const n = pane.nodes.get(t.node);
    box.replaceChildren(el("b", {}, n.name || n.op || n.k), n.shape ? " " + shapeText(n) : "",
      el("br"), n.g ? "grad norm " + fmt(n.g.n) + (n.st && n.st !== "ok" ? " (" + n.st + ")" : "") : "no gradient");
    box.style.left = ev.clientX + 14 + "px";
    box.style.top = ev.clientY + 14 + "px";
    box.hidden = false;
  }

  for (const p of panes) {
    p.root.addEventListener("click", (ev) => {
      const t = target(ev);
      if (t && t.node) select(t.node, false);
      else if (t) selectModule(t.module);
    });
    p.root.addEventListener("dblclick", (ev) => { const t = target(ev); if (t && t.module) toggleModule(t.module); });
    p.root.addEventListener("mouseover", card);
    p.root.addEventListener("mouseleave", () => { byId("al-card").hidden = true; });
    p.scroll.addEventListener("wheel", (ev) => {
      if (!ev.ctrlKey) return;
      ev.preventDefault();
      zoom(state.scale * (ev.deltaY < 0 ? 1.15 : 1 / 1.15));
    }, { passive: false });
  }
  byId("al-first").addEventListener("click", () => setStep(0));
  byId("al-prev").addEventListener("click", () => setStep(state.step - 1));
  byId("al-next").addEventListener("click", () => setStep(state.step + 1));
  byId("al-play").addEventListener("click", play);
  byId("al-speed").addEventListener("change", () => { if (state.timer) { play(); play(); } });
  byId("al-search").addEventListener("input", (ev) => search(ev.target.value, false));
  byId("al-search").addEventListener("keydown", (ev) => { if (ev.key === "Enter") search(ev.target.value, true); });
  byId("al-zoom-in").addEventListener("click", () => zoom(state.scale * 1.25));
  byId("al-zoom-out").addEventListener("click", () => zoom(state.scale / 1.25));
  byId("al-zoom-fit").addEventListener("click", () => zoom(fitScale(true)));
  // Filled when first opened (a big graph has thousands of modules), by the click itself:
  // the "toggle" event would come a moment after the list is on screen.
  byId("al-modules-box").querySelector("summary").addEventListener("click", fillModules);
  byId("al-flags-box").querySelector("summary").addEventListener("click", fillFlags);
  document.addEventListener("keydown", (ev) => {
    if (ev.target.closest("input, select, textarea")) return;
    const keys = { ArrowRight: () => setStep(state.step + 1), ArrowLeft: () => setStep(state.step - 1),
      Home: () => setStep(0), End: () => setStep(nSteps), " ": play };
    if (keys[ev.key]) { ev.preventDefault(); keys[ev.key](); }
  });

  fillLegend();
  showLeaves();
  showStep();
  state.scale = 0;  // so that zoom() sizes the SVGs (and draws them) whatever the scale
  zoom(Math.min(1, fitScale(false)));
  if (byId("al-modules-box").open) fillModules();
  // For scripts driving the page (the tests and the benchmark): scroll a node on screen.
  window.alExplorer = { reveal: (id) => { for (const p of panes) p.reveal(p.shown(id)); } };
  document.documentElement.dataset.ready = "1";
})();
