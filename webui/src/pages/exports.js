// SPDX-License-Identifier: MIT
// Exports: the pcapng files in the export folder (download, delete) and the commands that
// wrote them.
import { h, clear, table, message } from "../dom.js";
import { call, download } from "../api.js";
import * as fmt from "../fmt.js";
import { frame, errorNote, section, poll } from "../ui.js";

export async function exportsPage(main) {
  const files = h("div"), cmds = h("div"), note = h("div", { "aria-live": "polite" });
  frame(main, "Exports", note, section("Files", files), section("Commands", cmds));
  const act = (f) => h("span", { class: "actions" },
    h("button", { type: "button", class: "dl", onclick: () => download({ kind: "export", name: f.Name }).catch((e) => clear(note, errorNote(e))) }, "Download"),
    h("button", { type: "button", class: "danger", onclick: () => del(f) }, "Delete"));
  async function del(f) {
    if (!confirm(`Delete ${f.Name}?`)) return;
    try {
      await call("export_delete", { filename: f.Name });
      clear(note, message("info", `${f.Name} deleted.`));
      load();
    } catch (e) {
      clear(note, errorNote(e));
    }
  }
  async function load() {
    const list = await call("export_list");
    clear(files, table([
      { title: "Name", get: (f) => f.Name },
      { title: "Size", get: (f) => fmt.bytes(f.Size), class: "num" },
      { title: "Written", get: (f) => fmt.time(f.Created, 0) },
      { title: "From", get: (f) => (Number(f.SearchId) ? `search ${f.SearchId}` : Number(f.CaptureId) ? h("a", { href: `#/capture/${f.CaptureId}` }, `capture ${f.CaptureId}`) : "") },
      { title: "", get: act },
    ], list));
  }
  await load().catch((e) => clear(files, errorNote(e)));
  poll(3000, async () => {
    const list = await call("command_list");
    clear(cmds, table([
      { title: "Type", get: (c) => c.Type },
      { title: "State", get: (c) => c.State },
      { title: "Progress", get: (c) => h("progress", { max: 100, value: Number(c.Progress), "aria-label": `Progress of ${c.CommandUid}` }) },
      { title: "Packets", get: (c) => fmt.count(c.Packets), class: "num" },
      { title: "Created", get: (c) => fmt.time(c.Created, 0) },
      { title: "Result", get: (c) => c.Error || String(c.Result).split("/").pop() },
    ], list.slice(0, 50)));
  });
}
