"""Errors of the batch subsystem (:mod:`povsim.experiment`)."""

from __future__ import annotations

from povsim.errors import PovsimError

__all__ = ["BatchError", "BatchInterrupted"]


class BatchError(PovsimError):
    """A batch that cannot start or go on: a changed design without ``--extend``, a
    design that would not fit in memory, a folder in use by another batch, a missing
    optional dependency.  The message says what to change."""


class BatchInterrupted(PovsimError):
    """The batch was interrupted (Ctrl-C, SIGTERM); finished runs are kept."""
