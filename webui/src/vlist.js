// SPDX-License-Identifier: MIT
// A virtual list for the packet lists: it draws only the rows in view and loads only the pages
// (of `pageSize` rows, read over last_id) that rows in view need, once scrolling has settled,
// so dragging the scroll bar through a 1,000,000-packet capture reads the pages at the place
// it stops and none on the way. Its scroll height is capped (browsers limit an element's
// height), past that the scroll position maps proportionally onto the rows.
// Keyboard: arrows, Page Up/Down, Home/End move the selection; Enter opens the row.
import { h } from "./dom.js";

const MAX_PX = 8000000;
const SETTLE_MS = 100;
const KEEP_PAGES = 60;

export class VirtualList {
  // o: {label, columns: [{title, class, get(item)}], total, pageSize, rowHeight,
  //     loadPage(index) -> Promise<items>, onselect(item, i), onopen(item, i)}
  constructor(o) {
    this.o = o;
    this.rowH = o.rowHeight || 22;
    this.pageSize = o.pageSize || 200;
    this.total = o.total || 0;
    this.pages = new Map(); // page index -> {items, partial} | {pending: Promise}
    this.stats = { pagesLoaded: 0, firstPageMs: 0 };
    this.selected = -1;
    this.follow = false;
    this.t0 = performance.now();
    this.id = `vl${Math.random().toString(36).slice(2, 8)}`;
    const cols = o.columns;
    this.head = h("div", { class: "vrow vhead", role: "row", "aria-rowindex": 1 },
      cols.map((c) => h("div", { class: `vcell ${c.class || ""}`, role: "columnheader" }, c.title)));
    this.port = h("div", { class: "vport", role: "presentation" });
    this.spacer = h("div", { class: "vspacer", role: "presentation" });
    this.el = h("div", {
      class: "vlist", role: "grid", tabindex: 0, "aria-label": o.label,
      "aria-colcount": cols.length, "aria-multiselectable": "false",
    }, this.head, this.port, this.spacer);
    this.rows = [];
    this.el.addEventListener("scroll", () => this.draw());
    this.el.addEventListener("keydown", (e) => this.key(e));
    this.port.addEventListener("click", (e) => {
      const r = e.target.closest(".vrow");
      if (r && r.dataset.i) this.select(Number(r.dataset.i));
    });
    this.port.addEventListener("dblclick", (e) => {
      const r = e.target.closest(".vrow");
      if (r && r.dataset.i) this.open(Number(r.dataset.i));
    });
    new ResizeObserver(() => this.layout()).observe(this.el);
    this.setTotal(this.total);
  }

  get viewH() {
    return Math.max(this.rowH, this.el.clientHeight - this.head.offsetHeight);
  }

  layout() {
    const full = this.total * this.rowH;
    this.height = Math.min(full, MAX_PX);
    this.port.style.height = `${this.viewH}px`;
    this.spacer.style.height = `${Math.max(0, this.height - this.viewH)}px`;
    this.el.setAttribute("aria-rowcount", String(this.total + 1));
    this.draw();
  }

  // The row at the top of the view, fractional.
  firstRow() {
    const fit = this.viewH / this.rowH;
    const range = Math.max(1, this.height - this.viewH);
    if (this.total * this.rowH <= MAX_PX) return this.el.scrollTop / this.rowH;
    return (Math.min(this.el.scrollTop, range) / range) * Math.max(0, this.total - fit);
  }

  scrollToRow(i) {
    const fit = this.viewH / this.rowH;
    if (this.total * this.rowH <= MAX_PX) this.el.scrollTop = i * this.rowH;
    else this.el.scrollTop = (i / Math.max(1, this.total - fit)) * Math.max(1, this.height - this.viewH);
  }

  // Grows (live captures) or resets the row count; a page read while it was the last and
  // short is read again.
  setTotal(n, { follow } = {}) {
    if (n < this.total) this.pages.clear();
    for (const [k, p] of this.pages) if (p.partial && k * this.pageSize < n) this.pages.delete(k);
    this.total = n;
    if (follow !== undefined) this.follow = follow;
    this.layout();
    if (this.follow) this.scrollToRow(this.total);
  }

  item(i) {
    const p = this.pages.get(Math.floor(i / this.pageSize));
    return p && p.items ? p.items[i % this.pageSize] : undefined;
  }

