// SPDX-License-Identifier: MIT
// Live capture: start a system-wide capture (adapter picker, capture filter) or a process
// capture (process picker from process_list_running, threads from process_list_threads);
// watch the packets arrive (capture_stream) with live counters; stop.
import { h, clear, table, field, message } from "../dom.js";
import { call } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, errorNote, section, poll } from "../ui.js";
import { packetList, packetDetail } from "../packets.js";
import { captureColumns } from "./captures.js";

const KEEP = 200000; // packets kept in the page while watching; older ones are in the capture

export async function live(main, id) {
  if (id) return watch(main, id);
  const active = h("div"), sys = h("div"), proc = h("div");
  frame(main, "Live capture", section("Active captures", active), section("Capture the whole system", sys), section("Capture one process", proc));
  poll(2000, async () => {
    const list = await call("capture_list_active");
    clear(active, list.length ? table(captureColumns({ live: true }), list, {
      onrow: (c) => (location.hash = `#/live/${c.CaptureId}`), rowLabel: (c) => `Watch capture ${c.CaptureId}`,
    }) : h("p", {}, "No capture is running."));
  });
  systemForm(sys);
  processForm(proc);
}

async function adapterPicker() {
  const box = h("fieldset", { class: "adapters" }, h("legend", {}, "Adapters (none ticked: every adapter that is up)"));
  try {
    const list = await call("adapter_list");
    for (const a of list) {
      const id = `ad-${a.Name.replace(/[^\w-]/g, "_")}`;
      box.append(h("div", { class: "check" }, h("input", { type: "checkbox", id, value: a.Name, name: "adapter" }),
        h("label", { for: id }, `${a.Name}${a.Description ? ` — ${a.Description}` : ""} ${(a.Addresses || []).join(", ")}${a.Up ? "" : " (down)"}`)));
    }
  } catch (e) {
    box.append(errorNote(e));
  }
  return { el: box, value: () => [...box.querySelectorAll("input:checked")].map((i) => i.value) };
}

async function systemForm(el) {
  const ad = await adapterPicker();
  const filter = h("input", { id: "live-filter", placeholder: "pcap-filter, e.g. tcp port 443", spellcheck: "false" });
  const resolve = h("input", { type: "checkbox", id: "live-resolve" });
  const note = h("div", { "aria-live": "polite" });
  const form = h("form", {}, ad.el, field("Capture filter (optional)", filter),
    h("div", { class: "check" }, resolve, h("label", { for: "live-resolve" }, "Resolve the names of IP addresses")),
    h("button", { type: "submit", class: "primary", id: "live-start" }, "Start capture"), note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const c = await call("capture_start_system", { adapter: ad.value(), filter: filter.value, flags: resolve.checked ? 1 : 0 });
      location.hash = `#/live/${c.CaptureId}`;
    } catch (err) {
      clear(note, errorNote(err, "Starting the capture"));
    }
  });
  clear(el, form);
}

async function processForm(el) {
  const q = h("input", { id: "proc-q", type: "search", placeholder: "name, pid or command line" });
  const list = h("div", { class: "scrollx procpick" });
  const chosen = h("div", { "aria-live": "polite" });
  const note = h("div", { "aria-live": "polite" });
  let procs = [];
  let pick = null;
  const thread = h("select", { id: "proc-thread" }, h("option", { value: "0" }, "every thread"));
  const filter = h("input", { id: "proc-filter", placeholder: "pcap-filter (optional)", spellcheck: "false" });
  const start = h("button", { type: "button", class: "primary", disabled: true }, "Capture this process");
  const show = () => {
    const t = q.value.trim().toLowerCase();
    const rows = procs.filter((p) => !t || String(p.Pid) === t || (p.Name || "").toLowerCase().includes(t) || (p.CommandLine || "").toLowerCase().includes(t)).slice(0, 200);
    clear(list, table([
      { title: "Pid", get: (p) => String(p.Pid), class: "num" },
      { title: "Name", get: (p) => p.Name },
      { title: "User", get: (p) => p.User },
      { title: "Command line", get: (p) => p.CommandLine },
    ], rows, { onrow: choose, rowLabel: (p) => `Choose ${p.Name} pid ${p.Pid}` }));
  };
  async function choose(p) {
    pick = p;
    start.disabled = false;
    clear(chosen, message("info", `Chosen: ${p.Name} (pid ${p.Pid}).`));
    clear(thread, h("option", { value: "0" }, "every thread"));
    try {
      for (const t of await call("process_list_threads", { pid: p.Pid })) thread.append(h("option", { value: String(t.ThreadId) }, `${t.ThreadId} ${t.Name}`));
    } catch (e) {
      chosen.append(errorNote(e, "Threads"));
    }
  }
  start.addEventListener("click", async () => {
    if (!pick) return;
    const tid = Number(thread.value);
    try {
      const c = await call("capture_start_process", { pid: pick.Pid, thread_id: tid || undefined, flags: tid ? 2 : 0, filter: filter.value });
      location.hash = `#/live/${c.CaptureId}`;
    } catch (err) {
      clear(note, errorNote(err, "Starting the capture"));
    }
  });
  q.addEventListener("input", show);
  clear(el, field("Find a running process", q), list, chosen, field("Thread", thread), field("Capture filter", filter), start, note);
  try {
    procs = await call("process_list_running");
    procs.sort((a, b) => (a.Name || "").localeCompare(b.Name || ""));
    show();
  } catch (e) {
    clear(list, errorNote(e, "The process list"));
  }
}

