// SPDX-License-Identifier: MIT
// The application: a header with the navigation, and one page at a time chosen by the URL's
// fragment (#/captures, #/capture/7, ...). Every page talks to apcd only through POST ajax.
import { h, clear, field, message } from "./dom.js";
import { call, session, E } from "./api.js";
import { leave } from "./ui.js";
import { dashboard } from "./pages/dashboard.js";
import { captures } from "./pages/captures.js";
import { capture } from "./pages/capture.js";
import { search } from "./pages/search.js";
import { statistics } from "./pages/stats.js";
import { live } from "./pages/live.js";
import { exportsPage } from "./pages/exports.js";
import { triggers } from "./pages/triggers.js";
import { files } from "./pages/files.js";
import { settings } from "./pages/settings.js";
import { users } from "./pages/users.js";

const NAV = [
  ["#/", "Dashboard"], ["#/captures", "Captures"], ["#/search", "Search"], ["#/stats", "Statistics"],
  ["#/live", "Live"], ["#/exports", "Exports"], ["#/triggers", "Triggers"], ["#/files", "Files"],
  ["#/settings", "Settings"], ["#/users", "Users"],
];

const ROUTES = [
  [/^#?\/?$/, dashboard],
  [/^#\/captures$/, captures],
  [/^#\/capture\/(\d+)(?:\/(\w+))?(?:\?.*)?$/, capture],
  [/^#\/search(?:\/(.*))?$/, search],
  [/^#\/stats(?:\/(\d+))?$/, statistics],
  [/^#\/live(?:\/(\d+))?$/, live],
  [/^#\/exports$/, exportsPage],
  [/^#\/triggers$/, triggers],
  [/^#\/files(?:\/(\d+))?$/, files],
  [/^#\/settings$/, settings],
  [/^#\/users$/, users],
];

const root = document.getElementById("app");
let main;
let lost = ""; // why the session ended, shown on the login page until the next login

function shell() {
  const nav = h("nav", { "aria-label": "Main" }, h("ul", {}, NAV.map(([href, text]) => h("li", {}, h("a", { href }, text)))));
  main = h("main", { id: "main", tabindex: -1 });
  clear(root,
    h("a", { class: "skip", href: "#main", onclick: (e) => { e.preventDefault(); main.focus(); } }, "Skip to content"),
    h("header", { class: "top" },
      h("a", { class: "brand", href: "#/" }, "AppPacCap"),
      nav,
      h("div", { class: "who" }, h("span", {}, session.user), h("button", { type: "button", onclick: logout }, "Log out"))),
    main);
}

async function logout() {
  try {
    await call("logout");
  } catch {}
  session.clear();
  lost = "";
  login("You have logged out.");
}

function login(msg) {
  leave();
  document.title = "Log in · AppPacCap";
  const user = h("input", { name: "username", autocomplete: "username", required: true, value: session.user || "" });
  const pass = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true });
  const note = h("div", { class: "note" }, msg ? message("info", msg) : null);
  const form = h("form", { class: "login", "aria-labelledby": "login-title" },
    h("h1", { id: "login-title" }, "AppPacCap"),
    h("p", {}, "Log in to see and capture this machine's traffic."),
    field("User name", user), field("Password", pass), note,
    h("button", { type: "submit", class: "primary" }, "Log in"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      const t = await call("login", { username: user.value, password: pass.value });
      session.set(String(t), user.value);
      lost = "";
      start();
    } catch (err) {
      clear(note, message("error", err.code === E.CREDS ? "Wrong user name or password." : err.message));
      pass.select();
    }
  });
  clear(root, h("main", { id: "main", class: "center" }, form));
  (user.value ? pass : user).focus();
}

async function route() {
  leave();
  if (!session.token) return login(lost);
  if (!main || !main.isConnected) shell();
  const hash = location.hash || "#/";
  document.querySelectorAll("header nav a").forEach((a) => {
    const here = a.getAttribute("href") === hash || (a.getAttribute("href") !== "#/" && hash.startsWith(a.getAttribute("href")));
    if (here) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  });
  performance.clearMarks();
  performance.mark("apc-route");
  // Each page gets a <main> of its own: a page still waiting for apcd when the user goes
  // elsewhere finishes into an element no longer in the document, and cannot take the
  // screen (or the address) back from the page that replaced it.
  const view = h("main", { id: "main", tabindex: -1 });
  main.replaceWith(view);
  main = view;
  for (const [re, page] of ROUTES) {
    const m = hash.match(re);
    if (m) {
      try {
        await page(view, ...m.slice(1).map((x) => (x === undefined ? undefined : decodeURIComponent(x))));
      } catch (e) {
        if (session.token && view.isConnected) clear(view, h("h1", {}, "Something went wrong"), message("error", e.message || String(e)));
      }
      return;
    }
  }
  clear(view, h("h1", {}, "Not found"), h("p", {}, "No page has that address. "), h("a", { href: "#/" }, "Back to the dashboard"));
}

function start() {
  shell();
  route();
}

session.onLost((msg) => {
  lost = msg;
  login(msg);
});
window.addEventListener("hashchange", route);
if (session.token) start();
else login();
