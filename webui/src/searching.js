// SPDX-License-Identifier: MIT
// A search as the pages run it: search_start, then search_open until it ends, reporting the
// SEARCHMETA each time; matches are read by pages with search_read (match numbers 1, 2, ...
// are the rows of the list).
import { call } from "./api.js";
import { onLeave } from "./ui.js";

export async function startSearch({ filter, captureId, onmeta }) {
  const meta = await call("search_start", { filter, capture_id: captureId || 0 });
  let stop = false;
  const id = meta.SearchId;
  onmeta(meta);
  (async () => {
    let m = meta, wait = 100;
    while (!stop && (m.State === "queued" || m.State === "running")) {
      await new Promise((r) => setTimeout(r, wait));
      wait = Math.min(1000, wait * 2);
      if (stop) return;
      m = await call("search_open", { search_id: id });
      onmeta(m);
    }
  })().catch((e) => console.warn(e));
  onLeave(() => { stop = true; });
  return {
    id,
    read: (last, count) => call("search_read", { search_id: id, last_id: last, count }).then((r) => r.Packets),
    cancel: () => call("search_cancel", { search_id: id }),
    done: () => { stop = true; },
  };
}
