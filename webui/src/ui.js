// SPDX-License-Identifier: MIT
// Pieces every page uses: the page frame, error and "not supported yet" notes, polling that
// stops when the page is left, and the hex/ASCII dump.
import { h, clear, message } from "./dom.js";

// Timers and listeners of the page shown; cleared by the router when another page opens.
const cleanups = [];
export function onLeave(f) {
  cleanups.push(f);
}
export function leave() {
  while (cleanups.length) {
    try {
      cleanups.pop()();
    } catch {}
  }
}

// Runs f now and every `ms` until the page is left (the next run starts after f has ended).
export function poll(ms, f) {
  let stop = false, t = 0;
  const run = async () => {
    if (stop) return;
    try {
      await f();
    } catch (e) {
      console.warn(e);
    }
    if (!stop) t = setTimeout(run, ms);
  };
  run();
  onLeave(() => { stop = true; clearTimeout(t); });
}

export function frame(main, title, ...content) {
  document.title = `${title} · AppPacCap`;
  clear(main, h("h1", {}, title), ...content);
}

// An error as a person reads it: an action another part of AppPacCap has not built yet is
// "not supported yet", anything else the server's message.
export function errorNote(e, what) {
  if (e && e.unsupported) {
    return h("div", { class: "msg unsupported", role: "status" },
      h("strong", {}, `${what || "This"} is not supported yet. `),
      `apcd answered: ${e.message}. This page works as soon as apcd implements it.`);
  }
  return message("error", `${what ? what + ": " : ""}${e && e.message ? e.message : String(e)}`);
}

export function section(title, ...content) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return h("section", { "aria-labelledby": id }, h("h2", { id }, title), ...content);
}

export function busy(el, text = "Loading…") {
  clear(el, h("p", { class: "busy", role: "status" }, text));
}

// Hex and ASCII, 16 bytes a line; `mark` = [start, end) is highlighted (the field chosen in
// the tree).
export function hexdump(bytes, mark) {
  const pre = h("pre", { class: "hexdump", tabindex: 0, "aria-label": "Packet bytes, hex and ASCII" });
  const [ms, me] = mark || [0, 0];
  for (let o = 0; o < bytes.length; o += 16) {
    const line = h("span", { class: "hexline" }, h("span", { class: "off" }, o.toString(16).padStart(4, "0")), "  ");
    let ascii = "";
    for (let i = 0; i < 16; i++) {
      const k = o + i;
      if (k < bytes.length) {
        const b = bytes[k];
        const s = b.toString(16).padStart(2, "0");
        line.append(k >= ms && k < me ? h("mark", {}, s) : s, i === 7 ? "  " : " ");
        ascii += b >= 32 && b < 127 ? String.fromCharCode(b) : ".";
      } else {
        line.append("   ", i === 7 ? " " : "");
      }
    }
    const a = h("span", { class: "ascii" });
    for (let i = 0; i < ascii.length; i++) {
      const k = o + i;
      a.append(k >= ms && k < me ? h("mark", {}, ascii[i]) : ascii[i]);
    }
    line.append(" ", a, "\n");
    pre.append(line);
  }
  return pre;
}

export function progress(label) {
  const bar = h("progress", { max: 100, value: 0, "aria-label": label });
  const text = h("span", { class: "ptext", "aria-live": "polite" });
  return { el: h("div", { class: "progress" }, bar, text), bar, text };
}
