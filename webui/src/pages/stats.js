// SPDX-License-Identifier: MIT
// Statistics of one capture or of everything: packets and bytes over time (uPlot), and the
// top IPs, ports, protocols and processes as bars; a bar is a button that searches for it.
import uPlot from "uplot";
import { h, clear, field } from "../dom.js";
import { call } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, errorNote, section, onLeave } from "../ui.js";

const FILTER = {
  TopIps: (t) => `${String(t.Value).includes(":") ? "ipv6" : "ip"}.addr == ${t.Value}`,
  TopPorts: (t) => `tcp.port == ${t.Value} || udp.port == ${t.Value}`,
  TopProtocols: (t) => (Number(t.Id) < 0 ? "!ip && !ipv6" : `ip.proto == ${t.Id} || ipv6.nxt == ${t.Id}`),
  TopProcesses: (t) => `proc.id == ${t.Id}`,
};
const TITLES = { TopIps: "Top IP addresses", TopPorts: "Top ports", TopProtocols: "Top protocols", TopProcesses: "Top processes" };

export async function statistics(main, id) {
  const pick = h("select", { id: "stats-capture" }, h("option", { value: "0" }, "Everything since the last reset"));
  const out = h("div");
  frame(main, "Statistics", field("Capture", pick), out);
  try {
    for (const c of await call("capture_list_completed")) pick.append(h("option", { value: String(c.CaptureId) }, `Capture ${c.CaptureId}: ${c.Name}`));
  } catch {}
  pick.value = id || "0";
  pick.addEventListener("change", () => (location.hash = `#/stats/${pick.value}`));
  let s;
  try {
    s = await call("stats_by_id", { capture_id: pick.value });
  } catch (e) {
    return clear(out, errorNote(e));
  }
  const capId = Number(pick.value);
  const chart = h("div", { class: "chart", role: "img", "aria-label": `Packets and bytes per ${s.BucketSeconds} s over time` });
  clear(out,
    h("p", {}, `${fmt.count(s.Packets)} packets, ${fmt.bytes(s.Bytes)} from ${fmt.time(s.FirstTime, 0)} to ${fmt.time(s.LastTime, 0)}.`),
    section("Over time", s.Buckets && s.Buckets.length ? chart : h("p", {}, "No packets to chart."),
      s.BucketSeconds ? h("p", { class: "hint" }, `One point per ${s.BucketSeconds} s.`) : null),
    h("div", { class: "tops" }, Object.keys(TITLES).map((k) => topBars(k, s[k] || [], capId))));
  if (s.Buckets && s.Buckets.length) drawChart(chart, s);
}

// Axis ticks in local time: "HH:MM:SS" (with the date where it changes), as ISO 8601 reads.
let lastDay = "";
function clock(v, i) {
  const d = new Date(v * 1000), p = (n) => String(n).padStart(2, "0");
  const day = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const t = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${v % 1 ? `.${String(Math.round((v % 1) * 1000)).padStart(3, "0")}` : ""}`;
  const show = i === 0 || day !== lastDay;
  lastDay = day;
  return show ? `${day}\n${t}` : t;
}

function drawChart(el, s) {
  const xs = s.Buckets.map((b) => fmt.ms(b.Time) / 1000);
  const data = [xs, s.Buckets.map((b) => Number(b.Packets)), s.Buckets.map((b) => Number(b.Bytes))];
  const opts = {
    width: Math.max(300, el.parentElement.clientWidth - 8), height: 260,
    series: [{ label: "Time", value: (u, v) => (v == null ? "" : new Date(v * 1000).toLocaleString("sv")) }, { label: "Packets", stroke: "#1f5fa8", width: 1.5, fill: "rgba(31,95,168,0.12)" },
      { label: "Bytes", stroke: "#b3501b", width: 1.5, scale: "bytes", value: (u, v) => (v == null ? "" : fmt.bytes(v)) }],
    axes: [{ values: (u, vs) => vs.map(clock) }, { label: "packets", size: 60 },
      { side: 1, scale: "bytes", label: "bytes", size: 80, values: (u, vs) => vs.map((v) => fmt.bytes(v)), grid: { show: false } }],
  };
  const plot = new uPlot(opts, data, el);
  const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, el.parentElement.clientWidth - 8), height: 260 }));
  ro.observe(el.parentElement);
  onLeave(() => { ro.disconnect(); plot.destroy(); });
}

function topBars(key, list, capId) {
  const max = Math.max(1, ...list.map((t) => Number(t.Packets)));
  return section(TITLES[key], list.length ? h("ul", { class: "bars" }, list.map((t) => {
    const label = `${t.Name ? `${t.Name} ` : ""}${t.Value}${t.Pid ? ` (pid ${t.Pid})` : ""}`;
    const filter = FILTER[key](t);
    return h("li", {}, h("button", {
      type: "button", class: "bar", title: `Search: ${filter}`,
      onclick: () => (location.hash = capId ? `#/capture/${capId}/packets?f=${encodeURIComponent(filter)}` : `#/search/${encodeURIComponent(filter)}`),
    }, h("span", { class: "fill", style: { width: `${(Number(t.Packets) / max) * 100}%` } }), h("span", { class: "lbl" }, label),
    h("span", { class: "val" }, `${fmt.count(t.Packets)} packets · ${fmt.bytes(t.Bytes)}`), h("span", { class: "sr-only" }, " (search for it)")));
  })) : h("p", {}, "None."));
}
