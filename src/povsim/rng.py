"""Named random streams with common random numbers (CRN), counter-based.

A draw for person ``i`` in stream ``s`` in year ``t`` is a pure function of
``(seed, s, t, i)``: ``u = splitmix64(key(seed, s, t, sub) + i * golden)``.  Nothing
depends on how many other persons exist, in which order they are stored, or what other
streams drew, so an intervention that draws from its own stream (or affects who is
eligible for a draw) never moves anyone else's dice.  See ``docs/model.md`` (Randomness)
and ``shared/notes/common-random-numbers.md``.

Newborn ids are derived from the mother's id and her birth order
(:func:`newborn_ids`), so the same child exists in every scenario in which that birth
happens.

References
----------
Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable pseudorandom number
generators. OOPSLA '14, 453-472. doi:10.1145/2660193.2660195 (SplitMix64).
Salmon, J. K., Moraes, M. A., Dror, R. O., & Shaw, D. E. (2011). Parallel random
numbers: as easy as 1, 2, 3. SC '11. doi:10.1145/2063384.2063405 (counter-based RNGs).
"""

from __future__ import annotations

import hashlib
import math

import numpy as np
from numba import njit, prange

from povsim._threads import threaded
from povsim.errors import RunError

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO52 = float(2**-52)

#: Newborn ids live in [2**62, 2**63): disjoint from initial-population ids (0 .. n-1).
NEWBORN_ID_BASE = 1 << 62


# -- compiled draws (Numba): the same SplitMix64 counter scheme, bit-identical to the
# numpy reference; process kernels draw through uniform_at / ppnd16 / normals_at

_GOLDEN_U = np.uint64(0x9E3779B97F4A7C15)
_M1_U = np.uint64(0xBF58476D1CE4E5B9)
_M2_U = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S12 = np.uint64(12)


@njit(cache=True, inline="always")
def _mix(z):
    z = z + _GOLDEN_U
    z = (z ^ (z >> _S30)) * _M1_U
    z = (z ^ (z >> _S27)) * _M2_U
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def bits_at(key, pid):
    return _mix(np.uint64(pid) * _GOLDEN_U + key)


@njit(cache=True, inline="always")
def uniform_at(key, pid):
    return (float(bits_at(key, pid) >> _S12) + 0.5) * _TWO52


@threaded(cache=True, nogil=True)
def bits_kernel(key, ids):
    """64 random bits per id."""
    out = np.empty(ids.shape[0], dtype=np.uint64)
    for i in prange(ids.shape[0]):
        out[i] = bits_at(key, ids[i])
    return out


@threaded(cache=True, nogil=True)
def uniform_kernel(key, ids):
    """Uniform draws on (0, 1) per id (identical to the numpy reference in rng.py)."""
    out = np.empty(ids.shape[0], dtype=np.float64)
    for i in prange(ids.shape[0]):
        out[i] = uniform_at(key, ids[i])
    return out


@njit(cache=True, inline="always")
def _ppnd16_central(q):
    """AS 241's rational function for ``|q| = |p - 1/2| <= 0.425`` (85 % of draws)."""
    r = 0.180625 - q * q
    return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r
                     + 67265.770927008700853) * r + 45921.953931549871457) * r
                   + 13731.693765509461125) * r + 1971.5909503065514427) * r
                 + 133.14166789178437745) * r + 3.387132872796366608) / (
        ((((((r * 5226.495278852545925 + 28729.085735721942674) * r
             + 39307.89580009271061) * r + 21213.794301586595867) * r
           + 5394.1960214247511077) * r + 687.1870074920579083) * r
         + 42.313330701600911252) * r + 1.0)


