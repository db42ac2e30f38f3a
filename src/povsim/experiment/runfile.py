"""The result file of one run: its tables, self-checking, without pickle.

Layout (``runs/<key>.run``)::

    b"POVSIMR1"               8 bytes, magic and format version
    header length             8 bytes, unsigned little-endian
    header                    UTF-8 JSON: {"layout", "sha256", "payload_bytes", "meta"}
    payload                   the column arrays, back to back

``layout`` lists each table and column: numeric columns are stored as raw numpy
arrays (dtype, byte offset, length); other columns (strings) as ``int32`` codes into a
list of categories kept in the layout.  ``sha256`` covers the canonical layout JSON and
the payload, so a truncated or altered file is detected (:class:`CorruptRunFile`); the
file is always written atomically (temporary file, then rename).  ``meta`` holds what
is not part of the result (run time, peak memory, host), so the checksum of a run's
tables is the same whichever worker or executor computed it.

Loading uses :func:`numpy.frombuffer` and JSON only: a result file cannot execute code.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAGIC", "CorruptRunFile", "RunFile", "canonical_json", "encode", "read_table_names"]

MAGIC = b"POVSIMR1"
_LEN = struct.Struct("<Q")
_PREFIX = len(MAGIC) + _LEN.size
_MAX_HEADER = 1 << 30


class CorruptRunFile(ValueError):
    """A result file that is truncated, altered or not a result file at all."""


def canonical_json(obj: Any) -> bytes:
    """``obj`` as canonical JSON (sorted keys, no spaces, UTF-8): the bytes checksums and keys hash."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _jsonable(v: Any) -> Any:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and v != v:  # NaN category: never produced by factorize
        return None
    return v


def encode(tables: Mapping[str, pd.DataFrame], meta: Mapping[str, Any] | None = None) -> bytes:
    """Serialise tables (and metadata) into the bytes of a result file.

    Parameters
    ----------
    tables
        Table name -> DataFrame (the index is not kept).
    meta
        JSON-able metadata, outside the checksum.

    Returns
    -------
    bytes
        The complete file content.
    """
    chunks: list[bytes] = []
    offset = 0
    layout: list[dict[str, Any]] = []
    for name, df in tables.items():
        cols = []
        for col in df.columns:
            s = df[col]
            entry: dict[str, Any] = {"name": str(col), "pandas_dtype": str(s.dtype)}
            if isinstance(s.dtype, np.dtype) and s.dtype.kind in "biuf":
                arr = np.ascontiguousarray(s.to_numpy())
                entry.update(kind="num", dtype=arr.dtype.str)
            else:
                codes, cats = pd.factorize(s, use_na_sentinel=True)
                arr = np.ascontiguousarray(codes.astype("<i4"))
                entry.update(kind="cat", dtype=arr.dtype.str, categories=[_jsonable(c) for c in cats])
            data = arr.tobytes()
            entry.update(offset=offset, nbytes=len(data), length=len(arr))
            chunks.append(data)
            offset += len(data)
            cols.append(entry)
        layout.append({"name": str(name), "rows": len(df), "columns": cols})
    payload = b"".join(chunks)
    layout_doc = {"tables": layout}
    digest = hashlib.sha256(canonical_json(layout_doc))
    digest.update(payload)
    header = canonical_json({"format": 1, "layout": layout_doc, "sha256": digest.hexdigest(),
                         "payload_bytes": len(payload), "meta": dict(meta or {})})
    return MAGIC + _LEN.pack(len(header)) + header + payload


