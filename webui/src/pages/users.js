// SPDX-License-Identifier: MIT
// Users (admin): the API has no account actions yet (accounts are managed with
// `apcctl user ...` on the server, docs/apcd.md); this page asks for user_list and says
// "not supported yet" until apcd answers it.
import { h, clear } from "../dom.js";
import { call, session } from "../api.js";
import { frame, errorNote } from "../ui.js";
import { objectTable } from "./generic.js";

export async function users(main) {
  const out = h("div");
  frame(main, "Users", h("p", {}, `You are logged in as ${session.user || "?"}. Accounts are managed on the server with `,
    h("code", {}, "apcctl user add|passwd|del|list"), " (docs/apcd.md)."), out);
  try {
    clear(out, objectTable(await call("user_list"), ["Name", "Role", "Created"]));
  } catch (e) {
    clear(out, errorNote(e, "Managing users from the browser"));
  }
}