  draw() {
    const f = this.firstRow();
    const first = Math.floor(f);
    const n = Math.min(this.total - first, Math.ceil(this.viewH / this.rowH) + 1);
    this.port.firstElementChild && (this.port.style.setProperty("--shift", `${-(f - first) * this.rowH}px`));
    while (this.rows.length < n) {
      const r = h("div", { class: "vrow", role: "row" },
        this.o.columns.map((c) => h("div", { class: `vcell ${c.class || ""}`, role: "gridcell" })));
      this.rows.push(r);
      this.port.append(r);
    }
    let missing = false;
    this.rows.forEach((r, k) => {
      const i = first + k;
      if (k >= n || i < 0) {
        r.hidden = true;
        return;
      }
      r.hidden = false;
      const it = this.item(i);
      r.dataset.i = i;
      r.id = `${this.id}-${i}`;
      r.setAttribute("aria-rowindex", String(i + 2));
      r.setAttribute("aria-selected", String(i === this.selected));
      r.classList.toggle("loading", !it);
      if (it) {
        r.dataset.loaded = "1";
        this.o.columns.forEach((c, j) => { r.children[j].textContent = c.get(it); });
        if (this.o.rowClass) r.dataset.kind = this.o.rowClass(it);
      } else {
        delete r.dataset.loaded;
        this.o.columns.forEach((c, j) => { r.children[j].textContent = j === 0 ? String(i + 1) : ""; });
        missing = true;
      }
    });
    this.el.setAttribute("aria-activedescendant", this.selected >= first && this.selected < first + n ? `${this.id}-${this.selected}` : "");
    if (missing) {
      clearTimeout(this.settle);
      this.settle = setTimeout(() => this.fetch(first, n), this.pages.size ? SETTLE_MS : 0);
    }
  }

  fetch(first, n) {
    const want = new Set();
    for (let i = first; i < first + n && i < this.total; i++) want.add(Math.floor(i / this.pageSize));
    for (const k of want) {
      if (this.pages.has(k)) continue;
      const pending = this.o.loadPage(k).then((items) => {
        this.pages.set(k, { items, partial: items.length < this.pageSize });
        this.stats.pagesLoaded++;
        if (this.stats.pagesLoaded === 1) {
          this.stats.firstPageMs = performance.now() - this.t0;
          performance.mark("apc-first-page");
        }
        this.trim(k);
        this.draw();
        this.el.dispatchEvent(new CustomEvent("pageloaded", { detail: { page: k } }));
      }, (e) => {
        this.pages.delete(k);
        this.el.dispatchEvent(new CustomEvent("pageerror", { detail: e }));
      });
      this.pages.set(k, { pending });
    }
  }

  // Keeps memory bounded on long scrolls: the pages farthest from the last one read go.
  trim(near) {
    if (this.pages.size <= KEEP_PAGES) return;
    const far = [...this.pages.keys()].sort((a, b) => Math.abs(b - near) - Math.abs(a - near));
    for (const k of far.slice(0, this.pages.size - KEEP_PAGES)) this.pages.delete(k);
  }

  select(i) {
    if (i < 0 || i >= this.total) return;
    this.selected = i;
    const f = this.firstRow(), fit = Math.floor(this.viewH / this.rowH);
    if (i < f) this.scrollToRow(i);
    else if (i >= f + fit) this.scrollToRow(i - fit + 1);
    this.draw();
    const it = this.item(i);
    if (it && this.o.onselect) this.o.onselect(it, i);
    else if (!it) this.waitFor(i, () => this.o.onselect && this.o.onselect(this.item(i), i));
  }

  waitFor(i, then) {
    const on = () => {
      if (this.item(i)) {
        this.el.removeEventListener("pageloaded", on);
        if (this.selected === i) then();
      }
    };
    this.el.addEventListener("pageloaded", on);
  }

  open(i) {
    const it = this.item(i);
    if (it && this.o.onopen) this.o.onopen(it, i);
  }

  key(e) {
    const fit = Math.max(1, Math.floor(this.viewH / this.rowH) - 1);
    const cur = this.selected < 0 ? Math.floor(this.firstRow()) - 1 : this.selected;
    const to = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + fit, PageUp: cur - fit, Home: 0, End: this.total - 1 }[e.key];
    if (to !== undefined) {
      e.preventDefault();
      this.select(Math.max(0, Math.min(this.total - 1, to)));
    } else if (e.key === "Enter" && this.selected >= 0) {
      e.preventDefault();
      this.open(this.selected);
    }
  }
}
