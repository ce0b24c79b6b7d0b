"""The errors run intake and control raise; the API maps each to its HTTP status."""

from __future__ import annotations


class RunsError(Exception):
    """Base of the service's errors; ``detail`` says what happened, for a person."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(RunsError):
    """No ``what`` called ``ident`` (for this tenant)."""

    def __init__(self, what: str, ident: str) -> None:
        super().__init__(f"no {what} {ident!r}")
        self.what, self.ident = what, ident


class Invalid(RunsError):
    """The request cannot be carried out as given: each of ``errors`` names the path of a
    problem in it (``{"path", "message"}``)."""

    def __init__(self, detail: str, errors: list[dict[str, str]]) -> None:
        super().__init__(detail)
        self.errors = errors


class Conflict(RunsError):
    """The request contradicts the run's state (cancelling an ended run, retrying an open one)."""


class Unavailable(RunsError):
    """Temporal could not be reached or refused; ``event_id`` names the stored event whose
    runs did not all start (posting it again under this id starts exactly the missing ones)."""

    def __init__(self, detail: str, *, event_id: str | None = None) -> None:
        super().__init__(detail)
        self.event_id = event_id
