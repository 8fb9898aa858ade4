// SPDX-License-Identifier: MIT
// Extracted files: what a capture carried (extract_query, EXTRACTSTREAM) and the files
// written (extract_file_list, EXTRACTFILE), each downloadable. A capture not examined yet is
// examined by a command when the page first asks; the page follows its progress. A capture
// still running is listed too: its examination follows its packets as they are stored, and its
// files are listed once it has ended. The switch on top is extract_enable / extract_disable
// (whether captures and ingests that start from now on are examined as they are stored; its
// state is apppaccap's Extraction). The files seen come PAGE at a time (extract_query's last_id
// pages), the next on demand: a capture of a busy web server carries tens of thousands.
import { h, clear, field, message } from "../dom.js";
import { call, download } from "../api.js";
import { frame, errorNote, section, poll } from "../ui.js";
import { objectTable } from "./generic.js";

const PAGE = 1000;
const STREAM_COLUMNS = ["StreamId", "ConnId", "Direction", "Protocol", "Name", "MimeType", "Size", "Complete", "Reason", "ProcessName"];

export async function files(main, id) {
  const pick = h("select", { id: "files-capture" }, h("option", { value: "" }, "choose a capture"));
  const streams = h("div", { id: "files-seen" }), written = h("div"), note = h("div", { "aria-live": "polite" });
  // Disabled until its state is read: a click before that would be undone by the answer.
  const on = h("input", { type: "checkbox", id: "files-extraction", disabled: true });
  const onNote = h("span", { "aria-live": "polite" });
  const toggle = h("div", { class: "check" }, on, h("label", { for: "files-extraction" }, "Find files in captures and ingests as they are stored, from now on"), onNote);
  frame(main, "Extracted files", toggle, field("Capture", pick), note, section("Files written", written), section("Files seen in the capture", streams));
  try {
    on.checked = (await call("apppaccap")).Extraction === 1;
    on.disabled = false;
  } catch (e) {
    clear(onNote, errorNote(e));
  }
  on.addEventListener("change", async () => {
    try {
      await call(on.checked ? "extract_enable" : "extract_disable");
      clear(onNote, on.checked ? " On: captures that start now are examined as they are stored." : " Off.");
    } catch (e) {
      on.checked = !on.checked;
      clear(onNote, errorNote(e, "Turning extraction on or off"));
    }
  });
  const active = new Set();
  try {
    for (const c of await call("capture_list_active")) {
      active.add(String(c.CaptureId));
      pick.append(h("option", { value: String(c.CaptureId) }, `Capture ${c.CaptureId}: ${c.Name} (capturing)`));
    }
    for (const c of await call("capture_list_completed")) pick.append(h("option", { value: String(c.CaptureId) }, `Capture ${c.CaptureId}: ${c.Name}`));
  } catch (e) {
    clear(note, errorNote(e));
  }
  pick.value = id || "";
  pick.addEventListener("change", () => (location.hash = `#/files/${pick.value}`));
  if (!id) return clear(written, h("p", {}, "Choose a capture."));
  try {
    const list = await call("extract_file_list", { capture_id: id });
    clear(written, objectTable(list, ["FileId", "Name", "MimeType", "Size", "Sha256", "Time", "ProcessName"], {
      title: "", get: (f) => h("button", { type: "button", onclick: () => download({ kind: "extracted", capture_id: id, file_id: f.FileId }).catch((e) => clear(note, errorNote(e))) }, "Download"),
    }));
  } catch (e) {
    clear(written, errorNote(e, "Extracted files"));
  }
  let done = false;
  const rows = [];
  let last = 0;
  const extractButton = (x) => h("button", { type: "button", onclick: async () => {
    try {
      await call("extract_file_write", { capture_id: id, stream_id: x.StreamId });
      clear(note, message("info", `Stream ${x.StreamId} written.`));
      files(main, id);
    } catch (e) {
      clear(note, errorNote(e));
    }
  } }, "Extract");
  // Shows the rows read so far, and a button for the next page while the capture has more.
  const render = (more) => {
    if (!rows.length) return clear(streams, h("p", {}, "No file was found in this capture."));
    const parts = [objectTable(rows, STREAM_COLUMNS, { title: "", get: extractButton })];
    if (more) {
      const next = h("button", { type: "button", id: "files-more" }, `Show the next ${PAGE.toLocaleString()}`);
      next.addEventListener("click", async () => {
        next.disabled = true;
        try {
          const s = await call("extract_query", { capture_id: id, last_id: last, count: PAGE });
          rows.push(...s.Streams);
          last = s.LastId;
          render(s.More === 1);
        } catch (e) {
          next.disabled = false;
          clear(note, errorNote(e, "The next files"));
        }
      });
      parts.push(h("p", { class: "more" }, `${rows.length.toLocaleString()} files shown; the capture has more. `, next));
    } else if (rows.length > PAGE) {
      parts.push(h("p", { class: "more" }, `All ${rows.length.toLocaleString()} files shown.`));
    }
    clear(streams, ...parts);
  };
  const showStreams = async () => {
    if (done) return;
    const s = await call("extract_query", { capture_id: id, count: PAGE });
    if (s.State === "detecting") {
      let pct = "";
      try {
        const c = await call("command_query", { command_uid: s.CommandUid });
        pct = ` ${c.Progress}%`;
      } catch { /* the command may have just ended */ }
      const how = active.has(String(id))
        ? `Capture ${id} is still running: its packets are examined for files as they are stored (${pct.trim() || "0%"} of those stored so far), and its files are listed here when it ends.`
        : `Examining capture ${id} for files\u2026${pct}`;
      return clear(streams, message("info", how));
    }
    done = true;
    rows.push(...s.Streams);
    last = s.LastId;
    render(s.More === 1);
  };
  try {
    await showStreams();
    if (!done) poll(1000, showStreams);
  } catch (e) {
    clear(streams, errorNote(e, "Finding files in a capture"));
  }
}
