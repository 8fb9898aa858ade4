#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Example: ingest a capture and list the IP addresses that sent and received the most bytes,
with the names DNS gave them. Usage: top_talkers.py DATA_DIR FILE [N]"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bindings", "python"))
import apppaccap  # noqa: E402


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 10
    with apppaccap.Context(sys.argv[1]) as ctx:
        cid = ctx.call("pcap_ingest_file", path=sys.argv[2], wait=1)
        ips, last = [], 0
        while True:
            page = ctx.call("capture_query_ip", capture_id=cid, last_id=last)
            if not page:
                break
            ips.extend(page)
            last = page[-1]["IpId"]
        for ip in sorted(ips, key=lambda i: i["Bytes"], reverse=True)[:n]:
            print("%-40s %10d bytes %6d packets  %s" % (ip["Address"], ip["Bytes"], ip["Packets"],
                                                        ip["HostName"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
