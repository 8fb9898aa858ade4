// SPDX-License-Identifier: MIT
// A capture for the browser suite and the benchmark when no corpus is at hand: pcap (LINKTYPE
// 1) of Ethernet/IPv4 conversations: TCP connections to port 21 (handshake, a few lines each
// way, FIN), DNS over UDP, and ICMP echoes. writeCapture(path, {connections}) writes it;
// writeBig(path, packets) writes `packets` small UDP packets quickly (for the benchmark);
// writeHttpFiles(path, files) one HTTP/1.1 download per TCP connection, `files` of them (each
// a 200 response with a Content-Length body: one file each for extraction).
import { openSync, writeSync, closeSync } from "node:fs";

function csum(b, o, n, init = 0) {
  let s = init;
  for (let i = 0; i < n; i += 2) s += (b[o + i] << 8) | (i + 1 < n ? b[o + i + 1] : 0);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

function frame({ src, dst, proto, sport = 0, dport = 0, seq = 0, ack = 0, flags = 0, payload = new Uint8Array(0), icmp = null }) {
  const l4 = proto === 6 ? 20 : proto === 17 ? 8 : 8;
  const ipLen = 20 + l4 + payload.length;
  const b = new Uint8Array(14 + ipLen);
  b.set([2, 0, 0, 0, 0, dst[3], 2, 0, 0, 0, 0, src[3], 0x08, 0x00]);
  const ip = 14;
  b.set([0x45, 0, ipLen >> 8, ipLen & 255, 0, 1, 0x40, 0, 64, proto, 0, 0, ...src, ...dst], ip);
  const c = csum(b, ip, 20);
  b[ip + 10] = c >> 8;
  b[ip + 11] = c & 255;
  const t = ip + 20;
  const dv = new DataView(b.buffer);
  if (proto === 6) {
    dv.setUint16(t, sport);
    dv.setUint16(t + 2, dport);
    dv.setUint32(t + 4, seq >>> 0);
    dv.setUint32(t + 8, ack >>> 0);
    b[t + 12] = 5 << 4;
    b[t + 13] = flags;
    dv.setUint16(t + 14, 65535);
  } else if (proto === 17) {
    dv.setUint16(t, sport);
    dv.setUint16(t + 2, dport);
    dv.setUint16(t + 4, 8 + payload.length);
  } else {
    b[t] = icmp;
    dv.setUint16(t + 4, 7);
  }
  b.set(payload, t + l4);
  return b;
}

class Pcap {
  constructor(path) {
    this.fd = openSync(path, "w");
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, 0xa1b2c3d4, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, 65535, true);
    h.setUint32(20, 1, true);
    writeSync(this.fd, new Uint8Array(h.buffer));
    this.t = 1764670000 * 1e6;
    this.n = 0;
    this.buf = [];
  }
  add(b, stepUs = 1000) {
    this.t += stepUs;
    const r = new DataView(new ArrayBuffer(16));
    r.setUint32(0, Math.floor(this.t / 1e6), true);
    r.setUint32(4, this.t % 1e6, true);
    r.setUint32(8, b.length, true);
    r.setUint32(12, b.length, true);
    this.buf.push(new Uint8Array(r.buffer), b);
    this.n++;
    if (this.buf.length > 4096) this.flush();
  }
  flush() {
    for (const x of this.buf) writeSync(this.fd, x);
    this.buf = [];
  }
  close() {
    this.flush();
    closeSync(this.fd);
    return this.n;
  }
}

const text = (s) => new TextEncoder().encode(s);

// One TCP connection's two directions: to(flags, payload) sends from the client, back(...) from
// the server, each moving its side's sequence number on (a payload's length, 1 for SYN or FIN).
function conversation(p, { client, server, sport, dport, cs, ss }) {
  const step = (flags, payload) => (payload ? payload.length : flags & 3 ? 1 : 0);
  return {
    to: (flags, payload) => {
      p.add(frame({ src: client, dst: server, proto: 6, sport, dport, seq: cs, ack: ss, flags, payload }));
      cs += step(flags, payload);
    },
    back: (flags, payload) => {
      p.add(frame({ src: server, dst: client, proto: 6, sport: dport, dport: sport, seq: ss, ack: cs, flags, payload }));
      ss += step(flags, payload);
    },
  };
}

export function writeCapture(path, { connections = 12 } = {}) {
  const p = new Pcap(path);
  const client = [10, 79, 200, 2], server = [10, 79, 200, 1];
  for (let c = 0; c < connections; c++) {
    const sport = 40000 + c;
    const { to, back } = conversation(p, { client, server, sport, dport: 21, cs: 1000 * (c + 1), ss: 5000 * (c + 1) });
    to(0x02);
    back(0x12);
    to(0x10);
    back(0x18, text("220 AppPacCap test server ready\r\n"));
    to(0x18, text(`USER user${c}\r\n`));
    back(0x18, text("331 Password required\r\n"));
    to(0x18, text("PASS secret\r\n"));
    back(0x18, text("230 Logged in\r\n"));
    to(0x18, text("QUIT\r\n"));
    back(0x18, text("221 Bye\r\n"));
    to(0x11);
    back(0x11);
    to(0x10);
    const q = new Uint8Array([0x12, c, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 102, 116, 112, 7, 101, 120, 97, 109, 112, 108, 101, 3, 111, 114, 103, 0, 0, 1, 0, 1]);
    p.add(frame({ src: client, dst: [10, 79, 200, 53], proto: 17, sport: 50000 + c, dport: 53, payload: q }));
    p.add(frame({ src: client, dst: server, proto: 1, icmp: 8 }));
    p.add(frame({ src: server, dst: client, proto: 1, icmp: 0 }));
  }
  return p.close();
}

export function writeBig(path, packets) {
  const p = new Pcap(path);
  const f = frame({ src: [10, 79, 201, 2], dst: [10, 79, 201, 1], proto: 17, sport: 40000, dport: 9999, payload: new Uint8Array(64) });
  for (let i = 0; i < packets; i++) {
    f[14 + 20 + 1] = i & 255; // source port varies a little: a few connections
    p.add(f.slice(), 10);
  }
  return p.close();
}

export function writeHttpFiles(path, files) {
  const p = new Pcap(path);
  const client = [10, 79, 202, 2], server = [10, 79, 202, 1];
  for (let c = 0; c < files; c++) {
    const sport = 20000 + c;
    const { to, back } = conversation(p, { client, server, sport, dport: 80, cs: 7000 + c, ss: 90000 + c });
    const body = `file ${c} of ${files}\n`;
    to(0x02);
    back(0x12);
    to(0x10);
    to(0x18, text(`GET /f${c}.txt HTTP/1.1\r\nHost: files.test\r\n\r\n`));
    back(0x18, text(`HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`));
    to(0x11);
    back(0x11);
    to(0x10);
  }
  return p.close();
}
