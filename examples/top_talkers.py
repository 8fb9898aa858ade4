#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Example: ingest a capture and list the IP addresses that sent and received the most bytes,
with the names DNS gave them.

Usage: top_talkers.py DATA_DIR FILE [N]              (libapc in this process)
       top_talkers.py --url URL USER PASSWORD FILE [N] (a running apcd; FILE is a path on its
                                                        machine)"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bindings", "python"))
import apppaccap  # noqa: E402


def open_client(argv):
    """(client, remaining args): a Context, or a Client for --url; both have the same methods."""
    if argv[:1] == ["--url"]:
        if len(argv) < 5:
            raise SystemExit(__doc__)
        return apppaccap.connect(argv[1], argv[2], argv[3]), argv[4:]
    if len(argv) < 2:
        raise SystemExit(__doc__)
    return apppaccap.Context(argv[0]), argv[1:]


def main():
    client, args = open_client(sys.argv[1:])
    n = int(args[1]) if len(args) > 1 else 10
    with client:
        cid = client.call("pcap_ingest_file", path=os.path.abspath(args[0]), wait=1)
        cap = client.call("capture_get_details", capture_id=cid)
        start = apppaccap.filetime_to_datetime(cap["StartTime"])
        print("capture %d (%s), ingested %s" % (cid, cap["Name"], start and start.isoformat()))
        ips = list(client.ips(cid))  # pages through capture_query_ip to the end
        for ip in sorted(ips, key=lambda i: i["Bytes"], reverse=True)[:n]:
            print("%-40s %10d bytes %6d packets  %s" % (ip["Address"], ip["Bytes"], ip["Packets"],
                                                        ip["HostName"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
