// SPDX-License-Identifier: MIT
// The packet tree of the capture view: the bytes of one packet (PACKET.Data) dissected into
// layers of named fields, each field knowing its byte range so the hex dump can show it.
// Every read is bounds-checked (a cut-off header ends the tree with a note): the bytes come
// from the capture. Layers: Ethernet (RFC 894) with 802.1Q tags, Linux SLL/SLL2, BSD null,
// raw IP, ARP (RFC 826), IPv4 (RFC 791), IPv6 (RFC 8200) and its extension headers, TCP
// (RFC 9293), UDP (RFC 768), ICMP (RFC 792), ICMPv6 (RFC 4443), DNS (RFC 1035).
import { proto } from "./fmt.js";

export function hexToBytes(hex) {
  const b = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(hex.substr(i * 2, 2), 16);
  return b;
}

class Cut extends Error {}

function reader(b) {
  const need = (o, n) => { if (o + n > b.length) throw new Cut(); };
  return {
    u8: (o) => (need(o, 1), b[o]),
    u16: (o) => (need(o, 2), (b[o] << 8) | b[o + 1]),
    u16le: (o) => (need(o, 2), b[o] | (b[o + 1] << 8)),
    u32: (o) => (need(o, 4), ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3])),
    u32le: (o) => (need(o, 4), ((b[o + 3] << 24) >>> 0) + ((b[o + 2] << 16) | (b[o + 1] << 8) | b[o])),
    mac: (o) => (need(o, 6), [...b.subarray(o, o + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":")),
    ip4: (o) => (need(o, 4), [...b.subarray(o, o + 4)].join(".")),
    ip6: (o) => (need(o, 16), ip6text(b.subarray(o, o + 16))),
  };
}

// RFC 5952 text: lowercase, the longest run of two or more zero groups as "::".
export function ip6text(a) {
  const g = [];
  for (let i = 0; i < 16; i += 2) g.push((a[i] << 8) | a[i + 1]);
  let best = -1, bl = 0;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { best = i; bl = j - i; }
  }
  const hx = (x) => x.map((v) => v.toString(16)).join(":");
  return best < 0 ? hx(g) : `${hx(g.slice(0, best))}::${hx(g.slice(best + bl))}`;
}

const ETHER = { 0x0800: "IPv4", 0x86dd: "IPv6", 0x0806: "ARP", 0x8100: "802.1Q", 0x88a8: "802.1ad", 0x8847: "MPLS", 0x8864: "PPPoE" };
const hex = (v, w) => `0x${v.toString(16).padStart(w, "0")}`;

