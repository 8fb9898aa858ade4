# SPDX-License-Identifier: MIT
"""Python bindings for AppPacCap for Linux: the same actions in this process (libapc over
ctypes) or against a running apcd (HTTP), with the same methods.

Every action goes through the library's one entry point, apc_op_call, exactly as apcd and
apcctl do, so the actions, parameters and replies are those of docs/actions/ and docs/api.md:

    import apppaccap
    with apppaccap.Context("./apc-data") as ctx:            # or: apppaccap.connect(url, u, pw)
        cid = ctx.call("pcap_ingest_file", path="trace.pcap", wait=1)
        for pkt in ctx.packets(cid):
            print(pkt["PacketId"], apppaccap.filetime_to_datetime(pkt["Time"]), pkt["Summary"])

A reply whose ErrorCode is not 0 raises ApcError (with .code, .name and the message).
"""
from .base import (ApcError, BaseClient, datetime_to_filetime,  # noqa: F401
                   filetime_to_datetime)
from .core import Context, library_path  # noqa: F401
from .remote import Client, connect  # noqa: F401

__all__ = ["ApcError", "BaseClient", "Client", "Context", "connect", "datetime_to_filetime",
           "filetime_to_datetime", "library_path"]
__version__ = "0.1.0"
