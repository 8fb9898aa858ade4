// SPDX-License-Identifier: MIT
// Triggers (start a capture when a program starts) and actions (run a program or write an
// export when one fires): list, add, remove, link. Built on the TRIGGER and ACTION objects of
// spec/wire.md; while apcd answers ERROR_SERVE_NOT_SUPPORTED the page says so.
import { h, clear, field, message } from "../dom.js";
import { call } from "../api.js";
import { frame, errorNote, section } from "../ui.js";
import { objectTable } from "./generic.js";

export async function triggers(main) {
  const tl = h("div"), al = h("div"), note = h("div", { "aria-live": "polite" });
  frame(main, "Triggers and actions", note, section("Triggers", tl, addTrigger()), section("Actions", al, addAction()));
  const run = async (action, params, done) => {
    try {
      await call(action, params);
      clear(note, message("info", done));
      load();
    } catch (e) {
      clear(note, errorNote(e, action));
    }
  };
  async function load() {
    try {
      const t = await call("trigger_list");
      clear(tl, objectTable(t, ["TriggerId", "Name", "Type", "Path", "Filter", "Flags", "Enabled", "Actions", "Fired", "LastFired"], {
        title: "", get: (x) => h("button", { type: "button", class: "danger", onclick: () => run("trigger_remove", { trigger_id: x.TriggerId }, `Trigger ${x.TriggerId} removed.`) }, "Remove"),
      }));
    } catch (e) {
      clear(tl, errorNote(e, "Triggers"));
    }
    try {
      const a = await call("action_list");
      clear(al, objectTable(a, ["ActionId", "Name", "Type", "Path", "Params", "Triggers", "LastRun", "LastResult"], {
        title: "", get: (x) => h("button", { type: "button", class: "danger", onclick: () => run("action_remove", { action_id: x.ActionId }, `Action ${x.ActionId} removed.`) }, "Remove"),
      }));
    } catch (e) {
      clear(al, errorNote(e, "Actions"));
    }
  }
  function addTrigger() {
    const name = h("input", { required: true }), path = h("input", { required: true, placeholder: "/usr/bin/curl or a folder" }), filter = h("input", { placeholder: "pcap-filter (optional)" });
    const f = h("form", { class: "inline-form" }, h("h3", {}, "Add a trigger"), field("Name", name), field("Program or folder", path), field("Capture filter", filter),
      h("button", { type: "submit" }, "Add trigger"));
    f.addEventListener("submit", (e) => { e.preventDefault(); run("trigger_add", { name: name.value, trigger_type: 1, path: path.value, filter: filter.value }, "Trigger added."); });
    return f;
  }
  function addAction() {
    const name = h("input", { required: true }), type = h("select", {}, h("option", { value: "1" }, "run a program"), h("option", { value: "2" }, "write an export"));
    const path = h("input", { required: true }), params = h("input", {}), trig = h("input", { type: "number", min: 0, value: 0 });
    const f = h("form", { class: "inline-form" }, h("h3", {}, "Add an action"), field("Name", name), field("Kind", type), field("Program, or export folder", path),
      field("Arguments", params), field("Trigger id (0: every trigger)", trig), h("button", { type: "submit" }, "Add action"));
    f.addEventListener("submit", (e) => { e.preventDefault(); run("action_add", { name: name.value, action_type: type.value, path: path.value, params: params.value, trigger_id: trig.value }, "Action added."); });
    return f;
  }
  await load();
}
