"""Planner page ``/planner`` (计划编排): tasks in, joint visits and saving, quota flags, draws, day-routes, approve,
export. Planner role only (``Permission.PLAN``); everyone else gets 403.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import dash_leaflet as dl
from dash import dash_table, dcc, html

from callbacks.page_context import page_context
from geo_data.plans import quota_matrix
from geo_data.scope import Permission
from layers.basemaps import tile_layers
from pages.account_links import account_links

PATH = "/planner"
TITLE = "计划编排 · Visit planning"
PERMISSION = Permission.PLAN

VISIT_COLUMNS = [
    ("id", "编号 #"), ("enterprise_name", "企业 Enterprise"), ("township_name", "乡镇"), ("departments", "部门 Depts"),
    ("lead_department", "牵头 Lead"), ("items", "事项 Items"), ("tasks", "任务 Tasks"), ("window", "窗口 Window"),
    ("status", "状态 Status"), ("quota_flag", "配额提示 Quota"), ("quota_alternative", "替代 Alternative"),
    ("apart_reason", "未合并 Apart"), ("visit_date", "日期 Day"), ("team_name", "检查组 Team"),
    ("route_seq", "顺序"), ("start", "到场"), ("code", "行政行为码"), ("unassigned_reason", "未排入原因 Unassigned"),
]
DRAW_COLUMNS = [("id", "抽取 #"), ("department_name", "部门"), ("period", "期间"), ("seed", "种子 Seed"),
                ("register_size", "名录数"), ("target_count", "抽中数"), ("created_at", "时间"),
                ("export", "公示 Publish")]


def _next_month(today: date) -> tuple[date, date]:
    start = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def _table(table_id: str, columns: list[tuple[str, str]], **kw: Any) -> Any:
    return dash_table.DataTable(  # type: ignore[attr-defined]
        id=table_id, columns=[{"name": n, "id": c, "presentation": "markdown"} if c == "export"
                              else {"name": n, "id": c} for c, n in columns],
        data=[], page_size=12, style_cell={"textAlign": "left", "fontSize": 13, "whiteSpace": "normal",
                                           "maxWidth": 260},
        style_table={"overflowX": "auto"}, markdown_options={"link_target": "_blank"}, **kw)


def _quota_table(matrix: dict[tuple[str, str], int]) -> html.Table:
    """The quota matrix in force (on-site visits per enterprise per year, risk × credit)."""
    credits = ("A", "B", "C", "D")
    names = {"high": "高 high", "elevated": "较高 elevated", "general": "一般 general", "low": "低 low"}
    head = html.Tr([html.Th("风险 / 信用 risk / credit"), *[html.Th(c) for c in credits]])
    rows = [html.Tr([html.Th(names[r]), *[html.Td(str(matrix.get((r, c), "—")), id=f"quota-{r}-{c}")
                                          for c in credits]]) for r in names]
    return html.Table([head, *rows], className="quota-matrix")


def layout(**_query: Any) -> html.Div:
    ctx = page_context(PERMISSION)
    matrix = ctx.read(lambda conn: quota_matrix(conn, county_code=ctx.scope.county_code))
    start, end = _next_month(date.today())
    tiles = [dl.TileLayer(url=s.url, attribution=s.attribution, subdomains=s.subdomains, maxZoom=s.max_zoom)
             for s in tile_layers(ctx.settings.map)]
    return html.Div(className="planner-page", children=[
        html.Header([html.H1("计划编排 · Visit planning (综合查一次)"), html.A("返回地图 · Map", href="/"),
                     account_links()], className="page-head"),
        html.Section([
            html.H2("任务与计划 · Tasks and plans"),
            html.Div(className="row", children=[
                dcc.DatePickerRange(id="planner-period", start_date=start.isoformat(), end_date=end.isoformat(), display_format="YYYY-MM-DD"),
                html.Button("生成计划 Build plan", id="planner-build"),
                dcc.Dropdown(id="planner-plan", placeholder="选择计划 choose a plan", style={"width": 420}),
            ]),
            html.Div(className="row", children=[
                dcc.Upload(id="planner-upload", children=html.Button("上传任务 Upload tasks (CSV/Excel)"),
                           accept=".csv,.xlsx,.xls", max_size=8 * 1024 * 1024),
                dcc.Checklist(id="planner-skip-bad", options=[{"label": "跳过错误行 skip bad rows", "value": "skip"}],
                              value=[]),
            ]),
            html.Div(id="planner-msg", className="msg", role="status"),
            html.Ul(id="planner-problems", className="problems"),
        ]),
        html.Section([
            html.H2("计划概况 · Plan summary"),
            html.Div(id="planner-summary", className="kpis"),
            html.Div(className="row", children=[
                html.Button("批准计划 Approve", id="planner-approve"),
                html.Button("排线 Route (background)", id="planner-route"),
                html.Progress(id="planner-progress", max="1", value="0", style={"width": 240}),
                html.Span(id="planner-job", className="job"),
                html.A("导出 CSV", id="planner-export-csv", href="#", target="_blank"),
                html.A("导出 Excel", id="planner-export-xlsx", href="#", target="_blank"),
            ]),
            dcc.Interval(id="planner-poll", interval=1000, disabled=True),
        ]),
        html.Section([
            html.H2("无事不扰配额 · Quotas (on-site visits per enterprise per year)"),
            _quota_table(matrix),
            html.P("低风险、信用好的企业在“无事不扰”名单上，只做非现场监管；投诉/告警触发的检查可超配额并留痕。"
                   " Enterprises on the no-visit list get remote supervision only; complaint/alert visits may "
                   "exceed the quota and are recorded."),
        ]),
        html.Section([
            html.H2("入企检查 · Visits (joint visits, quota flags)"),
            _table("planner-visits", VISIT_COLUMNS, row_selectable="single", filter_action="native",
                   sort_action="native"),
            html.Div(className="row", children=[
                html.Button("接受（超配额） Accept", id="planner-accept"),
                html.Button("改为非现场 Remote check", id="planner-remote"),
                dcc.Input(id="planner-task", type="number", placeholder="任务号 task id", min=1),
                html.Button("拆出任务 Split task", id="planner-split"),
                dcc.DatePickerRange(id="planner-window", display_format="YYYY-MM-DD"),
                html.Button("调整窗口 Move window", id="planner-move"),
            ]),
        ]),
        html.Section([
            html.H2("排线 · Team day-routes"),
            dcc.Dropdown(id="planner-day", placeholder="选择日期 day", style={"width": 240}),
            dl.Map(id="planner-map", center=[29.08, 119.62], zoom=11, style={"height": 520},
                   children=[*tiles, dl.LayerGroup(id="planner-routes")]),
            html.Ul(id="planner-day-teams"),
            html.H3("未排入 · Unassigned (with reasons)"),
            html.Ul(id="planner-unassigned"),
        ]),
        html.Section([
            html.H2("双随机抽取 · Random draws (一公开)"),
            html.Div(className="row", children=[
                dcc.Dropdown(id="draw-department", placeholder="部门 department", style={"width": 220}),
                dcc.Dropdown(id="draw-items", multi=True, placeholder="事项 items", style={"width": 360}),
                dcc.Input(id="draw-rate", type="number", value=0.05, min=0.001, max=1, step=0.005,
                          placeholder="基准比例 base rate"),
                dcc.Input(id="draw-seed", type="number", min=0, placeholder="种子 seed (空=随机)"),
                html.Button("抽取 Draw", id="draw-create"),
            ]),
            html.Div(id="draw-msg", className="msg", role="status"),
            _table("planner-draws", DRAW_COLUMNS),
        ]),
        dcc.Store(id="planner-refresh", data={"n": 0}),
        dcc.Store(id="planner-job-state"),
    ])
