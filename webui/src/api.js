// SPDX-License-Identifier: MIT
// The client of POST ajax (docs/api.md): every page of the theme talks to apcd through call().
// Numbers: the wire's integers are 64-bit and FILETIMEs have 18 digits, past what a JavaScript
// number holds exactly (2^53), so replies are parsed with lossless-json: an integer that fits
// a number is a number, a larger one a BigInt (fmt.js prints both).
import { parse, isInteger, isSafeNumber } from "lossless-json";

export const E = {
  OK: 0, GENERIC: 1, NO_TOKEN: 2, MALFORMED: 4, TIMEOUT: 5, PERM: 8, CREDS: 9,
  NOT_FOUND: 100, CONFLICT: 101, NOT_SUPPORTED: 102, LIMIT: 104, CANCELLED: 106, UNKNOWN_ACTION: 107,
};

export class ApiError extends Error {
  constructor(code, message, action) {
    super(message);
    this.code = code;
    this.action = action;
  }
  // The action is not there yet (other parts of AppPacCap are being built): pages say so.
  get unsupported() {
    return this.code === E.NOT_SUPPORTED || this.code === E.UNKNOWN_ACTION;
  }
}

function number(text) {
  if (!isInteger(text)) return parseFloat(text);
  return isSafeNumber(text) ? Number(text) : BigInt(text);
}

export function parseReply(text) {
  return parse(text, null, number);
}

const KEY = "apcToken";
let token = (typeof APC_TOKEN === "string" && /^[0-9a-f]{64}$/.test(APC_TOKEN) && APC_TOKEN) ||
  sessionStorage.getItem(KEY) || "";
let sessionLost = () => {};

export const session = {
  get token() { return token; },
  set(t, user) {
    token = t;
    sessionStorage.setItem(KEY, t);
    if (user) sessionStorage.setItem("apcUser", user);
  },
  clear() {
    token = "";
    sessionStorage.removeItem(KEY);
  },
  get user() { return sessionStorage.getItem("apcUser") || ""; },
  onLost(f) { sessionLost = f; },
};

// Counts for the benchmark and the tests (docs/webui.md): requests made, by action.
export const stats = { calls: 0, byAction: {} };

function form(action, params) {
  const body = new URLSearchParams();
  body.set("action", action);
  for (const [k, v] of Object.entries(params || {})) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) v.forEach((x) => body.append(k, String(x)));
    else body.set(k, String(v));
  }
  return body;
}

// Runs an action; resolves to ReturnValue or rejects with an ApiError. A lost session (no
// token, expired) sends the user to the login page with the server's message.
export async function call(action, params, { signal } = {}) {
  stats.calls++;
  stats.byAction[action] = (stats.byAction[action] || 0) + 1;
  const headers = token ? { "X-Apc-Token": token } : {};
  let r;
  try {
    r = await fetch("ajax", { method: "POST", body: form(action, params), headers, signal });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(-1, `apcd cannot be reached (${e.message})`, action);
  }
  const text = await r.text();
  let res;
  try {
    res = parseReply(text);
  } catch {
    throw new ApiError(-1, `HTTP ${r.status} from apcd: ${text.slice(0, 200)}`, action);
  }
  if (res.ErrorCode !== E.OK) {
    if ((res.ErrorCode === E.NO_TOKEN || res.ErrorCode === E.TIMEOUT) && action !== "login") {
      session.clear();
      sessionLost(res.ErrorCode === E.TIMEOUT ? "Your session has expired: log in again." : String(res.ReturnValue));
    }
    throw new ApiError(res.ErrorCode, String(res.ReturnValue), action);
  }
  return res.ReturnValue;
}

// Reads every page of a last_id list (capture_list_conns, capture_get_processes,
// capture_query_ip), up to `max` items. idField is the cursor (ConnId, ProcessId, IpId).
export async function readAll(action, params, idField, max = 5000) {
  const out = [];
  let last = 0;
  for (;;) {
    const page = await call(action, { ...params, last_id: last, count: 1000 });
    if (!page.length) break;
    out.push(...page);
    last = page[page.length - 1][idField];
    if (page.length < 1000 || out.length >= max) break;
  }
  return out;
}

// Starts a download of an export, a capture's pcapng or an extracted file: apcd hands out a
// short-lived link (docs/apcd.md "Downloads"), which the browser follows as an attachment.
export async function download(params) {
  const r = await fetch("download", {
    method: "POST",
    headers: { "X-Apc-Token": token, "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(params),
  });
  const res = parseReply(await r.text());
  if (res.ErrorCode !== E.OK) throw new ApiError(res.ErrorCode, String(res.ReturnValue), "download");
  const a = document.createElement("a");
  a.href = res.ReturnValue;
  a.download = "";
  document.body.append(a);
  a.click();
  a.remove();
}

// Runs an export action (capture_export, search_export) to its end and downloads the file;
// resolves to the final COMMAND.
export async function exportAndDownload(action, params) {
  const cmd = await call(action, { ...params, wait: 1 });
  if (cmd.State !== "completed") throw new ApiError(-1, `the export ${cmd.State}: ${cmd.Error}`, action);
  await download({ kind: "export", name: String(cmd.Result).split("/").pop() });
  return cmd;
}

// pcap_ingest_post with progress: XMLHttpRequest reports upload progress, fetch does not.
// The token goes in a header so apcd checks the session before writing a byte.
export function upload(file, name, onprogress) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", "ajax");
    x.setRequestHeader("X-Apc-Token", token);
    x.upload.onprogress = (e) => e.lengthComputable && onprogress(e.loaded, e.total);
    x.onerror = () => reject(new ApiError(-1, "the upload failed: apcd closed the connection", "pcap_ingest_post"));
    x.onload = () => {
      let res;
      try {
        res = parseReply(x.responseText);
      } catch {
        return reject(new ApiError(-1, `HTTP ${x.status}: ${x.responseText.slice(0, 200)}`, "pcap_ingest_post"));
      }
      if (res.ErrorCode !== E.OK) return reject(new ApiError(res.ErrorCode, String(res.ReturnValue), "pcap_ingest_post"));
      resolve(res.ReturnValue);
    };
    const fd = new FormData();
    fd.append("action", "pcap_ingest_post");
    if (name) fd.append("name", name);
    fd.append("file", file, file.name);
    x.send(fd);
  });
}
