"""A table on a desk page: a dash-ag-grid grid (sort, filter, resize, paginate, select) with a button that
downloads what is shown (the filtered and sorted rows, the visible columns) as CSV."""

from __future__ import annotations

from collections.abc import Sequence

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from layers.i18n import t
from layers.tables import column_defs, grid_options


def grid(grid_id: str, columns: Sequence[tuple[str, str]], lang: str, *, select: bool = False,
         export_name: str | None = None, page_size: int = 15, tall: bool = False,
         markdown: Sequence[str] = (), fit: bool = True) -> html.Div:
    """The grid ``grid_id`` (its rows: the ``rowData`` prop; the chosen row: ``selectedRows``) and its CSV
    button ``<grid_id>-export`` (callbacks/tables.py presses the grid's export). ``fit``: the columns share the
    width; otherwise each keeps a readable width and the grid scrolls sideways (tables with many columns)."""
    return html.Div(className="gc-grid-wrap", children=[
        dag.AgGrid(id=grid_id, rowData=[], columnDefs=column_defs(columns, lang, markdown=markdown),
                   defaultColDef={"minWidth": 80, "flex": 1} if fit else {"width": 140, "minWidth": 90},
                   columnSize="responsiveSizeToFit" if fit else None,
                   dashGridOptions=grid_options(lang, page_size=page_size, select=select),
                   csvExportParams={"fileName": f"{export_name or grid_id}.csv"},
                   className="gc-grid gc-grid-tall" if tall else "gc-grid", style={}),
        html.Div(dbc.Button(t("table.export", lang), id=f"{grid_id}-export", color="secondary", outline=True,
                            size="sm"), className="gc-actions justify-content-end"),
    ])