def _split(data: bytes, source: str) -> tuple[dict[str, Any], memoryview]:
    if len(data) < _PREFIX or data[: len(MAGIC)] != MAGIC:
        raise CorruptRunFile(f"{source}: not a povsim result file (bad magic)")
    (hlen,) = _LEN.unpack_from(data, len(MAGIC))
    if hlen > _MAX_HEADER or _PREFIX + hlen > len(data):
        raise CorruptRunFile(f"{source}: truncated header ({len(data)} bytes)")
    try:
        header = json.loads(bytes(data[_PREFIX:_PREFIX + hlen]).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorruptRunFile(f"{source}: unreadable header ({exc})") from exc
    if not isinstance(header, dict) or not {"layout", "sha256", "payload_bytes"} <= set(header):
        raise CorruptRunFile(f"{source}: incomplete header")
    payload = memoryview(data)[_PREFIX + hlen:]
    if len(payload) != header["payload_bytes"]:
        raise CorruptRunFile(f"{source}: payload is {len(payload)} bytes, expected {header['payload_bytes']} "
                             "(truncated)")
    return header, payload


def _verify(header: dict[str, Any], payload: memoryview, source: str) -> None:
    digest = hashlib.sha256(canonical_json(header["layout"]))
    digest.update(payload)
    if digest.hexdigest() != header["sha256"]:
        raise CorruptRunFile(f"{source}: checksum mismatch (the file was altered or damaged)")


def _column(entry: Mapping[str, Any], payload: memoryview) -> pd.Series:
    arr = np.frombuffer(payload, dtype=np.dtype(entry["dtype"]), count=entry["length"],
                        offset=entry["offset"]).copy()
    if entry["kind"] == "num":
        return pd.Series(arr, dtype=entry["pandas_dtype"], name=entry["name"])
    cats = np.empty(len(entry["categories"]) + 1, dtype=object)
    cats[:-1] = entry["categories"]
    cats[-1] = np.nan
    values = cats[np.where(arr < 0, len(cats) - 1, arr)]
    return pd.Series(values, dtype=entry["pandas_dtype"], name=entry["name"])


def read_table_names(path: str | Path) -> list[str]:
    """Names of the tables in a result file, from its header only (not verified).

    Raises
    ------
    CorruptRunFile
        The header is unreadable.
    """
    with open(path, "rb") as fh:
        prefix = fh.read(_PREFIX)
        if len(prefix) < _PREFIX or prefix[: len(MAGIC)] != MAGIC:
            raise CorruptRunFile(f"{path}: not a povsim result file (bad magic)")
        (hlen,) = _LEN.unpack_from(prefix, len(MAGIC))
        if hlen > _MAX_HEADER:
            raise CorruptRunFile(f"{path}: unreadable header")
        raw = fh.read(hlen)
    try:
        header = json.loads(raw.decode("utf-8"))
        return [t["name"] for t in header["layout"]["tables"]]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise CorruptRunFile(f"{path}: unreadable header ({exc})") from exc


class RunFile:
    """A result file read into memory and verified.

    Parameters
    ----------
    path
        The file.

    Raises
    ------
    CorruptRunFile
        Truncated, altered, or not a result file.
    OSError
        The file cannot be read.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.header, self._payload = _split(self.path.read_bytes(), str(self.path))
        _verify(self.header, self._payload, str(self.path))

    @classmethod
    def from_bytes(cls, data: bytes, source: str = "<bytes>") -> RunFile:
        """Parse and verify file content held in memory."""
        self = cls.__new__(cls)
        self.path = Path(source)
        self.header, self._payload = _split(data, source)
        _verify(self.header, self._payload, source)
        return self

    @property
    def meta(self) -> dict[str, Any]:
        """Metadata of the run (not covered by the checksum)."""
        return dict(self.header.get("meta") or {})

    @property
    def sha256(self) -> str:
        """Checksum of the run's tables."""
        return str(self.header["sha256"])

    @property
    def table_names(self) -> list[str]:
        """Names of the stored tables."""
        return [t["name"] for t in self.header["layout"]["tables"]]

    def tables(self, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """The stored tables (all, or those in ``names``)."""
        wanted = None if names is None else set(names)
        return {t["name"]: pd.DataFrame({c["name"]: _column(c, self._payload) for c in t["columns"]},
                                        index=pd.RangeIndex(t["rows"]))
                for t in self.header["layout"]["tables"] if wanted is None or t["name"] in wanted}

    def raw_columns(self, name: str) -> list[tuple[dict[str, Any], np.ndarray]] | None:
        """The stored arrays of one table, without building a DataFrame.

        Returns
        -------
        list or None
            ``(column entry, array)`` per column — the values of a numeric column, the
            ``int32`` codes (``-1``: missing) into ``entry["categories"]`` of another —
            or ``None`` when the table is not stored.
        """
        for t in self.header["layout"]["tables"]:
            if t["name"] == name:
                return [(c, np.frombuffer(self._payload, dtype=np.dtype(c["dtype"]), count=c["length"],
                                          offset=c["offset"])) for c in t["columns"]]
        return None