async function watch(main, id) {
  const facts = h("div", { class: "livefacts", "aria-live": "off" });
  const note = h("div", { "aria-live": "polite" });
  const detail = packetDetail();
  const got = [];
  let last = 0, dropped = 0, type = "system", ended = false;
  const list = packetList({
    label: `Packets of capture ${id} as they arrive`, total: 0, onselect: (p) => detail.show(p),
    read: (from, n) => Promise.resolve(Array.from({ length: Math.max(0, Math.min(n, dropped + got.length - from)) },
      (_, k) => got[from + k - dropped] || { PacketId: from + k + 1, Summary: "(no longer kept here: open the capture)" })),
  });
  window.apcList = list;
  const stop = h("button", { type: "button", class: "danger", id: "live-stop" }, "Stop capture");
  const followBox = h("input", { type: "checkbox", id: "live-follow", checked: true });
  frame(main, `Live capture ${id}`, facts, h("div", { class: "row" }, stop,
    h("div", { class: "check" }, followBox, h("label", { for: "live-follow" }, "Follow new packets"))), note, list.el, detail.el);
  stop.addEventListener("click", async () => {
    // "Stopping…" goes up before the call: the poll below may see the capture end (and show
    // its link) before the call returns, and must not be overwritten by it.
    stop.disabled = true;
    clear(note, message("info", "Stopping…"));
    try {
      await call(type === "process" ? "capture_stop_process" : "capture_stop_system", { capture_id: id });
    } catch (e) {
      if (!ended) {
        stop.disabled = false;
        clear(note, errorNote(e, "Stop"));
      }
    }
  });
  poll(1000, async () => {
    const c = await call("capture_get_details", { capture_id: id });
    type = c.Type;
    clear(facts, h("ul", { class: "tiles" }, [["State", c.State], ["Packets", fmt.count(c.Packets)], ["Bytes", fmt.bytes(c.Bytes)],
      ["Connections", fmt.count(c.Connections)], ["Drops", fmt.count(Number(c.Drops) + Number(c.KernelDrops))],
      ["Running for", fmt.duration(fmt.seconds(c.StartTime, fmt.big(c.EndTime) ? c.EndTime : fmt.fromDate(new Date())))]]
      .map(([k, v]) => h("li", {}, h("span", { class: "n" }, v), h("span", { class: "k" }, k)))),
    c.Adapters || c.Filter ? h("p", { class: "hint" }, `Adapters: ${c.Adapters || "all"}${c.Filter ? ` · filter: ${c.Filter}` : ""}${c.AttributionBackend ? ` · attribution: ${c.AttributionBackend}` : ""}`) : null);
    if (c.State !== "active" && !ended) {
      ended = true;
      stop.disabled = true;
      clear(note, message("info", `The capture is ${c.State}${c.Error ? `: ${c.Error}` : ""}. `), h("a", { href: `#/capture/${id}` }, "Open it"));
    }
  });
  poll(500, async () => {
    for (let k = 0; k < 10; k++) {
      const page = await call("capture_stream", { capture_id: id, last_id: last });
      if (!page.Packets.length) break;
      got.push(...page.Packets);
      last = page.LastId;
      if (got.length > KEEP) {
        const cut = got.length - KEEP;
        got.splice(0, cut);
        dropped += cut;
      }
      list.setTotal(Number(last), { follow: followBox.checked });
      if (!page.More) break;
    }
  });
}