@njit(cache=True, inline="always")
def ppnd16(p):
    """Inverse standard normal CDF, Wichura (1988) AS 241 (PPND16)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        return _ppnd16_central(q)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        val = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r
                    + 0.24178072517745061177) * r + 1.27045825245236838258) * r
                  + 3.64784832476320460504) * r + 5.7694972214606914055) * r
                + 4.6303378461565452959) * r + 1.42343711074968357734) / (
            ((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r
                 + 0.0151986665636164571966) * r + 0.14810397642748007459) * r
               + 0.68976733498510000455) * r + 1.6763848301838038494) * r
             + 2.05319162663775882187) * r + 1.0)
    else:
        r -= 5.0
        val = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r
                    + 0.0012426609473880784386) * r + 0.026532189526576123093) * r
                  + 0.29656057182850489123) * r + 1.7848265399172913358) * r
                + 5.4637849111641143699) * r + 6.6579046435011037772) / (
            ((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r
                 + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r
               + 0.0148753612908506148525) * r + 0.13692988092273580531) * r
             + 0.59983220655588793769) * r + 1.0)
    return -val if q < 0.0 else val


@threaded(2, cache=True, nogil=True, error_model="numpy")
def normals(key, ids, rows):
    """Standard normal draws (AS 241, exactly :func:`normal`'s values) for ``ids[rows]``.

    The central region of AS 241 (85% of draws) is a rational function evaluated for every
    draw in a loop without branches (on the threads), which the compiler vectorises; the
    tails are listed and replaced in a second pass.  ``error_model="numpy"`` drops the division-by-zero checks (the
    denominators are never zero), which would otherwise block vectorisation.
    """
    k = rows.shape[0]
    u = np.empty(k, dtype=np.float64)
    z = np.empty(k, dtype=np.float64)
    for j in prange(k):
        u[j] = uniform_at(key, ids[rows[j]])
        z[j] = _ppnd16_central(u[j] - 0.5)
    tail = np.empty(k, dtype=np.int64)
    t = 0
    for j in range(k):
        tail[t] = j
        t += abs(u[j] - 0.5) > 0.425
    for m in prange(t):
        j = tail[m]
        z[j] = ppnd16(u[j])
    return z


#: :func:`normals` on the threads, for kernels (compiled code calls a dispatcher)
normals_at = normals.parallel


def _mix_scalar(z: int) -> int:
    """SplitMix64 finaliser (the compiled :func:`_mix`) on a Python int below 2**64."""
    return int(_mix(np.uint64(z)))


def _mix_array(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser on a uint64 array, in place (wraps modulo 2**64)."""
    z += np.uint64(_GOLDEN)
    z ^= z >> np.uint64(30)
    z *= np.uint64(_M1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_M2)
    z ^= z >> np.uint64(31)
    return z


def stream_key(name: str) -> int:
    """Stable 64-bit key of a stream name (BLAKE2b; never Python's salted ``hash``)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def newborn_ids(mother_ids: np.ndarray, birth_order: np.ndarray) -> np.ndarray:
    """Deterministic id of a newborn from its mother's id and her birth order (1, 2, ...).

    The id is a hash, so it is identical in every scenario where this birth happens,
    whatever else happened in the population.  Collisions among ``n`` newborn ids have
    probability about ``n**2 / 2**63`` (about 1e-5 for ten million births).
    """
    z = np.asarray(mother_ids, dtype=np.int64).astype(np.uint64) * np.uint64(_GOLDEN)
    z += np.asarray(birth_order, dtype=np.uint64) * np.uint64(_M2)
    z = _mix_array(z)
    z &= np.uint64(NEWBORN_ID_BASE - 1)
    z |= np.uint64(NEWBORN_ID_BASE)
    return z.astype(np.int64)


class Streams:
    """The named random streams of one run.

    Parameters
    ----------
    seed
        The run's seed (any non-negative integer; 0 is a valid seed).

    Examples
    --------
    >>> s = Streams(7)
    >>> u = s.uniform("mortality", 2014, np.arange(5))
    >>> bool(((0 < u) & (u < 1)).all())
    True
    """

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
            raise RunError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._seed_key = _mix_scalar(self.seed & _MASK64)
        self._names: dict[int, str] = {}

    def key(self, name: str, year: int, sub: int = 0) -> np.uint64:
        """The 64-bit key of ``(stream, year, sub)`` for the compiled draws
        (:func:`uniform_at` etc.): ``uniform_at(key, id)`` is :meth:`uniform`'s value."""
        k = stream_key(name)
        other = self._names.setdefault(k, name)
        if other != name:
            raise RunError(f"random stream names {name!r} and {other!r} collide")
        z = _mix_scalar(self._seed_key ^ k)
        z = _mix_scalar(z ^ (int(year) & _MASK64))
        z = _mix_scalar(z ^ (int(sub) & _MASK64))
        return np.uint64(z)

    @property
    def names(self) -> list[str]:
        """Stream names used so far in this run."""
        return sorted(self._names.values())

    def bits(self, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
        """64 random bits per id (uint64), for priority keys and hashing."""
        return bits_kernel(self.key(name, year, sub), _ids(ids))

    def uniform(self, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
        """Uniform draws on the open interval (0, 1), one per id.

        ``u = ((bits >> 12) + 0.5) / 2**52``: 52 bits keep ``+ 0.5`` exact, so
        ``0 < u < 1`` strictly.
        """
        return uniform_kernel(self.key(name, year, sub), _ids(ids))

    def normal(self, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
        """Standard normal draws, one per id (AS 241 inverse CDF of :meth:`uniform`)."""
        ids = _ids(ids)
        return normals(self.key(name, year, sub), ids, np.arange(ids.shape[0]))

    def household_ids(self, name: str, year: int, founders: np.ndarray) -> np.ndarray:
        """Ids of the households that the persons ``founders`` (ids) set up this year: in
        ``[2**61, 2**62)`` (61 random bits), apart from the initial households' ``0 .. n-1``."""
        return (self.bits(name, year, founders) >> np.uint64(2)).astype(np.int64) | np.int64(1 << 61)

    def priority(self, name: str, year: int, ids: np.ndarray) -> np.ndarray:
        """Per-person random priority key for rationing and matching ("k smallest keys")."""
        return self.bits(name, year, ids)


def _ids(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids, dtype=np.int64)

