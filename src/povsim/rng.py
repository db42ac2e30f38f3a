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

import numpy as np

from povsim import kernels
from povsim.errors import RunError

_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_TWO52 = float(2**-52)

#: Newborn ids live in [2**62, 2**63): disjoint from initial-population ids (0 .. n-1).
NEWBORN_ID_BASE = 1 << 62


def _mix_scalar(z: int) -> int:
    """SplitMix64 finaliser on a Python int (64-bit wrap-around)."""
    z = (z + _GOLDEN) & _MASK64
    z = ((z ^ (z >> 30)) * _M1) & _MASK64
    z = ((z ^ (z >> 27)) * _M2) & _MASK64
    return z ^ (z >> 31)


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

    def _key(self, name: str, year: int, sub: int) -> np.uint64:
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
        return kernels.bits(self._key(name, year, sub), _ids(ids))

    def uniform(self, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
        """Uniform draws on the open interval (0, 1), one per id.

        ``u = ((bits >> 12) + 0.5) / 2**52``: 52 bits keep ``+ 0.5`` exact, so
        ``0 < u < 1`` strictly (see :func:`uniform_reference` for the numpy version).
        """
        return kernels.uniform(self._key(name, year, sub), _ids(ids))

    def normal(self, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
        """Standard normal draws, one per id (AS 241 inverse CDF of :meth:`uniform`)."""
        return kernels.normal(self._key(name, year, sub), _ids(ids))

    def bernoulli(
        self, name: str, year: int, ids: np.ndarray, p: np.ndarray | float, sub: int = 0
    ) -> np.ndarray:
        """Boolean events ``u < p`` (``p`` an array aligned with ``ids``, or a scalar)."""
        ids = _ids(ids)
        p = np.broadcast_to(np.asarray(p, dtype=np.float64), ids.shape)
        return kernels.less(self._key(name, year, sub), ids, np.ascontiguousarray(p))

    def priority(self, name: str, year: int, ids: np.ndarray) -> np.ndarray:
        """Per-person random priority key for rationing and matching ("k smallest keys")."""
        return self.bits(name, year, ids)


def _ids(ids: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(ids, dtype=np.int64)


def uniform_reference(seed: int, name: str, year: int, ids: np.ndarray, sub: int = 0) -> np.ndarray:
    """Pure-numpy reference of :meth:`Streams.uniform` (tests check the kernel against it)."""
    z = np.asarray(ids, dtype=np.int64).astype(np.uint64)
    z *= np.uint64(_GOLDEN)
    z += Streams(seed)._key(name, year, sub)
    z = _mix_array(z)
    z >>= np.uint64(12)
    u = z.astype(np.float64)
    u += 0.5
    u *= _TWO52
    return u
