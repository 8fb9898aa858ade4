// SPDX-License-Identifier: MIT
// "Follow stream": both directions' payload of one connection, in order, as text or hex.
// The packets come with their bytes from capture_conn_stream (flags=1), by pages; the payload
// is what follows the transport header (decode.js). At most MAX_BYTES are shown.
import { h, clear } from "../dom.js";
import { call } from "../api.js";
import * as fmt from "../fmt.js";
import { hexToBytes, payloadOf } from "../decode.js";
import { errorNote } from "../ui.js";

const MAX_BYTES = 4 << 20;

export async function followStream(el, captureId, conn) {
  const title = `Stream of connection ${conn.ConnId}: ${fmt.endpoint(conn.SrcIp, conn.SrcPort)} ⇄ ${fmt.endpoint(conn.DstIp, conn.DstPort)}`;
  const mode = h("select", { id: "follow-mode", "aria-label": "Show the payload as" }, h("option", { value: "text" }, "Text"), h("option", { value: "hex" }, "Hex"));
  const out = h("div", { class: "stream", tabindex: 0, role: "region", "aria-label": "Stream payload" });
  const info = h("p", { class: "hint", "aria-live": "polite" }, "Reading the connection's packets…");
  clear(el, h("section", { "aria-labelledby": "follow-title" },
    h("h2", { id: "follow-title" }, title),
    h("div", { class: "row" }, h("label", { for: "follow-mode" }, "Show as "), mode,
      h("span", { class: "legend out" }, `→ ${fmt.endpoint(conn.DstIp, conn.DstPort)}`),
      h("span", { class: "legend in" }, `← ${fmt.endpoint(conn.SrcIp, conn.SrcPort)}`)),
    info, out));
  el.scrollIntoView({ block: "nearest" });
  const chunks = [];
  let total = 0, packets = 0, last = 0;
  try {
    for (;;) {
      const page = await call("capture_conn_stream", { capture_id: captureId, conn_id: conn.ConnId, flags: 1, last_id: last, count: 500 });
      for (const p of page.Packets) {
        packets++;
        const data = payloadOf(hexToBytes(p.Data || ""), p.LinkType);
        if (!data.length) continue;
        const out = p.SrcIp === conn.SrcIp && Number(p.SrcPort) === Number(conn.SrcPort);
        const prev = chunks[chunks.length - 1];
        if (prev && prev.out === out) prev.parts.push(data);
        else chunks.push({ out, parts: [data] });
        total += data.length;
      }
      last = page.LastId;
      if (!page.More || !page.Packets.length || total >= MAX_BYTES) break;
    }
  } catch (e) {
    clear(info, errorNote(e));
    return;
  }
  info.textContent = `${fmt.count(packets)} packets, ${fmt.bytes(total)} of payload${total >= MAX_BYTES ? " (the first 4 MiB)" : ""}.`;
  const render = () => {
    clear(out, chunks.map((c) => {
      const bytes = concat(c.parts);
      return h("pre", { class: c.out ? "out" : "in" }, mode.value === "hex" ? hexLines(bytes) : text(bytes));
    }));
    if (!chunks.length) clear(out, h("p", {}, "This connection carried no payload."));
  };
  mode.addEventListener("change", render);
  render();
}

function concat(parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const b = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    b.set(p, o);
    o += p.length;
  }
  return b;
}

// Printable ASCII, newlines and tabs as they are; other bytes as "."; valid UTF-8 decoded.
function text(b) {
  const s = new TextDecoder("utf-8", { fatal: false }).decode(b);
  return s.replace(/[^\P{C}\n\t]/gu, ".");
}

function hexLines(b) {
  let s = "";
  for (let o = 0; o < b.length; o += 16) {
    const row = b.subarray(o, o + 16);
    s += o.toString(16).padStart(8, "0") + "  " + [...row].map((x) => x.toString(16).padStart(2, "0")).join(" ").padEnd(48) +
      "  " + [...row].map((x) => (x >= 32 && x < 127 ? String.fromCharCode(x) : ".")).join("") + "\n";
  }
  return s;
}
