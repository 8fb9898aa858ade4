// SPDX-License-Identifier: MIT
// One capture, Wireshark-style: the packet list (virtual, over last_id pages) with a filter
// bar, the selected packet's tree and bytes; connections with "follow stream"; processes as
// a tree; IP addresses with names, places and notes.
import { h, clear, table } from "../dom.js";
import { call, readAll, E } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, errorNote, busy } from "../ui.js";
import { packetList, packetDetail } from "../packets.js";
import { filterBar } from "../filterbar.js";
import { startSearch } from "../searching.js";
import { exportTo } from "./captures.js";
import { followStream } from "./follow.js";

const TABS = [["packets", "Packets"], ["connections", "Connections"], ["processes", "Processes"], ["ips", "IP addresses"]];

function query() {
  const q = location.hash.split("?")[1] || "";
  return new URLSearchParams(q);
}

export async function capture(main, id, tab = "packets") {
  // The address is this page's to rewrite only while it still shows this page and still names
  // this capture: a hash the user set meanwhile is routed after us, from location.hash, and a
  // rewrite in between would send the router back here (CI run50).
  const mine = () => main.isConnected && new RegExp(`^#/capture/${id}(?:[/?]|$)`).test(location.hash);
  let meta;
  try {
    meta = await call("capture_open", { capture_id: id });
  } catch (e) {
    if (e.code === E.CONFLICT) {
      if (mine()) location.hash = `#/live/${id}`; // an active capture is watched on the live page
      return;
    }
    frame(main, `Capture ${id}`, errorNote(e));
    return;
  }
  const status = h("div", { "aria-live": "polite" });
  const body = h("div", { class: `tab-${tab}` });
  frame(main, `Capture ${id}: ${meta.Name || meta.SourceFile || meta.Type}`,
    h("p", { class: "capfacts" },
      `${fmt.count(meta.Packets)} packets, ${fmt.bytes(meta.Bytes)}, ${fmt.count(meta.Connections)} connections; `,
      `${fmt.time(meta.FirstTime || meta.StartTime, 0)} for ${fmt.duration(fmt.seconds(meta.FirstTime, meta.LastTime))}`,
      meta.Notes ? ` · Notes: ${meta.Notes}` : ""),
    h("div", { class: "row" },
      h("nav", { class: "tabs", "aria-label": "Capture views" }, TABS.map(([k, t]) =>
        h("a", { href: `#/capture/${id}/${k}`, "aria-current": k === tab ? "page" : null }, t))),
      h("span", { class: "spacer" }),
      h("a", { href: `#/stats/${id}`, class: "button" }, "Statistics"),
      h("button", { type: "button", onclick: () => exportTo(status, "capture_export", { capture_id: id }) }, "Download pcapng")),
    status, body);
  if (tab === "connections") return connections(body, id, meta);
  if (tab === "processes") return processes(body, id);
  if (tab === "ips") return ips(body, id);
  return packets(body, id, meta, query().get("f") || "", mine);
}

function packets(body, id, meta, initial, mine) {
  const detail = packetDetail();
  const listBox = h("div", { class: "listbox" });
  const count = h("p", { class: "count", "aria-live": "polite" });
  let search = null;
  const cancel = h("button", { type: "button", hidden: true, onclick: () => search && search.cancel() }, "Cancel");
  const exp = h("button", { type: "button", hidden: true, onclick: () => exportTo(note, "search_export", { search_id: search.id }) }, "Export matches");
  const note = h("div");
  const bar = filterBar({ value: initial, onapply: (f) => show(f), buttons: [cancel, exp] });
  clear(body, bar.el, note, count, listBox, detail.el);
  async function show(filter) {
    if (mine()) history.replaceState(null, "", `#/capture/${id}/packets${filter ? `?f=${encodeURIComponent(filter)}` : ""}`);
    if (search) search.done();
    search = null;
    cancel.hidden = exp.hidden = true;
    clear(note);
    const onselect = (p) => detail.show(p);
    if (!filter) {
      const total = Number(meta.LastPacketId) || 0;
      count.textContent = `${fmt.count(total)} packets`;
      const list = packetList({
        label: `Packets of capture ${id}`, total, onselect,
        read: (last, n) => call("capture_read", { capture_id: id, last_id: last, count: n }).then((r) => r.Packets),
      });
      window.apcList = list;
      clear(listBox, list.el);
      return;
    }
    const list = packetList({ label: `Packets of capture ${id} matching the filter`, total: 0, onselect, read: (l, n) => search.read(l, n) });
    window.apcList = list;
    clear(listBox, list.el);
    try {
      search = await startSearch({
        filter, captureId: id, onmeta: (m) => {
          const running = m.State === "queued" || m.State === "running";
          cancel.hidden = !running;
          exp.hidden = running || !Number(m.Matches);
          count.textContent = `${fmt.count(m.Matches)} of ${fmt.count(meta.Packets)} packets match` +
            (running ? ` (searching, ${m.Progress}%)` : m.State === "completed" ? "" : ` (search ${m.State}${m.Error ? `: ${m.Error}` : ""})`);
          count.dataset.state = m.State;
          count.dataset.matches = String(m.Matches);
          list.setTotal(Number(m.Matches));
        },
      });
    } catch (e) {
      clear(note, errorNote(e, "Search"));
    }
  }
  show(initial);
}

