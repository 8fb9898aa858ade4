// SPDX-License-Identifier: MIT
// The dashboard: what this installation is, totals, active captures with live counters,
// recent captures.
import { h, clear, table } from "../dom.js";
import { call } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, section, errorNote, poll } from "../ui.js";
import { captureColumns } from "./captures.js";

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

export async function dashboard(main) {
  const info = h("div"), totals = h("div"), active = h("div"), recent = h("div");
  frame(main, "Dashboard", section("This installation", info), section("Totals", totals),
    section("Active captures", active), section("Recent captures", recent));
  call("apppaccap").then((a) => clear(info, facts([
    ["Version", a.AppPacCap], ["Machine", a.MachineName], ["Operating system", a.OS],
    ["Licence", a.Licensed ? a.LicenseType : "none"], ["Built", fmt.time(a.Updated, 0)],
    ["Data directory", a.DataDir], ["Geolocation data", a.MapData ? "loaded" : "none"],
    ["Threat intelligence", a.Threat ? "configured" : "none"],
    ["Attribution", a.AttributionBackend ? `${a.AttributionBackend}${a.AttributionReason ? ` (${a.AttributionReason})` : ""}` : undefined],
  ])), (e) => clear(info, errorNote(e)));
  call("stats_totals").then((t) => clear(totals, h("ul", { class: "tiles" },
    [["Packets", fmt.count(t.Packets)], ["Bytes", fmt.bytes(t.Bytes)], ["Captures", fmt.count(t.Captures)],
      ["Connections", fmt.count(t.Connections)], ["IP addresses", fmt.count(t.Ips)], ["Processes", fmt.count(t.Processes)],
      ["Drops", fmt.count(t.Drops)]].map(([k, v]) => h("li", {}, h("span", { class: "n" }, v), h("span", { class: "k" }, k)))),
  t.Since ? h("p", { class: "hint" }, `Counted since ${fmt.time(t.Since, 0)}.`) : null), (e) => clear(totals, errorNote(e)));
  poll(2000, async () => {
    const list = await call("capture_list_active");
    clear(active, list.length ? table(captureColumns({ live: true }), list, {
      onrow: (c) => (location.hash = `#/live/${c.CaptureId}`), rowLabel: (c) => `Watch capture ${c.CaptureId}`,
    }) : h("p", {}, "No capture is running. ", h("a", { href: "#/live" }, "Start one")));
  });
  call("capture_list_completed").then((list) => {
    const last = [...list].sort((a, b) => (fmt.big(b.EndTime) > fmt.big(a.EndTime) ? 1 : -1)).slice(0, 8);
    clear(recent, table(captureColumns({}), last, {
      onrow: (c) => (location.hash = `#/capture/${c.CaptureId}`), rowLabel: (c) => `Open capture ${c.CaptureId} ${c.Name}`,
    }), h("p", {}, h("a", { href: "#/captures" }, "All captures")));
  }, (e) => clear(recent, errorNote(e)));
}
