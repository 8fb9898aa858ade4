# SPDX-License-Identifier: MIT
"""What the local Context and the HTTP Client share: errors, call(), and the paging iterators.

A subclass supplies only response(action, **params) -> the RESPONSE dict; everything else is
here so both modes page, convert and fail the same way.
"""
import datetime
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

# FILETIME: 100 ns ticks since 1601-01-01 UTC (docs/api.md "Times").
_FILETIME_EPOCH = datetime.datetime(1601, 1, 1, tzinfo=datetime.timezone.utc)

# Replies that are a plain list page with last_id on the id field of the last item
# (docs/api.md: CONNECTION, PROCESS, IP are "paging cursor").
_LIST_CURSORS = {
    "capture_list_conns": "ConnId",
    "capture_get_processes": "ProcessId",
    "capture_query_ip": "IpId",
    "ip_query": "IpId",
}

# Filled by core.py when libapc can be loaded: {code: "ERROR_SERVE_..."}. The HTTP client works
# without the library, and then names an error by its number only.
_error_name_source: Optional[Callable[[], Dict[int, str]]] = None


def filetime_to_datetime(ft: int) -> Optional[datetime.datetime]:
    """An aware UTC datetime for a wire FILETIME; None for 0 ("none", e.g. EndTime of an active
    capture). Microsecond precision (datetime's): the last 100 ns digit is dropped."""
    if not ft:
        return None
    return _FILETIME_EPOCH + datetime.timedelta(microseconds=int(ft) // 10)


def datetime_to_filetime(dt: datetime.datetime) -> int:
    """The wire FILETIME of a datetime; a naive datetime is taken as UTC."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    delta = dt - _FILETIME_EPOCH
    return (delta.days * 86400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def param_items(params: Dict[str, Any]) -> List[Tuple[str, str]]:
    """(name, text) pairs of an action's parameters: a list or tuple value repeats the
    parameter, True/False are 1/0, a datetime is sent as its FILETIME."""
    out: List[Tuple[str, str]] = []
    for name, value in params.items():
        for v in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(v, bool):
                v = 1 if v else 0
            elif isinstance(v, datetime.datetime):
                v = datetime_to_filetime(v)
            out.append((name, str(v)))
    return out


class ApcError(Exception):
    """An action answered a non-zero ErrorCode, or the library or server failed before
    answering. .code is the wire ErrorCode, .name its ERROR_SERVE_... name."""

    def __init__(self, code: int, message: Any):
        self.code = code
        names: Dict[int, str] = {}
        if _error_name_source is not None:
            try:
                names = _error_name_source()
            except OSError:
                names = {}
        self.name = names.get(code, "ERROR_%d" % code)
        self.message = message
        super().__init__("%s: %s" % (self.name, message))


class BaseClient:
    """Methods common to Context (libapc in this process) and Client (a running apcd)."""

    def response(self, action: str, **params: Any) -> Dict[str, Any]:
        raise NotImplementedError

    def call(self, action: str, **params: Any) -> Any:
        """ReturnValue of an action; raises ApcError when ErrorCode is not 0. A list value is
        sent as a repeated parameter; True/False as 1/0."""
        r = self.response(action, **params)
        if r.get("ErrorCode") != 0:
            raise ApcError(int(r.get("ErrorCode", 1)), r.get("ReturnValue"))
        return r.get("ReturnValue")

    def iterate(self, action: str, poll: float = 0.2, **params: Any) -> Iterator[Dict[str, Any]]:
        """Every item of a paged action, from last_id (default 0) to the end.

        PACKETSTREAM/SEARCHLIST replies (capture_read, capture_conn_stream, capture_stream,
        capture_thread_stream, search_read) follow LastId while More is 1; a search that is
        still running answers More=1 with an empty page, and then this waits `poll` seconds
        before asking again. List replies (capture_list_conns, capture_get_processes,
        capture_query_ip, ip_query) follow the cursor id of the last item until a page is
        empty."""
        last = int(params.pop("last_id", 0))
        while True:
            page = self.call(action, last_id=last, **params)
            if isinstance(page, list):
                if not page:
                    return
                yield from page
                key = _LIST_CURSORS.get(action)
                if key is None:
                    raise ValueError("%s: no known paging cursor for a list reply" % action)
                last = int(page[-1][key])
                continue
            if not isinstance(page, dict) or "LastId" not in page:
                raise ValueError("%s: the reply is not a paged reply" % action)
            items = page.get("Packets", [])
            yield from items
            if not page.get("More"):
                return
            if not items and int(page["LastId"]) == last:
                time.sleep(poll)
            last = int(page["LastId"])

    def packets(self, capture_id: int, flags: int = 0, count: int = 1000,
                **params: Any) -> Iterator[Dict[str, Any]]:
        """Every packet of a capture (capture_read), in id order."""
        return self.iterate("capture_read", capture_id=capture_id, flags=flags, count=count,
                            **params)

    def connections(self, capture_id: int, count: int = 1000,
                    **params: Any) -> Iterator[Dict[str, Any]]:
        """Every connection of a capture (capture_list_conns)."""
        return self.iterate("capture_list_conns", capture_id=capture_id, count=count, **params)

    def processes(self, capture_id: int, count: int = 1000,
                  **params: Any) -> Iterator[Dict[str, Any]]:
        """Every process of a capture (capture_get_processes)."""
        return self.iterate("capture_get_processes", capture_id=capture_id, count=count,
                            **params)

    def ips(self, capture_id: int = 0, count: int = 1000,
            **params: Any) -> Iterator[Dict[str, Any]]:
        """Every IP address of a capture (capture_query_ip; 0: the system-wide list)."""
        return self.iterate("capture_query_ip", capture_id=capture_id, count=count, **params)

    def search_results(self, search_id: int, count: int = 1000,
                       **params: Any) -> Iterator[Dict[str, Any]]:
        """Every match of a search (search_read), waiting while it still runs."""
        return self.iterate("search_read", search_id=search_id, count=count, **params)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
