// SPDX-License-Identifier: MIT
// A small element builder: h("button", {class: "x", onclick: f}, "text", child...). Text is
// always set as text (never as HTML), so nothing from the wire can become markup.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
export const nextId = (p) => `${p}-${++uid}`;

// A labelled form control: <label for=id>text</label><input id=id ...>.
export function field(label, control, hint) {
  const id = control.id || (control.id = nextId("f"));
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("small", { class: "hint" }, hint) : null);
}

// A table from rows and columns [{title, get(row) -> Node|string, class}].
export function table(cols, rows, { caption, onrow, rowLabel } = {}) {
  const t = h("table", { class: "grid" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, cols.map((c) => h("th", { scope: "col", class: c.class }, c.title)))));
  const tb = h("tbody");
  for (const r of rows) {
    const tr = h("tr", {}, cols.map((c) => h("td", { class: c.class }, c.get(r))));
    if (onrow) {
      tr.tabIndex = 0;
      tr.classList.add("clickable");
      if (rowLabel) tr.setAttribute("aria-label", rowLabel(r));
      tr.addEventListener("click", () => onrow(r, tr));
      tr.addEventListener("keydown", (e) => { if (e.key === "Enter") onrow(r, tr); });
    }
    tb.append(tr);
  }
  t.append(tb);
  if (!rows.length) tb.append(h("tr", {}, h("td", { colspan: cols.length, class: "empty" }, "Nothing here yet.")));
  return t;
}

export function message(kind, text) {
  return h("p", { class: `msg ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
