// SPDX-License-Identifier: MIT
// A table of whatever objects an action lists, for the pages whose actions other parts of
// AppPacCap are building now (triggers, actions, extracted files): the columns named first,
// then any other field; FILETIME fields (named *Time, *Fired, Created...) shown as times.
import { table } from "../dom.js";
import * as fmt from "../fmt.js";

const TIMEY = /(Time|Fired|Created|Started|Finished|Seen|Run)$/;

export function objectTable(list, first, extra) {
  const keys = [...first];
  for (const o of list) for (const k of Object.keys(o)) if (k !== "Version" && !keys.includes(k)) keys.push(k);
  const show = (k, v) => {
    if (v === null || v === undefined) return "";
    if (TIMEY.test(k) && (typeof v === "number" || typeof v === "bigint")) return fmt.time(v, 0);
    if (/Size$|Bytes$/.test(k)) return fmt.bytes(v);
    if (Array.isArray(v)) return v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join(", ");
    if (typeof v === "object") return JSON.stringify(v);
    return String(v);
  };
  const cols = keys.filter((k) => list.some((o) => k in o) || first.includes(k)).map((k) => ({ title: k, get: (o) => show(k, o[k]) }));
  if (extra) cols.push(extra);
  return table(cols, list);
}
