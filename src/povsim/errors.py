"""Exception hierarchy: one class per subsystem, all rooted at :class:`PovsimError`.

The command line turns any :class:`PovsimError` raised by bad input into a short message
and exit code 2; failures inside a run are :class:`RunError` (exit code 1).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class PovsimError(Exception):
    """Root of every error povsim raises on purpose."""


class ParameterError(PovsimError):
    """An unknown parameter name or a value outside its hard bounds."""


#: Longest value shown in an error message (a table given where a value belongs is cut).
MAX_VALUE_CHARS = 120


class ScenarioError(PovsimError):
    """A scenario file that cannot be used, with everything needed to fix it.

    Parameters
    ----------
    file
        Path of the file in which the problem was found.
    key
        Dotted key path inside the file (``"parameters.mortality_child_scale"``), or ``""``.
    value
        The offending value (``None`` when a key is missing).
    expected
        What would have been accepted.
    suggestion
        A fix, e.g. ``"did you mean 'persons'?"``; may be empty.
    """

    def __init__(
        self,
        file: str,
        key: str,
        value: object,
        expected: str,
        suggestion: str = "",
    ) -> None:
        self.file = str(file)
        self.key = key
        self.value = value
        self.expected = expected
        self.suggestion = suggestion
        super().__init__(self.message())

    def message(self) -> str:
        where = f"{self.file}: {self.key}" if self.key else self.file
        value = repr(self.value)
        if len(value) > MAX_VALUE_CHARS:  # a whole table given where a value belongs: show its start
            value = value[:MAX_VALUE_CHARS - 5] + " ...}" if value.startswith("{") else value[:MAX_VALUE_CHARS] + " ..."
        text = f"{where}: got {value}; expected {self.expected}"
        if self.suggestion:
            text += f" ({self.suggestion})"
        return text


class ScenarioErrors(PovsimError):
    """Several :class:`ScenarioError` found at once (``povsim validate`` reports them all)."""

    def __init__(self, errors: Iterable[ScenarioError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(e.message() for e in self.errors))


class RunError(PovsimError):
    """A failure inside a simulation run (not caused by the input files)."""


class OutputError(PovsimError):
    """An output folder that cannot be written, or that exists and would be overwritten."""


class ResultsError(OutputError):
    """A results folder that cannot be read: not povsim's, incomplete, or damaged."""


def did_you_mean(word: str, choices: Iterable[str], *, listing: str | None = None) -> str:
    """Return ``"did you mean 'x'?"`` for the closest choice, or a hint to list them.

    ``listing`` is where to find the choices when there are too many to show (default:
    ``povsim describe``, which lists parameters).
    """
    choices = sorted(choices)
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    if len(choices) <= 8:
        return "valid keys: " + ", ".join(choices)
    return listing or "run `povsim describe` to list the valid names"
