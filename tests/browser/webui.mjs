// SPDX-License-Identifier: MIT
// The browser suite (docs/webui.md): headless Chromium (Debian's package, driven by
// playwright-core) against a real apcd on loopback, doing what a person does in the default
// theme. Every page is screenshotted into OUTDIR; the suite fails on any console error, on an
// uncaught page error, and on serious or critical axe-core violations.
//
// usage: node webui.mjs APCD OUTDIR
// Environment: APC_CORPUS (default ../shared/corpus beside the sources) for the capture it
// uploads; without it the suite writes its own (capture.mjs).
import { createRequire } from "node:module";
import { spawn, execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, resolve } from "node:path";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { writeCapture, writeHttpFiles } from "./capture.mjs";

const [APCD, OUTDIR] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const SRC = resolve(here, "..", "..");
// The test's npm packages are those of the UI's package.json (webui/node_modules).
const require = createRequire(join(SRC, "webui", "package.json"));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const failures = [];
const check = (ok, what) => {
  if (!ok) {
    failures.push(what);
    console.error("FAIL:", what);
  }
};
const log = (...a) => console.log(new Date().toISOString().slice(11, 23), ...a);
export const CHROMIUM_ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

function freePort() {
  return new Promise((res) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = s.address().port;
      s.close(() => res(p));
    });
  });
}

async function waitFor(f, what, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startApcd(apcd, extra = []) {
  const dir = mkdtempSync(join(tmpdir(), "apc-browser-"));
  const data = join(dir, "data");
  const port = await freePort();
  const proc = spawn(apcd, ["--data-dir", data, "--address", "127.0.0.1", "--port", String(port), "--log-level", "warn", ...extra],
    { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr.on("data", (d) => (stderr += d));
  await waitFor(() => existsSync(join(data, "initial-admin-password")) && proc.exitCode === null, "apcd to start", 30000)
    .catch((e) => { throw new Error(`${e.message}: ${stderr}`); });
  await waitFor(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false), "apcd to answer", 30000);
  const password = readFileSync(join(data, "initial-admin-password"), "utf8").trim();
  return {
    dir, data, port, password, url: `http://127.0.0.1:${port}/`, proc,
    stop: async () => {
      proc.kill("SIGTERM");
      await waitFor(() => proc.exitCode !== null, "apcd to stop", 30000).catch(() => proc.kill("SIGKILL"));
      rmSync(dir, { recursive: true, force: true });
      return proc.exitCode;
    },
  };
}

export async function launch() {
  const profile = mkdtempSync(join(tmpdir(), "apc-chromium-"));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.APC_CHROMIUM || "/usr/bin/chromium",
    args: CHROMIUM_ARGS, headless: true, acceptDownloads: true, viewport: { width: 1400, height: 900 },
  });
  return { browser, close: async () => { await browser.close(); rmSync(profile, { recursive: true, force: true }); } };
}

// The capture to upload: a corpus file with TCP payload when the corpus is here, else one we
// write (capture.mjs).
function pickCapture(dir) {
  const corpus = process.env.APC_CORPUS || join(SRC, "..", "shared", "corpus");
  const f = join(corpus, "ndpi", "ftp.pcap");
  if (existsSync(f)) return { path: f, from: "corpus" };
  const path = join(dir, "generated.pcap");
  writeCapture(path);
  return { path, from: "generated (no corpus: APC_CORPUS)" };
}

function tsharkCount(file, filter) {
  const out = execFileSync("tshark", ["-n", "-r", file, "-Y", filter, "-T", "fields", "-e", "frame.number"], { encoding: "utf8" });
  return out.split("\n").filter(Boolean).length;
}

function capinfosCount(file) {
  const out = execFileSync("capinfos", ["-M", "-c", file], { encoding: "utf8" });
  return Number(out.match(/Number of packets:\s*(\d+)/)[1]);
}