async function connections(body, id) {
  busy(body);
  const q = query();
  let list;
  try {
    list = await readAll("capture_list_conns", { capture_id: id }, "ConnId");
  } catch (e) {
    return clear(body, errorNote(e));
  }
  const proc = q.get("proc"), conn = q.get("conn");
  if (proc) list = list.filter((c) => String(c.ProcessId) === proc);
  const follow = h("div", { class: "follow" });
  const cols = [
    { title: "Id", get: (c) => String(c.ConnId), class: "num" },
    { title: "Protocol", get: (c) => fmt.proto(c.Protocol) },
    { title: "Initiator", get: (c) => fmt.endpoint(c.SrcIp, c.SrcPort) },
    { title: "Responder", get: (c) => fmt.endpoint(c.DstIp, c.DstPort) },
    { title: "Host", get: (c) => c.HostName },
    { title: "Packets →/←", get: (c) => `${fmt.count(c.PacketsOut)} / ${fmt.count(c.PacketsIn)}`, class: "num" },
    { title: "Bytes →/←", get: (c) => `${fmt.bytes(c.BytesOut)} / ${fmt.bytes(c.BytesIn)}`, class: "num" },
    { title: "First", get: (c) => fmt.time(c.FirstTime, 3) },
    { title: "Duration", get: (c) => fmt.duration(fmt.seconds(c.FirstTime, c.LastTime)) },
    { title: "State", get: (c) => c.State },
    { title: "Process", get: (c) => (c.ProcessName ? `${c.ProcessName} (${c.Pid})` : "") },
    { title: "", get: (c) => h("span", { class: "actions" },
      h("button", { type: "button", class: "follow-btn", onclick: (e) => { e.stopPropagation(); followStream(follow, id, c); } }, "Follow stream"),
      h("a", { href: `#/capture/${id}/packets?f=${encodeURIComponent(`conn.id == ${c.ConnId}`)}` }, "Packets")) },
  ];
  clear(body,
    proc ? h("p", {}, `Connections of process ${proc}. `, h("a", { href: `#/capture/${id}/connections` }, "Show all")) : null,
    h("div", { class: "scrollx" }, table(cols, list, { caption: `${fmt.count(list.length)} connections` })), follow);
  if (conn) {
    const c = list.find((x) => String(x.ConnId) === conn);
    if (c) followStream(follow, id, c);
  }
}

async function processes(body, id) {
  busy(body);
  let list;
  try {
    list = await readAll("capture_get_processes", { capture_id: id }, "ProcessId");
  } catch (e) {
    return clear(body, errorNote(e));
  }
  const byPid = new Map(list.map((p) => [String(p.Pid), p]));
  const kids = new Map();
  const roots = [];
  for (const p of list) {
    const parent = byPid.get(String(p.ParentPid));
    if (parent && parent !== p) {
      if (!kids.has(parent)) kids.set(parent, []);
      kids.get(parent).push(p);
    } else roots.push(p);
  }
  const node = (p, depth = 0) => h("li", {},
    h("div", { class: "proc" },
      h("strong", {}, p.Name || "?"), ` pid ${p.Pid}`, p.User ? `, user ${p.User}` : "",
      ` · ${fmt.count(p.Packets)} packets, ${fmt.bytes(p.Bytes)} · `,
      h("a", { href: `#/capture/${id}/packets?f=${encodeURIComponent(`proc.id == ${p.ProcessId}`)}` }, "packets"), " · ",
      h("a", { href: `#/capture/${id}/connections?proc=${p.ProcessId}` }, "connections"),
      p.CommandLine || p.Path ? h("div", { class: "cmd" }, p.CommandLine || p.Path) : null),
    kids.has(p) && depth < 64 ? h("ul", {}, kids.get(p).map((k) => node(k, depth + 1))) : null);
  clear(body, list.length ? h("ul", { class: "ptree", "aria-label": "Processes, children under their parent" }, roots.map((p) => node(p)))
    : h("p", {}, "No process was attributed in this capture."));
}

async function ips(body, id) {
  busy(body);
  let list;
  try {
    list = await readAll("capture_query_ip", { capture_id: id }, "IpId");
  } catch (e) {
    return clear(body, errorNote(e));
  }
  const note = h("div", { "aria-live": "polite" });
  const edit = async (ip) => {
    const v = prompt(`Notes for ${ip.Address}`, ip.UserData || "");
    if (v === null) return;
    try {
      await call("ip_set_data", { ip: ip.Address, data: v, capture_id: id });
      ips(body, id);
    } catch (e) {
      clear(note, errorNote(e));
    }
  };
  const cols = [
    { title: "Address", get: (i) => i.Address },
    { title: "Host name", get: (i) => i.HostName },
    { title: "Place", get: (i) => [i.City, i.Country].filter(Boolean).join(", ") + (i.HasGeo ? ` (${Number(i.Lat).toFixed(2)}, ${Number(i.Lng).toFixed(2)})` : "") },
    { title: "Packets", get: (i) => fmt.count(i.Packets), class: "num" },
    { title: "Bytes", get: (i) => fmt.bytes(i.Bytes), class: "num" },
    { title: "Connections", get: (i) => fmt.count(i.Connections), class: "num" },
    { title: "First seen", get: (i) => fmt.time(i.FirstSeen, 0) },
    { title: "Notes", get: (i) => i.UserData },
    { title: "", get: (i) => h("span", { class: "actions" },
      h("a", { href: `#/capture/${id}/packets?f=${encodeURIComponent(`${i.Family === 6 ? "ipv6" : "ip"}.addr == ${i.Address}`)}` }, "Packets"),
      h("button", { type: "button", onclick: () => edit(i) }, "Notes")) },
  ];
  clear(body, note, h("div", { class: "scrollx" }, table(cols, list, { caption: `${fmt.count(list.length)} addresses` })));
}

