// SPDX-License-Identifier: MIT
// Extracted files: what a capture carried (extract_query, EXTRACTSTREAM) and the files
// written (extract_file_list, EXTRACTFILE), each downloadable. A capture not examined yet is
// examined by a command when the page first asks; the page follows its progress.
import { h, clear, field, message } from "../dom.js";
import { call, download } from "../api.js";
import { frame, errorNote, section, poll } from "../ui.js";
import { objectTable } from "./generic.js";

export async function files(main, id) {
  const pick = h("select", { id: "files-capture" }, h("option", { value: "" }, "choose a capture"));
  const streams = h("div"), written = h("div"), note = h("div", { "aria-live": "polite" });
  frame(main, "Extracted files", field("Capture", pick), note, section("Files written", written), section("Files seen in the capture", streams));
  try {
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
  const showStreams = async () => {
    if (done) return;
    const s = await call("extract_query", { capture_id: id, count: 1000 });
    if (s.State === "detecting") {
      let pct = "";
      try {
        const c = await call("command_query", { command_uid: s.CommandUid });
        pct = ` ${c.Progress}%`;
      } catch { /* the command may have just ended */ }
      return clear(streams, message("info", `Examining capture ${id} for files\u2026${pct}`));
    }
    done = true;
    clear(streams, objectTable(s.Streams, ["StreamId", "ConnId", "Direction", "Protocol", "Name", "MimeType", "Size", "Complete", "Reason", "ProcessName"], {
      title: "", get: (x) => h("button", { type: "button", onclick: async () => {
        try {
          await call("extract_file_write", { capture_id: id, stream_id: x.StreamId });
          clear(note, message("info", `Stream ${x.StreamId} written.`));
          files(main, id);
        } catch (e) {
          clear(note, errorNote(e));
        }
      } }, "Extract"),
    }));
    if (!s.Streams.length) clear(streams, h("p", {}, "No file was found in this capture."));
  };
  try {
    await showStreams();
    if (!done) poll(1000, showStreams);
  } catch (e) {
    clear(streams, errorNote(e, "Finding files in a capture"));
  }
}
