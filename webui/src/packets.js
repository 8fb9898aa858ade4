// SPDX-License-Identifier: MIT
// The packet list and the packet detail (tree and hex dump), shared by the capture view, the
// search page and the live page.
import { h, clear } from "./dom.js";
import { call } from "./api.js";
import * as fmt from "./fmt.js";
import { VirtualList } from "./vlist.js";
import { dissect, hexToBytes } from "./decode.js";
import { hexdump, errorNote } from "./ui.js";

export const PAGE = 200;

export const COLUMNS = [
  { title: "No.", class: "c-no", get: (p) => String(p.PacketId) },
  { title: "Time", class: "c-time", get: (p) => fmt.time(p.Time) },
  { title: "Source", class: "c-addr", get: (p) => fmt.endpoint(p.SrcIp, p.SrcPort) },
  { title: "Destination", class: "c-addr", get: (p) => fmt.endpoint(p.DstIp, p.DstPort) },
  { title: "Protocol", class: "c-proto", get: (p) => fmt.proto(p.Protocol) || (p.SrcIp ? "" : "other") },
  { title: "Length", class: "c-len num", get: (p) => String(p.Length) },
  { title: "Process", class: "c-proc", get: (p) => p.ProcessName || "" },
  { title: "PID/TID", class: "c-pid", get: (p) => (p.Pid ? `${p.Pid}/${p.Tid || "-"}` : "") },
  { title: "Attribution", class: "c-attr", get: (p) => (p.Attribution === "none" ? "" : p.Attribution) },
  { title: "Info", class: "c-info", get: (p) => p.Summary },
];

// A virtual list whose rows are numbered 1..total and read by pages of PAGE over last_id:
// read(lastId, count) -> Promise<packets>.
export function packetList({ label, total, read, onselect, onopen }) {
  return new VirtualList({
    label, total, pageSize: PAGE, columns: COLUMNS, onselect, onopen,
    rowClass: (p) => fmt.proto(p.Protocol).toLowerCase(),
    loadPage: (k) => read(k * PAGE, PAGE),
  });
}

// The detail pane: the packet's fields as a tree (each a button that marks its bytes in the
// dump) and its bytes. Returns {el, show(packet)}.
export function packetDetail() {
  const tree = h("div", { class: "tree", role: "region", "aria-label": "Packet details" }, h("p", { class: "hint" }, "Select a packet to see its fields and bytes."));
  const dump = h("div", { class: "dump", role: "region", "aria-label": "Packet bytes" });
  const el = h("div", { class: "detail" }, tree, dump);
  let seq = 0;
  async function show(p) {
    const mine = ++seq;
    let full;
    try {
      full = await call("capture_get_packet", { capture_id: p.CaptureId, packet_id: p.PacketId });
    } catch (e) {
      clear(tree, errorNote(e));
      return;
    }
    if (mine !== seq) return;
    const bytes = hexToBytes(full.Data || "");
    const layers = dissect(bytes, full.LinkType, full.Length);
    const mark = (r) => clear(dump, hexdump(bytes, r));
    clear(tree, h("h2", { class: "sr-only" }, `Packet ${full.PacketId}`),
      h("ul", { class: "meta" },
        h("li", {}, `Packet ${full.PacketId} of capture ${full.CaptureId}, ${fmt.time(full.Time, 7)}`),
        full.ProcessName || full.Pid ? h("li", {}, `Process ${full.ProcessName || "?"} (pid ${full.Pid}, tid ${full.Tid || "?"}), attribution: ${full.Attribution}`) : null,
        full.ConnId ? h("li", {}, h("a", { href: `#/capture/${full.CaptureId}/connections?conn=${full.ConnId}` }, `Connection ${full.ConnId}`)) : null,
        full.Notes ? h("li", {}, `Notes: ${full.Notes}`) : null),
      layers.map((l, i) => h("details", { open: i > 0, class: l.error ? "bad" : "" },
        h("summary", { onclick: () => mark([l.start, l.end]) }, l.name),
        l.fields.length ? h("ul", {}, l.fields.map((f) => h("li", {},
          h("button", { type: "button", class: "fld", onclick: () => mark([f.start, f.end]) }, `${f.label}: `, h("span", { class: "v" }, f.value))))) : null)));
    mark(null);
  }
  return { el, show };
}
