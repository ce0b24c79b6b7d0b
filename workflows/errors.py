"""Failures as a run records them: a step's error, and whether a failure is a cancellation."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.exceptions import (
    ActivityError,
    ApplicationError,
    CancelledError,
    ChildWorkflowError,
)

from definitions.errors import TemplateRenderError


def error_of(exc: Exception) -> dict[str, Any]:
    """The error as the API shows it: type, message, whether retrying could have helped."""
    cause = exc.cause if isinstance(exc, ActivityError | ChildWorkflowError) else exc
    if isinstance(cause, ApplicationError):
        return {
            "type": cause.type or "ApplicationError",
            "message": cause.message,
            "retryable": not cause.non_retryable,
        }
    if isinstance(exc, TemplateRenderError):
        return {"type": "template_error", "message": str(exc), "retryable": False}
    return {"type": type(cause).__name__, "message": str(cause), "retryable": True}


def is_cancellation(exc: Exception) -> bool:
    """The activity or child run ended because this run is being cancelled (a local
    activity's failure is its cause itself)."""
    if isinstance(exc, CancelledError):
        return True
    return isinstance(exc, ActivityError | ChildWorkflowError) and isinstance(
        exc.cause, asyncio.CancelledError | CancelledError
    )
