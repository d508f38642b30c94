"""The machine API's per-app state, typed: built by the composition root (``app.py``), read by the endpoints.

(It replaces the untyped ``server.extensions["gc_intake"]`` dict and the ``gc_push`` entries.)
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from api.alert_groups import AlertGroups
from geo_data.push import PushHub

_EXTENSION_KEY = "gridcommand.api"


@dataclass(frozen=True)
class ApiState:
    """What the endpoints share inside one app: the writer of single alert posts (group commit, one thread per
    process) and this process's live-push hub with the pace of its streams."""

    singles: AlertGroups
    push: PushHub | None  # None in an API-only server without the stream (tests)
    push_interval_s: float


def bind(server: Flask, state: ApiState) -> None:
    server.extensions[_EXTENSION_KEY] = state


def current() -> ApiState:
    """The state of the app serving this request."""
    state: ApiState = current_app.extensions[_EXTENSION_KEY]
    return state
