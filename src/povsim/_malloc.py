"""Keep freed numpy buffers in the C heap instead of returning them to the kernel.

A simulated year allocates many short-lived arrays of a few MB.  By default glibc serves
each with ``mmap`` and returns it with ``munmap``, so every temporary costs fresh page
faults; on virtualised machines those dominate the run time (measured here: 1.0 ms vs
0.4 ms for ``a + 1`` on a million floats).  Raising the mmap threshold to its maximum
(32 MiB) and the trim threshold lets the heap reuse the pages.  One arena for all threads:
the collection threads (:meth:`povsim.model.PovertyModel._collect`) would otherwise each
keep their own heap of freed temporaries.  Only glibc is tuned; on
other platforms this does nothing.  Set ``POVSIM_NO_MALLOC_TUNING=1`` to opt out.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_done = False


def tune_malloc() -> bool:
    """Apply the glibc tuning once per process; return whether it was applied."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux") or os.environ.get("POVSIM_NO_MALLOC_TUNING"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok = (mallopt(_M_MMAP_THRESHOLD, 32 << 20) == 1 and mallopt(_M_TRIM_THRESHOLD, 512 << 20) == 1
          and mallopt(_M_ARENA_MAX, 1) == 1)
    _done = ok
    return ok
