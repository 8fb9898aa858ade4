// SPDX-License-Identifier: MIT
// The display-filter bar: checked as you type with search_verify_filter; a fault is shown
// underlined from its offset (ErrorOffset counts UTF-8 bytes) with the checker's message.
import { h, clear, nextId } from "./dom.js";
import { call } from "./api.js";

function charIndex(text, byteOffset) {
  const enc = new TextEncoder();
  for (let i = 0; i <= text.length; i++) if (enc.encode(text.slice(0, i)).length >= byteOffset) return i;
  return text.length;
}

// o: {value, placeholder, onapply(filter), buttons: [Node]}. Returns {el, input, set(v)}.
export function filterBar(o) {
  const id = nextId("filter");
  const input = h("input", {
    id, type: "search", class: "filter", value: o.value || "", spellcheck: "false", autocomplete: "off",
    placeholder: o.placeholder || "display filter, e.g. tcp.port == 443 && proc.name == \"curl\"",
    "aria-describedby": `${id}-msg`,
  });
  const shown = h("div", { class: "filter-show", "aria-hidden": "true" });
  const msg = h("div", { id: `${id}-msg`, class: "filter-msg", "aria-live": "polite" });
  const apply = h("button", { type: "submit", class: "primary" }, "Apply");
  const form = h("form", { class: "filterbar", role: "search" },
    h("label", { for: id, class: "sr-only" }, "Display filter"), input, apply, ...(o.buttons || []), shown, msg);
  let seq = 0, timer = 0, valid = true;
  async function verify() {
    const mine = ++seq, text = input.value;
    if (!text.trim()) {
      valid = true;
      input.removeAttribute("aria-invalid");
      form.classList.remove("ok", "bad");
      clear(shown);
      clear(msg);
      return true;
    }
    let r;
    try {
      r = await call("search_verify_filter", { filter: text });
    } catch (e) {
      clear(msg, e.message);
      return false;
    }
    if (mine !== seq) return valid;
    valid = !!r.Valid;
    form.classList.toggle("ok", valid);
    form.classList.toggle("bad", !valid);
    if (valid) {
      input.removeAttribute("aria-invalid");
      clear(shown);
      clear(msg);
    } else {
      input.setAttribute("aria-invalid", "true");
      const at = charIndex(text, Number(r.ErrorOffset));
      clear(shown, text.slice(0, at), h("span", { class: "err-at" }, text.slice(at) || " "));
      clear(msg, h("span", { class: "error" }, `${r.Error} (at character ${at + 1})`));
    }
    return valid;
  }
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(verify, 150);
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearTimeout(timer);
    if (await verify()) o.onapply(input.value.trim());
    else input.focus();
  });
  if (input.value) verify();
  return { el: form, input, set: (v) => { input.value = v; verify(); } };
}
