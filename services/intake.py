"""Alert intake use case: store the alerts of one source in one county (new / duplicate / rejected per item).

Both ways in end here: a batch (``POST /api/v1/alerts/batch``, ``api.intake``) and the group commit of single
posts (``api.alert_groups``, built by ``app.py`` with this module's ``store_alerts``). Matching alerts into
incidents is ``geo_data.alerts.ingest``; the alert types come from the app's cache (``Services.alert_types``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from geo_data import alerts
from services.container import Services


def store_alerts(conn: psycopg.Connection[Any], services: Services, *, source: str, county_code: str,
                 items: Sequence[alerts.AlertInput], notices: list[str] | None = None) -> list[alerts.ItemResult]:
    """Store ``items`` (validated alerts of ``source`` in ``county_code``) in the caller's transaction; results in
    the same order. ``notices``: the live-push notices, sent once the transaction has committed."""
    if not items:
        return []
    return alerts.ingest(conn, source=source, county_code=county_code, alerts=list(items),
                         link_m=services.settings.dispatch.enterprise_link_m,
                         types=services.alert_types.of(conn, {a.type_code for a in items}), notices=notices)
