// SPDX-License-Identifier: MIT
// Search over every capture (or one): the filter bar, the matches as a packet list, cancel,
// export and download; earlier searches below.
import { h, clear, table } from "../dom.js";
import { call } from "../api.js";
import { exportTo } from "./captures.js";
import * as fmt from "../fmt.js";
import { frame, errorNote, section } from "../ui.js";
import { packetList, packetDetail } from "../packets.js";
import { filterBar } from "../filterbar.js";
import { startSearch } from "../searching.js";

export async function search(main, initial) {
  const detail = packetDetail();
  const listBox = h("div", { class: "listbox" });
  const count = h("p", { class: "count", "aria-live": "polite" });
  const note = h("div");
  const scope = h("select", { id: "search-scope", "aria-label": "Captures to search" }, h("option", { value: "0" }, "every capture"));
  let s = null;
  const cancel = h("button", { type: "button", hidden: true, onclick: () => s && s.cancel() }, "Cancel");
  const exp = h("button", { type: "button", hidden: true, onclick: () => exportTo(note, "search_export", { search_id: s.id }) }, "Export and download");
  const bar = filterBar({ value: initial || "", onapply: (f) => run(f), buttons: [h("label", { for: "search-scope", class: "inline" }, "in "), scope, cancel, exp] });
  const earlier = h("div");
  frame(main, "Search", bar.el, note, count, listBox, detail.el, section("Earlier searches", earlier));
  call("capture_list_completed").then((l) => l.forEach((c) => scope.append(h("option", { value: String(c.CaptureId) }, `capture ${c.CaptureId}: ${c.Name}`))), () => {});
  const listEarlier = () => call("search_list").then((l) => clear(earlier, table([
    { title: "Id", get: (m) => String(m.SearchId), class: "num" },
    { title: "Filter", get: (m) => m.Filter || "(every packet)" },
    { title: "Capture", get: (m) => (Number(m.CaptureId) ? String(m.CaptureId) : "all") },
    { title: "State", get: (m) => m.State },
    { title: "Matches", get: (m) => fmt.count(m.Matches), class: "num" },
    { title: "Started", get: (m) => fmt.time(m.StartTime, 0) },
  ], l.slice(-20).reverse(), { onrow: (m) => bar.set(m.Filter), rowLabel: (m) => `Use filter ${m.Filter}` })), (e) => clear(earlier, errorNote(e)));
  listEarlier();
  async function run(filter) {
    // Only while the address is still the search page's (see capture.js).
    if (main.isConnected && /^#\/search(?:[/?]|$)/.test(location.hash)) history.replaceState(null, "", `#/search/${encodeURIComponent(filter)}`);
    if (s) s.done();
    clear(note);
    const list = packetList({ label: "Matching packets", total: 0, onselect: (p) => detail.show(p), read: (l, n) => s.read(l, n) });
    clear(listBox, list.el);
    window.apcList = list;
    try {
      s = await startSearch({
        filter, captureId: Number(scope.value), onmeta: (m) => {
          const running = m.State === "queued" || m.State === "running";
          cancel.hidden = !running;
          exp.hidden = running || !Number(m.Matches);
          count.textContent = `${fmt.count(m.Matches)} matches in ${fmt.count(m.Scanned)} packets` + (running ? ` (searching, ${m.Progress}%)` : m.State === "completed" ? "" : ` (${m.State}${m.Error ? `: ${m.Error}` : ""})`);
          count.dataset.state = m.State;
          count.dataset.matches = String(m.Matches);
          list.setTotal(Number(m.Matches));
          if (!running) listEarlier();
        },
      });
    } catch (e) {
      clear(note, errorNote(e, "Search"));
    }
  }
  if (initial) run(initial);
}