async function main() {
  mkdirSync(OUTDIR, { recursive: true });
  const d = await startApcd(APCD);
  const { browser, close } = await launch();
  const page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(60000);
  page.on("console", (m) => {
    if (m.type() === "error") check(false, `console error on ${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => check(false, `page error on ${page.url()}: ${e.message}`));
  let shot = 0;
  // fullPage false: the viewport only (a page of a thousand rows makes a 16 MB picture).
  const visit = async (name, fullPage = true) => {
    await page.waitForLoadState("networkidle").catch(() => {});
    const file = join(OUTDIR, `${String(++shot).padStart(2, "0")}-${name}.png`);
    await page.screenshot({ path: file, fullPage });
    await page.addScriptTag({ content: axeSource });
    const r = await page.evaluate(() => window.axe.run(document, { resultTypes: ["violations"] }));
    for (const v of r.violations.filter((x) => x.impact === "serious" || x.impact === "critical")) {
      check(false, `axe (${name}): ${v.id} ${v.impact}: ${v.help} at ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")}`);
    }
    log(`page ${name}: screenshot ${file}`);
  };
  const cap = pickCapture(d.dir);
  const packets = capinfosCount(cap.path);
  log(`capture ${cap.path} (${cap.from}), ${packets} packets`);
  let ns = null;
  try {
    // Log in (and once with a wrong password: the message is shown).
    await page.goto(d.url);
    await page.waitForSelector("form.login");
    await visit("login");
    await page.fill("input[name=username]", "admin");
    await page.fill("input[name=password]", "wrong");
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("form.login .msg.error");
    check((await page.textContent("form.login .msg.error")).includes("Wrong"), "a wrong password is said");
    await page.fill("input[name=password]", d.password);
    await page.click("form.login button[type=submit]");
    await page.waitForSelector("h1:text('Dashboard')");
    await page.waitForSelector("dl.facts");
    await visit("dashboard");

    // Upload the capture.
    await page.click("header nav >> text=Captures");
    await page.setInputFiles("#upload-file", cap.path);
    await page.click("form.upload button[type=submit]");
    await page.waitForSelector("#upload-open", { timeout: 120000 });
    check(await page.$eval("form.upload progress", (p) => p.value === 100), "the progress bar reached 100");
    await visit("captures-uploaded");
    await page.click("#upload-open");

    // The capture: the packet list, scrolled; a packet's tree and bytes.
    await page.waitForSelector(".vlist .vrow[data-loaded]");
    const id = Number(page.url().match(/capture\/(\d+)/)[1]);
    const rows = await page.$$eval(".vlist .vrow[data-loaded]", (r) => r.length);
    check(rows > 0, "packet rows are shown");
    await page.$eval(".vlist", (el) => { el.scrollTop = el.scrollHeight / 2; });
    await page.waitForFunction(() => {
      const r = [...document.querySelectorAll(".vlist .vport .vrow:not([hidden])")];
      return r.length && r.every((x) => x.dataset.loaded);
    });
    await page.focus(".vlist");
    await page.keyboard.press("End");
    await page.waitForFunction((n) => {
      const sel = document.querySelector(".vlist .vrow[aria-selected=true]");
      return sel && sel.dataset.loaded && sel.firstChild.textContent === String(n);
    }, packets);
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowDown");
    await page.waitForSelector(".tree details summary");
    await page.waitForSelector(".dump .hexdump");
    const fld = await page.$(".tree button.fld");
    await fld.click();
    await page.waitForSelector(".dump .hexdump mark");
    check((await page.textContent(".tree")).match(/Internet Protocol|Ethernet|Linux cooked/), "the tree names the layers");
    await visit("capture-packets");

    // Connections and follow stream (a TCP connection with payload).
    await page.click("nav.tabs >> text=Connections");
    await page.waitForSelector("table.grid");
    const conns = await page.$$("table.grid tbody tr");
    check(conns.length > 0, "connections are listed");
    let followed = false;
    for (const tr of conns.slice(0, 20)) {
      if (!(await tr.textContent()).includes("TCP")) continue;
      await (await tr.$("button.follow-btn")).click();
      await page.waitForSelector(".follow .stream :is(pre, p)");
      if (await page.$(".follow .stream pre")) {
        followed = true;
        break;
      }
    }
    check(followed, "a TCP stream was followed and showed payload");
    await visit("capture-follow-stream");
    await page.click("nav.tabs >> text=Processes");
    await page.waitForSelector(".tab-processes :is(ul.ptree, p)");
    await visit("capture-processes");
    await page.click("nav.tabs >> text=IP addresses");
    await page.waitForSelector(".tab-ips table.grid");
    await visit("capture-ips");

    // Search: a bad filter (underlined, message), then a good one (counts as tshark's).
    await page.click("nav.tabs >> text=Packets");
    await page.waitForSelector("input.filter");
    await page.fill("input.filter", "tcp.port == && ip");
    await page.waitForSelector(".filter-msg .error");
    check(await page.$(".filter-show .err-at"), "the bad part is underlined");
    await visit("search-bad-filter");
    const good = "tcp.port == 21";
    await page.fill("input.filter", good);
    await page.waitForSelector("form.filterbar.ok");
    await page.click("form.filterbar button[type=submit]");
    await page.waitForSelector(".count[data-state=completed]");
    const matches = Number(await page.getAttribute(".count", "data-matches"));
    const want = tsharkCount(cap.path, good);
    check(matches === want, `search '${good}': ${matches} matches, tshark -Y finds ${want}`);
    if (want) await page.waitForSelector(".vlist .vrow[data-loaded]");
    await visit("search-good-filter");

    // Statistics; a bar leads to a search.
    await page.goto(`${d.url}#/stats/${id}`);
    await page.waitForSelector(".chart canvas, .tops");
    await page.waitForSelector("button.bar");
    await visit("stats");
    await page.click("button.bar");
    await page.waitForSelector(".count[data-state]");

    // Export and download the capture; capinfos reads every packet.
    await page.goto(`${d.url}#/capture/${id}`);
    await page.waitForSelector(".vlist .vrow[data-loaded]");
    const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 120000 }), page.click("button:text('Download pcapng')")]);
    const saved = join(d.dir, "downloaded.pcapng");
    await dl.saveAs(saved);
    check(capinfosCount(saved) === packets, `the downloaded pcapng has ${packets} packets (capinfos)`);
    await page.goto(`${d.url}#/exports`);
    await page.waitForSelector("table.grid tbody tr");
    const [dl2] = await Promise.all([page.waitForEvent("download"), page.click("button.dl")]);
    await dl2.saveAs(join(d.dir, "export2.pcapng"));
    check(capinfosCount(join(d.dir, "export2.pcapng")) === packets, "an export downloaded from the exports page reads whole");
    await visit("exports");

    // The Files page's switch turns extraction on for captures that start from now on; a
    // reload shows it on (apppaccap's Extraction).
    await page.goto(`${d.url}#/files`);
    await page.waitForSelector("#files-extraction");
    check(!(await page.isChecked("#files-extraction")), "extraction starts off");
    await page.check("#files-extraction");
    await page.waitForFunction(() => /On: captures that start now/.test(document.querySelector("main").textContent));
    await page.reload();
    await page.waitForSelector("#files-extraction");
    await page.waitForFunction(() => document.querySelector("#files-extraction").checked, null, { timeout: 30000 });
    await visit("files-extraction-on");

    // Live capture on a namespace's veth (root only).
    ns = liveSetup();
    if (!ns.ok) {
      log(`live capture: skipped (${ns.why})`);
    } else {
      await page.goto(`${d.url}#/live`);
      await page.waitForSelector(`input[value="${ns.dev}"]`);
      await page.check(`input[value="${ns.dev}"]`);
      await visit("live-start");
      await page.click("#live-start");
      await page.waitForSelector("#live-stop");
      // Datagrams from the namespace to this side, ten a second until stopped.
      const sender = "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n" +
        `for i in range(600):\n s.sendto(b'apc-browser-%d' % i, ('${ns.hostIp}', 9))\n time.sleep(0.1)\n`;
      const pinger = spawn("ip", ["netns", "exec", ns.name, "python3", "-c", sender], { stdio: "ignore" });
      await page.waitForFunction(() => document.querySelectorAll(".vlist .vrow[data-loaded]").length >= 5, null, { timeout: 60000 });
      await visit("live-watching");
      // The running capture is on the Files page, which says its files come when it ends (the
      // examination follows it: extraction is on).
      const liveId = page.url().match(/#\/live\/(\d+)/)[1];
      await page.goto(`${d.url}#/files`);
      await page.waitForSelector(`#files-capture option[value="${liveId}"]`, { state: "attached" });
      check((await page.textContent(`#files-capture option[value="${liveId}"]`)).includes("(capturing)"),
        "the Files page lists the running capture as capturing");
      await page.goto(`${d.url}#/files/${liveId}`);
      await page.waitForFunction((lid) => document.querySelector("main").textContent.includes(`Capture ${lid} is still running`),
        liveId, { timeout: 60000 });
      await visit("files-running");
      await page.goto(`${d.url}#/live/${liveId}`);
      await page.waitForSelector("#live-stop");
      await page.waitForFunction(() => document.querySelectorAll(".vlist .vrow[data-loaded]").length >= 5, null, { timeout: 60000 });
      await page.click("#live-stop");
      await page.waitForSelector("a:text('Open it')", { timeout: 60000 });
      pinger.kill();
      const seen = await page.$$eval(".vlist .vrow[data-loaded]", (r) => r.map((x) => x.textContent).join("\n"));
      check(seen.includes(`${ns.peerIp}:`) && seen.includes(`${ns.hostIp}:9`), "the live list shows the namespace's datagrams");
      await visit("live-stopped");
    }

    // Files: the capture is examined for files by a command the page follows to its end.
    await page.goto(`${d.url}#/files/${id}`);
    await page.waitForFunction(() => /No file was found|Extract/.test(document.querySelector("main").textContent),
      null, { timeout: 120000 });
    await visit("files-examined");

    // Leaving a page before apcd has answered it: the page left must not come back over the
    // next one (each page renders into a <main> of its own; CI run45 once landed on the packets
    // of the capture it had just left).
    await page.goto(`${d.url}#/capture/${id}`);
    await page.evaluate((fid) => { location.hash = `#/files/${fid}`; }, id);
    await page.waitForFunction(() => /No file was found|Extract/.test(document.querySelector("main").textContent),
      null, { timeout: 120000 });
    await page.waitForLoadState("networkidle"); // the capture page's answer, if late, has landed
    check(page.url().includes(`#/files/${id}`) && !(await page.$("main .capfacts")),
      `the files page stays after leaving a capture page at once (${page.url()})`);

    // A capture with more files than a page (1,000): the next page comes on demand.
    const many = join(d.dir, "files.pcap");
    writeHttpFiles(many, 1050);
    await page.goto(`${d.url}#/captures`);
    await page.setInputFiles("#upload-file", many);
    await page.click("form.upload button[type=submit]");
    await page.waitForSelector("#upload-open", { timeout: 120000 });
    await page.click("#upload-open");
    // The capture page shown whole before moving on (under load, going on at once once landed
    // back on it: CI runs 45 and 46).
    await page.waitForURL(/capture\/\d+/);
    await page.waitForSelector(".vlist .vrow[data-loaded]");
    const manyId = Number(page.url().match(/capture\/(\d+)/)[1]);
    await page.goto(`${d.url}#/files/${manyId}`);
    await page.waitForSelector("#files-more", { timeout: 120000 });
    const rowsShown = () => page.$$eval("#files-seen table tbody tr", (r) => r.length);
    check(await rowsShown() === 1000, `the files page shows the first 1,000 files (${await rowsShown()})`);
    await page.click("#files-more");
    await page.waitForFunction(() => /All 1,050 files shown/.test(document.querySelector("main").textContent), null, { timeout: 60000 });
    check(await rowsShown() === 1050, `the next page adds the last 50 files (${await rowsShown()})`);
    check(!(await page.$("#files-more")), "no next page after the last");
    await page.locator("text=All 1,050 files shown").scrollIntoViewIfNeeded();
    await visit("files-paged", false);

    // The other pages, each screenshotted and checked.
    for (const [hash, name, sel] of [["#/search", "search", "form.filterbar"], ["#/captures", "captures", "table.grid"],
      ["#/triggers", "triggers", "section"], ["#/files/" + id, "files", "section .msg, section table"],
      ["#/settings", "settings", "table.grid"], ["#/users", "users", "main .msg, main table"], ["#/", "dashboard-after", "dl.facts"]]) {
      await page.goto(`${d.url}${hash}`);
      await page.waitForSelector(sel);
      await visit(name);
    }
    // 800 pixels wide.
    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(`${d.url}#/capture/${id}`);
    await page.waitForSelector(".vlist .vrow[data-loaded]");
    await page.keyboard.press("Tab");
    await visit("capture-800px");
    await page.goto(`${d.url}#/`);
    await page.waitForSelector("dl.facts");
    await visit("dashboard-800px");

    // An expired session returns to the login page with the message.
    await page.setViewportSize({ width: 1400, height: 900 });
    await page.evaluate(async () => {
      const b = new URLSearchParams({ action: "settings_set", key_name: "session_idle_seconds", value: "1" });
      await fetch("ajax", { method: "POST", body: b, headers: { "X-Apc-Token": sessionStorage.getItem("apcToken") } });
    });
    await new Promise((r) => setTimeout(r, 2500));
    await page.goto(`${d.url}#/captures`);
    await page.waitForSelector("form.login .msg");
    check((await page.textContent("form.login .msg")).includes("expired"), "an expired session says so on the login page");
    await visit("session-expired");
  } catch (e) {
    await page.screenshot({ path: join(OUTDIR, "failed.png"), fullPage: true }).catch(() => {});
    throw new Error(`${e.message} (page ${page.url()}, screenshot failed.png)`);
  } finally {
    if (ns && ns.ok) ns.cleanup();
    await close();
    const rc = await d.stop();
    check(rc === 0, `apcd exit code ${rc}`);
  }
  if (failures.length) {
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log(`ok (${shot} pages screenshotted into ${OUTDIR})`);
}

