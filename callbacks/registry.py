"""The screens' callbacks, recorded where they are defined and registered on each app by the composition root.

A callback module writes ``@callback(...)`` and ``clientside_callback(...)`` exactly as with Dash's own (same
arguments); nothing is registered then. ``app.py`` imports the modules and calls ``register(app)``, which hands
every recorded callback to that app through Dash's public ``app.callback`` / ``app.clientside_callback``. So each
app gets its own complete set (two apps in one process, as in tests, each have all of them), and nothing copies
Dash's private global lists. The decorated function stays the plain function (tests call it directly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import dash

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Recorded:
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    function: Callable[..., Any] | None  # None: a clientside callback (its function is args[0])


_RECORDED: list[_Recorded] = []


def callback(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """``dash.callback``'s signature; the callback is registered on each app by ``register``."""

    def record(function: F) -> F:
        _RECORDED.append(_Recorded(args, kwargs, function))
        return function

    return record


def clientside_callback(clientside_function: Any, *args: Any, **kwargs: Any) -> None:
    """``dash.clientside_callback``'s signature; registered on each app by ``register``."""
    _RECORDED.append(_Recorded((clientside_function, *args), kwargs, None))


def register(app: dash.Dash) -> None:
    """Register every recorded callback on ``app`` (once per app)."""
    for rec in _RECORDED:
        if rec.function is None:
            app.clientside_callback(*rec.args, **rec.kwargs)
        else:
            app.callback(*rec.args, **rec.kwargs)(rec.function)
