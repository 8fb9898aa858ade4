// SPDX-License-Identifier: MIT
// How values read: times in local time as ISO 8601 with the offset, sizes in IEC units,
// counts with separators. FILETIMEs (100 ns ticks since 1601, docs/api.md "Times") are
// computed with BigInt so no tick is lost, whether the reply gave a number or a BigInt.
const EPOCH = 116444736000000000n; // FILETIME of 1970-01-01T00:00:00Z
const TICKS_PER_SECOND = 10000000n;

const pad = (n, w = 2) => String(n).padStart(w, "0");

export function big(v) {
  if (typeof v === "bigint") return v;
  if (typeof v === "number") return BigInt(Math.trunc(v));
  if (typeof v === "string" && /^-?\d+$/.test(v)) return BigInt(v);
  return 0n;
}

// FILETIME -> "2026-12-02T12:10:44.1234567+01:00" (digits: how many of the 7 fractional
// digits to show). 0 (unknown) -> "".
export function time(ft, digits = 6) {
  const t = big(ft);
  if (t === 0n) return "";
  const since = t - EPOCH;
  let secs = since / TICKS_PER_SECOND;
  let frac = since % TICKS_PER_SECOND;
  if (frac < 0n) {
    frac += TICKS_PER_SECOND;
    secs -= 1n;
  }
  const d = new Date(Number(secs) * 1000);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const zone = `${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
  const fs = digits > 0 ? "." + pad(frac, 7).slice(0, digits) : "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
    `${pad(d.getMinutes())}:${pad(d.getSeconds())}${fs}${zone}`;
}

// Seconds between two FILETIMEs, as a number (fine for display).
export function seconds(from, to) {
  return Number(big(to) - big(from)) / 1e7;
}

// A FILETIME -> milliseconds since 1970 (for charts; sub-millisecond digits dropped).
export function ms(ft) {
  return Number((big(ft) - EPOCH) / 10000n);
}

export function fromDate(date) {
  return BigInt(date.getTime()) * 10000n + EPOCH;
}

const nf = new Intl.NumberFormat("en-US");
export function count(n) {
  if (n === undefined || n === null || n === "") return "";
  return nf.format(typeof n === "bigint" ? n : Number(n));
}

export function bytes(n) {
  let v = Number(big(n));
  if (!Number.isFinite(v)) return "";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)} ${units[i]}`;
}

export function duration(s) {
  if (!Number.isFinite(s) || s < 0) return "";
  if (s < 1) return `${(s * 1000).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(s < 10 ? 3 : 1)} s`;
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
  return h ? `${h} h ${m} min` : `${m} min ${sec} s`;
}

const PROTO = { 1: "ICMP", 2: "IGMP", 6: "TCP", 17: "UDP", 41: "IPv6", 47: "GRE", 50: "ESP", 58: "ICMPv6", 132: "SCTP" };
export function proto(n) {
  const v = Number(n);
  return v < 0 ? "" : PROTO[v] || `IP ${v}`;
}

export function endpoint(ip, port) {
  if (!ip) return "";
  const p = Number(port);
  if (p < 0 || port === undefined) return ip;
  return ip.includes(":") ? `[${ip}]:${p}` : `${ip}:${p}`;
}