export function dissect(bytes, linkType, wireLen) {
  const r = reader(bytes);
  const layers = [];
  let cur = null;
  const layer = (name, start) => (cur = { name, start, end: start, fields: [] }, layers.push(cur), cur);
  const f = (label, value, start, len) => {
    cur.fields.push({ label, value: String(value), start, end: start + len });
    cur.end = Math.max(cur.end, start + len);
  };
  layers.push({ name: `Frame: ${wireLen ?? bytes.length} bytes on the wire, ${bytes.length} captured`, start: 0, end: bytes.length, fields: [] });
  try {
    let o = 0, et = -1;
    switch (Number(linkType)) {
      case 1: {
        layer("Ethernet II", 0);
        f("Destination", r.mac(0), 0, 6);
        f("Source", r.mac(6), 6, 6);
        et = r.u16(12);
        o = 14;
        if (et <= 1500) { f("Length (IEEE 802.3)", et, 12, 2); et = -1; break; }
        f("Type", `${ETHER[et] || "unknown"} (${hex(et, 4)})`, 12, 2);
        while (et === 0x8100 || et === 0x88a8) {
          layer("802.1Q virtual LAN", o);
          const tci = r.u16(o);
          f("Priority", tci >> 13, o, 2);
          f("VLAN id", tci & 0xfff, o, 2);
          et = r.u16(o + 2);
          f("Type", `${ETHER[et] || "unknown"} (${hex(et, 4)})`, o + 2, 2);
          o += 4;
        }
        break;
      }
      case 113: {
        layer("Linux cooked capture (SLL)", 0);
        f("Packet type", r.u16(0), 0, 2);
        f("Link-layer address length", r.u16(4), 4, 2);
        et = r.u16(14);
        f("Protocol", `${ETHER[et] || "unknown"} (${hex(et, 4)})`, 14, 2);
        o = 16;
        break;
      }
      case 276: {
        layer("Linux cooked capture v2 (SLL2)", 0);
        et = r.u16(0);
        f("Protocol", `${ETHER[et] || "unknown"} (${hex(et, 4)})`, 0, 2);
        f("Interface index", r.u32(4), 4, 4);
        f("Packet type", r.u8(10), 10, 1);
        o = 20;
        break;
      }
      case 0: case 108: {
        layer("Null/Loopback", 0);
        const fam = Number(linkType) === 108 ? r.u32(0) : (r.u32le(0) > 0xffff ? r.u32(0) : r.u32le(0));
        f("Family", fam, 0, 4);
        et = fam === 2 ? 0x0800 : [24, 28, 30].includes(fam) ? 0x86dd : -1;
        o = 4;
        break;
      }
      case 101: case 12: case 14: case 228: case 229:
        et = (r.u8(0) >> 4) === 6 ? 0x86dd : 0x0800;
        break;
      default:
        layers.push({ name: `Link type ${linkType}: not dissected here`, start: 0, end: bytes.length, fields: [] });
        return layers;
    }
    if (et === 0x0806) return arp(r, o, layer, f), layers;
    let l4 = -1, end = bytes.length;
    if (et === 0x0800) {
      layer("Internet Protocol version 4", o);
      const vihl = r.u8(o), ihl = (vihl & 15) * 4;
      f("Version", vihl >> 4, o, 1);
      f("Header length", `${ihl} bytes`, o, 1);
      f("DSCP / ECN", hex(r.u8(o + 1), 2), o + 1, 1);
      const tl = r.u16(o + 2);
      f("Total length", tl, o + 2, 2);
      f("Identification", hex(r.u16(o + 4), 4), o + 4, 2);
      const ff = r.u16(o + 6);
      f("Flags", `${ff & 0x4000 ? "DF " : ""}${ff & 0x2000 ? "MF" : ""}`.trim() || "none", o + 6, 2);
      f("Fragment offset", (ff & 0x1fff) * 8, o + 6, 2);
      f("Time to live", r.u8(o + 8), o + 8, 1);
      l4 = r.u8(o + 9);
      f("Protocol", `${proto(l4)} (${l4})`, o + 9, 1);
      f("Header checksum", hex(r.u16(o + 10), 4), o + 10, 2);
      f("Source", r.ip4(o + 12), o + 12, 4);
      f("Destination", r.ip4(o + 16), o + 16, 4);
      if (ihl < 20) throw new Error(`IPv4 header length ${ihl} < 20`);
      if (tl >= ihl) end = Math.min(end, o + tl);
      if (ff & 0x1fff) l4 = -2; // a later fragment: no transport header
      o += ihl;
    } else if (et === 0x86dd) {
      layer("Internet Protocol version 6", o);
      const w = r.u32(o);
      f("Version", w >>> 28, o, 1);
      f("Traffic class", hex((w >>> 20) & 0xff, 2), o, 2);
      f("Flow label", hex(w & 0xfffff, 5), o + 1, 3);
      const pl = r.u16(o + 4);
      f("Payload length", pl, o + 4, 2);
      l4 = r.u8(o + 6);
      f("Next header", `${proto(l4)} (${l4})`, o + 6, 1);
      f("Hop limit", r.u8(o + 7), o + 7, 1);
      f("Source", r.ip6(o + 8), o + 8, 16);
      f("Destination", r.ip6(o + 24), o + 24, 16);
      if (pl) end = Math.min(end, o + 40 + pl);
      o += 40;
      for (let k = 0; k < 16 && [0, 43, 60, 44, 51].includes(l4); k++) {
        const nh = r.u8(o), len = l4 === 44 ? 8 : l4 === 51 ? (r.u8(o + 1) + 2) * 4 : (r.u8(o + 1) + 1) * 8;
        layer(`IPv6 extension header ${l4}`, o);
        f("Next header", `${proto(nh)} (${nh})`, o, 1);
        f("Length", `${len} bytes`, o + 1, 1);
        if (l4 === 44 && (r.u16(o + 2) & 0xfff8)) l4 = -2;
        else l4 = nh;
        o += len;
      }
    } else {
      if (et >= 0) layers.push({ name: `EtherType ${hex(et, 4)}: not dissected here`, start: o, end: bytes.length, fields: [] });
      return layers;
    }
    let payload = o;
    if (l4 === 6) {
      layer("Transmission Control Protocol", o);
      f("Source port", r.u16(o), o, 2);
      f("Destination port", r.u16(o + 2), o + 2, 2);
      f("Sequence number", r.u32(o + 4), o + 4, 4);
      f("Acknowledgment number", r.u32(o + 8), o + 8, 4);
      const off = (r.u8(o + 12) >> 4) * 4, fl = r.u8(o + 13);
      f("Header length", `${off} bytes`, o + 12, 1);
      f("Flags", tcpFlags(fl), o + 13, 1);
      f("Window", r.u16(o + 14), o + 14, 2);
      f("Checksum", hex(r.u16(o + 16), 4), o + 16, 2);
      f("Urgent pointer", r.u16(o + 18), o + 18, 2);
      if (off < 20) throw new Error(`TCP data offset ${off / 4} < 5`);
      if (off > 20) f("Options", `${off - 20} bytes`, o + 20, Math.min(off - 20, bytes.length - o - 20));
      payload = o + off;
    } else if (l4 === 17) {
      layer("User Datagram Protocol", o);
      const sp = r.u16(o), dp = r.u16(o + 2);
      f("Source port", sp, o, 2);
      f("Destination port", dp, o + 2, 2);
      f("Length", r.u16(o + 4), o + 4, 2);
      f("Checksum", hex(r.u16(o + 6), 4), o + 6, 2);
      payload = o + 8;
      if (sp === 53 || dp === 53 || sp === 5353 || dp === 5353) dns(r, payload, end, layer, f);
    } else if (l4 === 1 || l4 === 58) {
      layer(l4 === 1 ? "Internet Control Message Protocol" : "Internet Control Message Protocol v6", o);
      f("Type", r.u8(o), o, 1);
      f("Code", r.u8(o + 1), o + 1, 1);
      f("Checksum", hex(r.u16(o + 2), 4), o + 2, 2);
      payload = o + (l4 === 1 ? 8 : 4);
    }
    if (payload < end) layers.push({ name: `Data (${end - payload} bytes)`, start: payload, end, fields: [], payload: true });
  } catch (e) {
    layers.push({ name: e instanceof Cut ? "[Packet cut off: the capture holds fewer bytes than this header needs]" : `[Malformed: ${e.message}]`, start: bytes.length, end: bytes.length, fields: [], error: true });
  }
  return layers;
}

