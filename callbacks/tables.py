"""The CSV buttons of the desk pages' grids (pages/tables.py): a press asks the grid to export what it shows."""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output

from callbacks.registry import clientside_callback

# The grids with a CSV button (``<grid_id>-export``), by page.
GRIDS = ("admin-users", "admin-sessions", "admin-tokens", "admin-devices", "admin-teams", "admin-audit",
         "planner-visits", "planner-draws", "cov-table")


def export_button(grid_id: str) -> None:
    """Pressing ``<grid_id>-export`` downloads the grid's filtered, sorted rows and visible columns as CSV."""
    clientside_callback(ClientsideFunction("gc", "exportCsv"), Output(grid_id, "exportDataAsCsv"),
                        Input(f"{grid_id}-export", "n_clicks"), prevent_initial_call=True)


for _grid in GRIDS:
    export_button(_grid)
