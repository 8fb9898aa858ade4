# SPDX-License-Identifier: MIT
"""ctypes layer: loading libapc, the context, apc_op_call, errors."""
import ctypes
import ctypes.util
import json
import os

_APC_CTX_OPTIONS_VERSION = 1
_error_names = None


def error_names():
    """{wire ErrorCode: "ERROR_SERVE_..."}, read once from the library (apc_serve_error_at), so
    the package keeps no copy of the list."""
    global _error_names
    if _error_names is None:
        lib = _load()
        names = {}
        code = ctypes.c_int()
        i = 0
        while True:
            name = lib.apc_serve_error_at(i, ctypes.byref(code))
            if name is None:
                break
            names[code.value] = name.decode()
            i += 1
        _error_names = names
    return _error_names


class ApcError(Exception):
    """An action answered a non-zero ErrorCode, or the library failed before answering."""

    def __init__(self, code, message):
        self.code = code
        self.name = error_names().get(code, "ERROR_%d" % code)
        super().__init__("%s: %s" % (self.name, message))


class _CtxOptions(ctypes.Structure):
    # Mirrors apc_ctx_options_t (libapc/include/apc/ctx.h), version 1.
    _fields_ = [
        ("version", ctypes.c_uint),
        ("data_dir", ctypes.c_char_p),
        ("log_cb", ctypes.c_void_p),
        ("log_payload", ctypes.c_void_p),
        ("log_level", ctypes.c_int),
        ("jobs", ctypes.c_uint),
        ("read_only", ctypes.c_int),
    ]


def library_path():
    """Where libapc is loaded from: $APC_LIBRARY, else the system's libapc.so.0."""
    env = os.environ.get("APC_LIBRARY")
    if env:
        return env
    found = ctypes.util.find_library("apc")
    return found or "libapc.so.0"


_lib = None


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = ctypes.CDLL(library_path())
    lib.apc_ctx_options_init.argtypes = [ctypes.POINTER(_CtxOptions), ctypes.c_uint]
    lib.apc_ctx_options_init.restype = ctypes.c_int
    lib.apc_ctx_open.argtypes = [ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(_CtxOptions)]
    lib.apc_ctx_open.restype = ctypes.c_int
    lib.apc_ctx_close.argtypes = [ctypes.c_void_p]
    lib.apc_ctx_close.restype = None
    lib.apc_last_error_message.argtypes = []
    lib.apc_last_error_message.restype = ctypes.c_char_p
    lib.apc_params_new.argtypes = [ctypes.POINTER(ctypes.c_void_p)]
    lib.apc_params_new.restype = ctypes.c_int
    lib.apc_params_add.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p]
    lib.apc_params_add.restype = ctypes.c_int
    lib.apc_params_free.argtypes = [ctypes.c_void_p]
    lib.apc_params_free.restype = None
    lib.apc_op_call.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_char_p,
                                ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.apc_op_call.restype = ctypes.c_int
    lib.apc_free.argtypes = [ctypes.c_void_p]
    lib.apc_free.restype = None
    lib.apc_serve_error_at.argtypes = [ctypes.c_size_t, ctypes.POINTER(ctypes.c_int)]
    lib.apc_serve_error_at.restype = ctypes.c_char_p
    lib.apc_version.argtypes = []
    lib.apc_version.restype = ctypes.c_char_p
    _lib = lib
    return lib


def _text(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    return str(v)


class Context:
    """One data directory opened in this process (it takes the directory's lock)."""

    def __init__(self, data_dir="./apc-data", jobs=0):
        lib = _load()
        opts = _CtxOptions()
        rc = lib.apc_ctx_options_init(ctypes.byref(opts), _APC_CTX_OPTIONS_VERSION)
        if rc != 0:
            raise ApcError(1, lib.apc_last_error_message().decode(errors="replace"))
        self._dir = os.fsencode(data_dir)
        opts.data_dir = self._dir
        opts.jobs = jobs
        handle = ctypes.c_void_p()
        rc = lib.apc_ctx_open(ctypes.byref(handle), ctypes.byref(opts))
        if rc != 0:
            raise ApcError(1, lib.apc_last_error_message().decode(errors="replace"))
        self._ctx = handle
        self._lib = lib

    def close(self):
        if getattr(self, "_ctx", None):
            self._lib.apc_ctx_close(self._ctx)
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    @staticmethod
    def version():
        return _load().apc_version().decode()

    def response(self, action, **params):
        """The whole RESPONSE object ({"ErrorCode", "DataType", "ReturnValue"}) of an action.
        A list value becomes a repeated parameter."""
        if not self._ctx:
            raise ValueError("context is closed")
        lib = self._lib
        p = ctypes.c_void_p()
        if lib.apc_params_new(ctypes.byref(p)) != 0:
            raise MemoryError("apc_params_new")
        try:
            for name, value in params.items():
                values = value if isinstance(value, (list, tuple)) else [value]
                for v in values:
                    if lib.apc_params_add(p, name.encode(), _text(v).encode()) != 0:
                        raise MemoryError("apc_params_add")
            out = ctypes.c_void_p()
            rc = lib.apc_op_call(self._ctx, None, action.encode(), p, ctypes.byref(out))
            if not out.value:
                raise ApcError(1, lib.apc_last_error_message().decode(errors="replace"))
            try:
                text = ctypes.string_at(out.value).decode()
            finally:
                lib.apc_free(out)
        finally:
            lib.apc_params_free(p)
        del rc
        return json.loads(text)

    def call(self, action, **params):
        """ReturnValue of an action; raises ApcError when ErrorCode is not 0."""
        r = self.response(action, **params)
        if r["ErrorCode"] != 0:
            raise ApcError(r["ErrorCode"], r["ReturnValue"])
        return r["ReturnValue"]

    def packets(self, capture_id, flags=0, count=1000):
        """Every packet of a capture, paging with last_id."""
        last = 0
        while True:
            page = self.call("capture_read", capture_id=capture_id, last_id=last, flags=flags,
                             count=count)
            yield from page["Packets"]
            if not page["More"] or not page["Packets"]:
                return
            last = page["LastId"]
