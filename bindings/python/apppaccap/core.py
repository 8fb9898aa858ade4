# SPDX-License-Identifier: MIT
"""ctypes layer: loading libapc, the context, apc_op_call, errors."""
import ctypes
import ctypes.util
import glob
import json
import os
import sysconfig
from typing import Any, Dict, List, Optional

from . import base
from .base import ApcError, BaseClient, param_items

_APC_CTX_OPTIONS_VERSION = 1
_SONAME = "libapc.so.0"
_error_names: Optional[Dict[int, str]] = None


def error_names() -> Dict[int, str]:
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


base._error_name_source = error_names


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


def _candidates() -> List[str]:
    """Where libapc may be, best first (see library_path)."""
    out: List[str] = []
    found = ctypes.util.find_library("apc")
    if found:
        out.append(found)
    try:
        from . import _paths  # written when the package is built (setup.py)
        if _paths.LIBDIR:
            out.append(os.path.join(_paths.LIBDIR, _SONAME))
    except ImportError:
        pass
    # The dynamic loader's own directories (ldconfig's configuration), for a library installed
    # after the cache was last rebuilt: meson install does not run ldconfig.
    dirs = []
    for conf in glob.glob("/etc/ld.so.conf.d/*.conf") + ["/etc/ld.so.conf"]:
        try:
            with open(conf) as f:
                dirs += [ln.strip() for ln in f if ln.strip().startswith("/")]
        except OSError:
            pass
    multiarch = sysconfig.get_config_var("MULTIARCH") or ""
    for prefix in ("/usr/local", "/usr"):
        if multiarch:
            dirs.append(os.path.join(prefix, "lib", multiarch))
        dirs += [os.path.join(prefix, "lib64"), os.path.join(prefix, "lib")]
    out += [os.path.join(d, _SONAME) for d in dirs]
    # Run from the checkout (bindings/python/apppaccap): a meson build directory of it. A
    # sanitizer build (build-asan beside build) cannot be loaded into a process without the
    # ASan runtime (the runtime aborts the process), so it is only a candidate when the runtime
    # is already here (LD_PRELOAD).
    root = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
    asan_here = _mapped("libasan.so")
    for lib in sorted(glob.glob(os.path.join(root, "*", "libapc", "libapc.so"))):
        if asan_here or not _needs_asan(lib):
            out.append(lib)
    return out


def _mapped(name: str) -> bool:
    """Whether a library whose path contains name is loaded in this process."""
    try:
        with open("/proc/self/maps") as f:
            return any(name in line for line in f)
    except OSError:
        return False


def _needs_asan(path: str) -> bool:
    """Whether a shared object was built with ASan: it calls the runtime's __asan_init (gcc
    links libasan.so, clang leaves the symbol to the executable)."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


def library_path() -> str:
    """Where libapc is loaded from: $APC_LIBRARY when set (a path); else the first that exists
    of: the system's libapc (ctypes.util.find_library), the libdir recorded when the package
    was built (_paths.py), the loader's library directories, a meson build directory beside
    bindings/ when run from the checkout (not a sanitizer build unless its runtime is loaded).
    Once the library is loaded: the one that was. Falls back to the bare soname."""
    if _lib is not None:
        return _lib_path
    env = os.environ.get("APC_LIBRARY")
    if env:
        return env
    for c in _candidates():
        if os.sep not in c or os.path.exists(c):
            return c
    return _SONAME


def _open_library() -> ctypes.CDLL:
    """$APC_LIBRARY, else the first candidate that loads (one built for another toolchain,
    e.g. a fuzzing build, fails to load with an OSError and the next is tried)."""
    global _lib_path
    env = os.environ.get("APC_LIBRARY")
    tried = [env] if env else [c for c in _candidates()
                               if os.sep not in c or os.path.exists(c)] or [_SONAME]
    errors = []
    for c in tried:
        try:
            lib = ctypes.CDLL(c)
        except OSError as e:
            errors.append(str(e))
            continue
        _lib_path = c
        return lib
    raise OSError("libapc not found or not loadable (set APC_LIBRARY to its path): "
                  + "; ".join(errors))


_lib: Optional[ctypes.CDLL] = None
_lib_path = ""


def _load():
    global _lib
    if _lib is not None:
        return _lib
    lib = _open_library()
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


class Context(BaseClient):
    """One data directory opened in this process (it takes the directory's lock)."""

    def __init__(self, data_dir: str = "./apc-data", jobs: int = 0):
        self._ctx = None
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

    def close(self) -> None:
        if getattr(self, "_ctx", None):
            self._lib.apc_ctx_close(self._ctx)
            self._ctx = None

    def __del__(self) -> None:
        self.close()

    @staticmethod
    def version() -> str:
        return _load().apc_version().decode()

    def response(self, action: str, **params: Any) -> Dict[str, Any]:
        """The whole RESPONSE object ({"ErrorCode", "DataType", "ReturnValue"}) of an action.
        A list value becomes a repeated parameter."""
        if not self._ctx:
            raise ValueError("context is closed")
        lib = self._lib
        p = ctypes.c_void_p()
        if lib.apc_params_new(ctypes.byref(p)) != 0:
            raise MemoryError("apc_params_new")
        try:
            for name, text in param_items(params):
                if lib.apc_params_add(p, name.encode(), text.encode()) != 0:
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
