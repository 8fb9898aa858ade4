// SPDX-License-Identifier: MIT
// Settings: every user-defined setting, editable by an admin; server themes.
import { h, clear, table, field, message } from "../dom.js";
import { call } from "../api.js";
import { frame, errorNote, section } from "../ui.js";

export async function settings(main) {
  const list = h("div"), note = h("div", { "aria-live": "polite" }), themes = h("div");
  const key = h("input", { required: true, id: "set-key" }), value = h("input", { id: "set-value" });
  const form = h("form", { class: "inline-form" }, field("Setting", key), field("Value", value), h("button", { type: "submit" }, "Save"));
  frame(main, "Settings", note, section("Settings", list, form), section("Web themes", themes));
  async function load() {
    const all = await call("settings_get_all");
    clear(list, table([
      { title: "Setting", get: ([k]) => k },
      { title: "Value", get: ([, v]) => String(v) },
      { title: "", get: ([k, v]) => h("button", { type: "button", onclick: () => { key.value = k; value.value = String(v); value.focus(); } }, "Edit") },
    ], Object.entries(all)));
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await call("settings_set", { key_name: key.value, value: value.value });
      clear(note, message("info", `${key.value} saved.`));
      load();
    } catch (err) {
      clear(note, errorNote(err));
    }
  });
  await load().catch((e) => clear(list, errorNote(e)));
  call("server_folders").then((f) => clear(themes, h("ul", {}, f.map((t) => h("li", {}, h("a", { href: t === "default" ? "./" : `${t}/` }, t))))), (e) => clear(themes, errorNote(e)));
}
