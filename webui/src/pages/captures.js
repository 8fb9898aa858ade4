// SPDX-License-Identifier: MIT
// Captures: the completed, system and active lists; notes; delete; export and download; and
// uploading a capture file with a progress bar.
import { h, clear, table, field, message } from "../dom.js";
import { call, upload, exportAndDownload } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, section, errorNote, progress, poll } from "../ui.js";

export function captureColumns({ live, actions } = {}) {
  const cols = [
    { title: "Id", get: (c) => String(c.CaptureId), class: "num" },
    { title: "Name", get: (c) => c.Name || c.SourceFile || `${c.Type} capture` },
    { title: "Type", get: (c) => c.Type },
    { title: "State", get: (c) => h("span", { class: `state ${c.State}` }, c.State) },
    { title: "Started", get: (c) => fmt.time(c.StartTime, 0) },
    { title: live ? "Running for" : "Duration", get: (c) => fmt.duration(fmt.seconds(c.StartTime, fmt.big(c.EndTime) ? c.EndTime : fmt.fromDate(new Date()))) },
    { title: "Packets", get: (c) => fmt.count(c.Packets), class: "num" },
    { title: "Bytes", get: (c) => fmt.bytes(c.Bytes), class: "num" },
  ];
  if (live) cols.push({ title: "Drops", get: (c) => fmt.count(Number(c.Drops) + Number(c.KernelDrops)), class: "num" });
  if (actions) cols.push({ title: "Actions", get: actions });
  return cols;
}

// Exports a capture (or a search's matches) and downloads the file, saying so in `status`.
export async function exportTo(status, action, params) {
  clear(status, message("info", "Exporting…"));
  try {
    const cmd = await exportAndDownload(action, params);
    clear(status, message("info", `Exported ${fmt.count(cmd.Packets)} packets to ${String(cmd.Result).split("/").pop()}; the download has started.`));
  } catch (e) {
    clear(status, errorNote(e, "Export"));
  }
}

export async function captures(main) {
  const lists = h("div"), up = h("div");
  frame(main, "Captures", section("Upload a capture file", up), lists);
  uploadForm(up);
  const which = h("select", { id: "cap-kind" },
    h("option", { value: "capture_list_completed" }, "Completed (all)"),
    h("option", { value: "capture_list_system" }, "Completed system-wide captures"),
    h("option", { value: "capture_list_active" }, "Active"));
  const out = h("div"), status = h("div", { "aria-live": "polite" });
  lists.append(section("Captures", field("Show", which), status, out));
  const actions = (c) => h("span", { class: "actions" },
    h("a", { href: `#/capture/${c.CaptureId}` }, "Open"),
    h("button", { type: "button", onclick: (e) => { e.stopPropagation(); notes(c); } }, "Notes"),
    c.State !== "active" ? h("button", { type: "button", onclick: (e) => { e.stopPropagation(); exportTo(status, "capture_export", { capture_id: c.CaptureId }); } }, "Download pcapng") : null,
    c.State !== "active" ? h("button", { type: "button", class: "danger", onclick: (e) => { e.stopPropagation(); del(c); } }, "Delete") : null);
  async function load() {
    const list = await call(which.value);
    clear(out, table(captureColumns({ live: which.value === "capture_list_active", actions }), list, { caption: which.selectedOptions[0].textContent }));
  }
  async function del(c) {
    if (!confirm(`Delete capture ${c.CaptureId} (${c.Name}) and all its packets?`)) return;
    try {
      await call("capture_delete", { capture_id: c.CaptureId });
      clear(status, message("info", `Capture ${c.CaptureId} deleted.`));
      load();
    } catch (e) {
      clear(status, errorNote(e));
    }
  }
  function notes(c) {
    const ta = h("textarea", { rows: 4, cols: 60 }, c.Notes || "");
    const dlg = h("dialog", { "aria-labelledby": "notes-title" },
      h("form", { method: "dialog" }, h("h2", { id: "notes-title" }, `Notes of capture ${c.CaptureId}`), field("Notes", ta),
        h("div", { class: "row" }, h("button", { value: "save", class: "primary" }, "Save"), h("button", { value: "cancel" }, "Cancel"))));
    document.body.append(dlg);
    dlg.addEventListener("close", async () => {
      if (dlg.returnValue === "save") {
        try {
          await call("capture_set_notes", { capture_id: c.CaptureId, notes: ta.value });
          load();
        } catch (e) {
          clear(status, errorNote(e));
        }
      }
      dlg.remove();
    });
    dlg.showModal();
  }
  which.addEventListener("change", () => load().catch((e) => clear(out, errorNote(e))));
  await load().catch((e) => clear(out, errorNote(e)));
  poll(5000, () => (which.value === "capture_list_active" ? load() : Promise.resolve()));
}

function uploadForm(el) {
  const file = h("input", { type: "file", id: "upload-file", accept: ".pcap,.pcapng,.cap,application/vnd.tcpdump.pcap", required: true });
  const name = h("input", { id: "upload-name", placeholder: "the file's name" });
  const p = progress("Upload progress");
  p.el.hidden = true;
  const note = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "upload" }, field("pcap or pcapng file", file), field("Name (optional)", name),
    h("button", { type: "submit", class: "primary" }, "Upload"), p.el, note);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file.files.length) return;
    const f = file.files[0];
    p.el.hidden = false;
    clear(note);
    try {
      const id = await upload(f, name.value, (done, total) => {
        p.bar.value = Math.round((done / total) * 100);
        p.text.textContent = done < total ? `${fmt.bytes(done)} of ${fmt.bytes(total)}` : "Stored; reading the packets…";
      });
      p.bar.value = 100;
      p.text.textContent = "Done.";
      clear(note, message("info", `Capture ${id} is stored. `), h("a", { href: `#/capture/${id}`, id: "upload-open" }, `Open capture ${id}`));
    } catch (err) {
      clear(note, errorNote(err, "The upload"));
    }
  });
  el.append(form);
}
