"""The printable visit sheet (检查单) of an inspection code: QR, enterprise, team, inspectors, items, legal basis.

A plain HTML document (served by ``api.visits`` at ``/visits/<code>/sheet``, login required) so that it
prints cleanly on A4 without the app's chrome; its look is ``assets/printable.css``, its print button
``assets/visit_public.js``. Every value from the database is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def render_sheet(d: dict[str, Any], *, public_url: str) -> str:
    """HTML of the sheet for the details returned by ``geo_data.visit_codes.code_details``; the QR encodes
    ``public_url``, the enterprise's page of the code (``/v/<code>``). The inspectors are the visit's own (chosen
    when the code was issued), not every member of the team."""
    code = _e(d["code"])
    url = _e(public_url)
    inspectors = "".join(
        f"<li>{_e(i['name'])}（执法证号 {_e(i['badge_no'])}，{_e(i['department'])}）</li>" for i in d["inspectors"]
    ) or "<li>—</li>"
    items = "".join(
        f"<tr><td>{_e(i['name'])}<br><small>{_e(i['code'])} · {_e(i['department'])}</small></td>"
        f"<td>{_e(i['legal_basis']) or '—'}</td></tr>" for i in d["items"]
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>检查单 {code}</title><link rel="stylesheet" href="/assets/printable.css">
<script src="/assets/visit_public.js" defer></script></head><body class="gc-sheet">
<div class="head"><div class="qr"><img src="/visits/{code}/qr.svg" alt="行政行为码 {code}"></div>
<div><h1>行政执法检查单 · Inspection sheet</h1>
<p class="sub">行政行为码 Code: <span class="code" id="sheet-code">{code}</span></p>
<p>检查日期 Date: {_e(d['visit_date'])} · 牵头部门 Lead: {_e(d.get('lead_department_name'))}
 · 检查组 Team: {_e(d.get('team_name'))}</p></div></div>
<table><tr><th>企业 Enterprise</th><td id="sheet-enterprise">{_e(d['enterprise_name'])}</td></tr>
<tr><th>统一社会信用代码 USCC</th><td>{_e(d['uscc'])}</td></tr>
<tr><th>地址 Address</th><td>{_e(d['address'])}</td></tr>
<tr><th>执法人员 Inspectors</th><td><ul id="sheet-inspectors">{inspectors}</ul></td></tr></table>
<table id="sheet-items"><tr><th>检查事项 Item</th><th>法律依据 Legal basis</th></tr>{items}</table>
<p>请企业扫码确认检查并在检查后评价 · The enterprise scans the code at the visit and rates it afterwards:
<span class="code" id="sheet-url">{url}</span></p>
<button class="print" type="button" data-gc-print>打印 Print</button>
</body></html>"""