export function tcpFlags(fl) {
  const names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"];
  const on = names.filter((_, i) => fl & (1 << i));
  return `${hex(fl, 2)} (${on.join(", ") || "none"})`;
}

function arp(r, o, layer, f) {
  layer("Address Resolution Protocol", o);
  const op = r.u16(o + 6);
  f("Opcode", op === 1 ? "request (1)" : op === 2 ? "reply (2)" : op, o + 6, 2);
  if (r.u16(o) === 1 && r.u16(o + 2) === 0x0800) {
    f("Sender MAC", r.mac(o + 8), o + 8, 6);
    f("Sender IP", r.ip4(o + 14), o + 14, 4);
    f("Target MAC", r.mac(o + 18), o + 18, 6);
    f("Target IP", r.ip4(o + 24), o + 24, 4);
  }
}

// DNS (RFC 1035 section 4): the header, the questions and the answers' A/AAAA records.
function dns(r, o, end, layer, f) {
  const name = (p, depth = 0) => {
    const labels = [];
    let next = -1;
    for (let hops = 0; hops < 64; hops++) {
      const l = r.u8(p);
      if (l === 0) { p++; break; }
      if ((l & 0xc0) === 0xc0) {
        if (next < 0) next = p + 2;
        if (depth > 16) throw new Error("DNS name pointers loop");
        p = o + (((l & 0x3f) << 8) | r.u8(p + 1));
        depth++;
        continue;
      }
      labels.push(String.fromCharCode(...Array.from({ length: l }, (_, i) => r.u8(p + 1 + i))));
      p += l + 1;
    }
    return { text: labels.join(".") || ".", end: next >= 0 ? next : p };
  };
  layer("Domain Name System", o);
  const flags = r.u16(o + 2);
  f("Transaction id", hex(r.u16(o), 4), o, 2);
  f("Flags", `${hex(flags, 4)} (${flags & 0x8000 ? "response" : "query"}, rcode ${flags & 15})`, o + 2, 2);
  const qd = r.u16(o + 4), an = r.u16(o + 6);
  f("Questions", qd, o + 4, 2);
  f("Answers", an, o + 6, 2);
  let p = o + 12;
  for (let i = 0; i < qd && i < 32; i++) {
    const n = name(p);
    f("Question", `${n.text} type ${r.u16(n.end)}`, p, n.end + 4 - p);
    p = n.end + 4;
  }
  for (let i = 0; i < an && i < 64 && p < end; i++) {
    const n = name(p), type = r.u16(n.end), len = r.u16(n.end + 8), d = n.end + 10;
    const val = type === 1 && len === 4 ? r.ip4(d) : type === 28 && len === 16 ? r.ip6(d) : `${len} bytes`;
    f("Answer", `${n.text} ${type === 1 ? "A" : type === 28 ? "AAAA" : `type ${type}`} ${val}`, p, d + len - p);
    p = d + len;
  }
}

// The payload of a packet for "follow stream": its bytes after the transport header.
export function payloadOf(bytes, linkType) {
  const l = dissect(bytes, linkType).find((x) => x.payload);
  return l ? bytes.subarray(l.start, l.end) : new Uint8Array(0);
}