// A namespace with a veth pair: one end in this (apcd's) namespace, the other in the new one.
// Unique names, so two runs never meet; removed at the end (deleting the namespace deletes the
// pair).
function liveSetup() {
  if (process.getuid() !== 0) return { ok: false, why: "not root: namespaces need root" };
  const tag = `${process.pid % 100000}`;
  const name = `apcweb${tag}`, dev = `apcw${tag}a`, peer = `apcw${tag}b`;
  const net = `10.79.${process.pid % 250}`;
  const hostIp = `${net}.1`, peerIp = `${net}.2`;
  const sh = (...a) => spawnSync("ip", a, { encoding: "utf8" });
  const steps = [["netns", "add", name], ["link", "add", dev, "type", "veth", "peer", "name", peer, "netns", name],
    ["addr", "add", `${hostIp}/30`, "dev", dev], ["link", "set", dev, "up"],
    ["-n", name, "addr", "add", `${peerIp}/30`, "dev", peer], ["-n", name, "link", "set", peer, "up"], ["-n", name, "link", "set", "lo", "up"]];
  const cleanup = () => { sh("netns", "del", name); sh("link", "del", dev); };
  for (const s of steps) {
    const r = sh(...s);
    if (r.status !== 0) {
      cleanup();
      return { ok: false, why: `ip ${s.join(" ")}: ${r.stderr.trim()}` };
    }
  }
  return { ok: true, name, dev, hostIp, peerIp, cleanup };
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.env.APC_SANITIZED === "1") {
  // The sanitizer build's apcd is the same code: its HTTP routes are covered there by
  // tests/daemon; a browser run of minutes more would add nothing the plain build's does not.
  console.log("SKIP: the browser suite runs in the plain build (APC_SANITIZED=1)");
  process.exit(77);
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((e) => {
    console.error("FAIL:", e.stack || e.message);
    process.exit(1);
  });
}
