// SPDX-License-Identifier: MIT
// Builds the default theme (docs/webui.md): src/ -> ../apcd/themes/default/ (index.html,
// app.js, app.css, LICENSES.txt). `--check` builds into memory and fails when the committed
// files differ (the bundle is stale), so the C build and `meson install` never need Node.
import * as esbuild from "esbuild";
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "apcd", "themes", "default");
const check = process.argv.includes("--check");
if (check && process.env.APC_SANITIZED === "1") {
  console.log("SKIP: the bundle check runs in the plain build (APC_SANITIZED=1)");
  process.exit(77);
}

// What ships inside the bundle, with the licence each is under.
const bundled = [
  { name: "uPlot", pkg: "uplot", licence: "node_modules/uplot/LICENSE" },
  { name: "lossless-json", pkg: "lossless-json", licence: "node_modules/lossless-json/LICENSE.md" },
];

async function bundle(entry, extra) {
  const r = await esbuild.build({
    entryPoints: [join(here, entry)],
    bundle: true,
    minify: true,
    write: false,
    legalComments: "none", // the licences are in LICENSES.txt beside the bundle
    target: ["chrome110", "firefox115", "safari16"],
    logLevel: "warning",
    ...extra,
  });
  return r.outputFiles[0].text;
}

function licences() {
  let s =
    "The default theme of apcd (AppPacCap). Built from webui/ in the AppPacCap sources by\n" +
    "`npm run build`. It bundles the packages below; each one's licence follows.\n\n" +
    "== AppPacCap ==\nSPDX-License-Identifier: MIT (every source file of AppPacCap says so).\n";
  for (const b of bundled) {
    const version = JSON.parse(readFileSync(join(here, "node_modules", b.pkg, "package.json"), "utf8")).version;
    s += `\n== ${b.name} ${version} (npm: ${b.pkg}) ==\n` + readFileSync(join(here, b.licence), "utf8").trim() + "\n";
  }
  return s;
}

const files = {
  "app.js": await bundle("src/main.js", { format: "iife" }),
  "app.css": await bundle("src/style.css", { loader: { ".css": "css" } }),
  "index.html": readFileSync(join(here, "src", "index.html"), "utf8"),
  "LICENSES.txt": licences(),
};

let stale = [];
for (const [name, text] of Object.entries(files)) {
  const path = join(out, name);
  if (check) {
    let old = null;
    try {
      old = readFileSync(path, "utf8");
    } catch {}
    if (old !== text) stale.push(name);
  } else {
    mkdirSync(out, { recursive: true });
    writeFileSync(path, text);
    console.log(`${path}: ${text.length} bytes`);
  }
}
if (check) {
  if (stale.length) {
    console.error(`apcd/themes/default is stale (${stale.join(", ")} differ from a build of webui/src): run \`npm run build\` in webui/ and commit the result`);
    process.exit(1);
  }
  console.log("apcd/themes/default matches a build of webui/src");
}
