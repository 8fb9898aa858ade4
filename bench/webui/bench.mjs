// SPDX-License-Identifier: MIT
// The measurements of bench/webui/run.sh. usage: node bench.mjs APCD CAPTURE.pcap
import { execFileSync } from "node:child_process";
import { dirname } from "node:path";
import { startApcd, launch } from "../../tests/browser/webui.mjs";

const [APCD, IN] = process.argv.slice(2);
const RUNS = 7;
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  execFileSync(cmd, args, { stdio: ["ignore", "ignore", "ignore"], maxBuffer: 1 << 30 });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main() {
  // apcd reads only from its ingest roots (docs/security.md): the capture's folder is one.
  const d = await startApcd(APCD, ["--ingest-roots", dirname(IN)]);
  const { browser, close } = await launch();
  try {
    const login = await fetch(`${d.url}ajax`, { method: "POST", body: new URLSearchParams({ action: "login", username: "admin", password: d.password }) }).then((r) => r.json());
    const tok = login.ReturnValue;
    const t0 = Date.now();
    const ing = await fetch(`${d.url}ajax`, { method: "POST", headers: { "X-Apc-Token": tok }, body: new URLSearchParams({ action: "pcap_ingest_file", path: IN, wait: 1 }) }).then((r) => r.json());
    if (ing.ErrorCode !== 0) throw new Error(`ingest: ${JSON.stringify(ing)}`);
    const id = ing.ReturnValue;
    console.log(`ingested ${IN} as capture ${id} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const page = browser.pages()[0] || (await browser.newPage());
    await page.goto(d.url);
    await page.evaluate(([t]) => { sessionStorage.setItem("apcToken", t); sessionStorage.setItem("apcUser", "admin"); }, [tok]);
    await page.reload();
    await page.goto(`${d.url}#/captures`);
    await page.waitForSelector("table.grid");
    // Open the capture RUNS times: from the navigation to the first rows with packets drawn.
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      await page.evaluate(() => (location.hash = "#/exports"));
      await page.waitForSelector("h1:text('Exports')");
      times.push(await page.evaluate((cid) => new Promise((res) => {
        const t = performance.now();
        location.hash = `#/capture/${cid}`;
        const tick = () => (document.querySelector(".vlist .vrow[data-loaded]") ? res(performance.now() - t) : requestAnimationFrame(tick));
        tick();
      }), id));
    }
    const total = await page.evaluate(() => window.apcList.total);
    // A jump to the end (End on the scroll bar, or a drag released there): the pages read.
    const jump = await page.evaluate(() => new Promise((res) => {
      const l = window.apcList, before = l.stats.pagesLoaded;
      const wait = () => {
        const rows = [...document.querySelectorAll(".vlist .vport .vrow:not([hidden])")];
        if (rows.length && rows.every((r) => r.dataset.loaded)) res({ pages: l.stats.pagesLoaded - before, last: rows[rows.length - 1].firstChild.textContent });
        else setTimeout(wait, 20);
      };
      l.el.addEventListener("scroll", () => requestAnimationFrame(wait), { once: true });
      l.el.scrollTop = l.el.scrollHeight;
    }));
    await page.evaluate(() => (location.hash = "#/exports"));
    await page.waitForSelector("h1:text('Exports')");
    await page.evaluate((cid) => (location.hash = `#/capture/${cid}`), id);
    await page.waitForSelector(".vlist .vrow[data-loaded]");
    // Drag to the end: 40 scroll steps in about a second, as a hand on the scroll bar would.
    const scrolled = await page.evaluate(() => new Promise((res) => {
      const el = document.querySelector(".vlist");
      let k = 0;
      const step = () => {
        k++;
        el.scrollTop = (el.scrollHeight * k) / 40;
        if (k < 40) setTimeout(step, 25);
        else {
          const wait = () => {
            const rows = [...document.querySelectorAll(".vlist .vport .vrow:not([hidden])")];
            if (rows.length && rows.every((r) => r.dataset.loaded)) {
              const l = window.apcList;
              res({ pages: l.stats.pagesLoaded, shownPages: new Set(rows.map((r) => Math.floor(Number(r.dataset.i) / l.pageSize))).size, last: rows[rows.length - 1].firstChild.textContent });
            } else setTimeout(wait, 20);
          };
          wait();
        }
      };
      step();
    }));
    const tFirst = median([0, 1, 2].map(() => timed("tshark", ["-n", "-r", IN, "-c", "200"])));
    const tAll = process.env.APC_BENCH_QUICK ? NaN : timed("tshark", ["-n", "-r", IN, "-T", "fields", "-e", "frame.number"]);
    const ours = median(times);
    console.log(`packets in the capture: ${total}`);
    console.log(`first packet page drawn: median ${ours.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms over ${RUNS} opens (target < 300 ms): ${ours < 300 ? "met" : "MISSED"}`);
    console.log(`jumped to the end (row ${jump.last}): ${jump.pages} page(s) read (target: only pages shown)`);
    console.log(`dragged to the end (row ${scrolled.last}): ${scrolled.pages} pages read in all, ${scrolled.shownPages} shown at the end; the first page was read when the capture opened (target: only pages shown)`);
    console.log(`tshark, first 200 packets: ${tFirst.toFixed(1)} ms; ratio ours/tshark ${(ours / tFirst).toFixed(2)}`);
    if (!Number.isNaN(tAll)) console.log(`tshark, whole file (what Wireshark reads before showing the list): ${tAll.toFixed(0)} ms; ratio ours/that ${(ours / tAll).toFixed(4)}`);
  } finally {
    await close();
    await d.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
