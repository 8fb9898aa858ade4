# SPDX-License-Identifier: MIT
"""Python bindings for libapc (AppPacCap for Linux), over ctypes.

Every action of the API goes through the library's one entry point, apc_op_call, exactly as
apcd and apcctl do, so the actions, parameters and replies are those of docs/actions/ and
docs/api.md:

    import apppaccap
    with apppaccap.Context("./apc-data") as ctx:
        cid = ctx.call("pcap_ingest_file", path="trace.pcap", wait=1)
        for pkt in ctx.packets(cid):
            print(pkt["PacketId"], pkt["Summary"])

A reply whose ErrorCode is not 0 raises ApcError (with .code, .name and the message).
"""
from .core import ApcError, Context, library_path  # noqa: F401

__all__ = ["ApcError", "Context", "library_path"]
