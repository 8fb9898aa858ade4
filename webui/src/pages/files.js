// SPDX-License-Identifier: MIT
// Extracted files: what a capture carried (extract_query, EXTRACTSTREAM) and the files
// written (extract_file_list, EXTRACTFILE), each downloadable. While apcd answers
// ERROR_SERVE_NOT_SUPPORTED the page says so.
import { h, clear, field, message } from "../dom.js";
import { call, download } from "../api.js";
import { frame, errorNote, section } from "../ui.js";
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
  try {
    const s = await call("extract_query", { capture_id: id });
    const items = s.Streams || s.Items || s.Files || [];
    clear(streams, objectTable(items, ["StreamId", "ConnId", "Protocol", "FileName", "MimeType", "Size", "Complete"], {
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
  } catch (e) {
    clear(streams, errorNote(e, "Finding files in a capture"));
  }
}
