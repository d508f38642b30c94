"""Call a Dash callback through its real HTTP route (``/_dash-update-component``) with a real session."""

from __future__ import annotations

from typing import Any

import requests


def _prop(spec: str) -> dict[str, str]:
    cid, prop = spec.rsplit(".", 1)
    return {"id": cid, "property": prop}


def call_callback(session: requests.Session, base_url: str, *, outputs: list[str],
                  inputs: list[tuple[str, Any]], state: list[tuple[str, Any]] | None = None,
                  changed: str | list[str] | None = None) -> requests.Response:
    """POST a callback request like the browser does; ``outputs`` as ``"component-id.prop"``.

    ``changed`` names the input that fired (default: the first one).
    """
    return session.post(f"{base_url}/_dash-update-component", json=callback_body(outputs, inputs, state, changed),
                        headers={"Origin": base_url}, timeout=20)


def callback_body(outputs: list[str], inputs: list[tuple[str, Any]], state: list[tuple[str, Any]] | None = None,
                  changed: str | list[str] | None = None) -> dict[str, Any]:
    """The JSON body the Dash renderer posts to ``/_dash-update-component`` (also used by bench/load_command_centre).

    ``changed``: the input(s) that fired (default: the first one; ``[]`` for a page's initial call)."""
    out = outputs[0] if len(outputs) == 1 else ".." + "...".join(outputs) + ".."
    if changed is None:
        changed_ids = [inputs[0][0]] if inputs else []
    else:
        changed_ids = [changed] if isinstance(changed, str) else list(changed)
    return {
        "output": out,
        "outputs": _prop(outputs[0]) if len(outputs) == 1 else [_prop(o) for o in outputs],
        "inputs": [{**_prop(k), "value": v} for k, v in inputs],
        "state": [{**_prop(k), "value": v} for k, v in (state or [])],
        "changedPropIds": changed_ids,
    }
