"""UI text in Simplified Chinese (default) and English, and number/date formatting for each language.

``t(key, lang)`` looks a key up; unknown keys come back as the key itself so a missing entry is visible, never
a crash. Other screens may add keys to ``TEXT`` with small edits.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGS = ("zh", "en")
SHANGHAI = ZoneInfo("Asia/Shanghai")

TEXT: dict[str, tuple[str, str]] = {
    # key: (zh, en)
    "app.title": ("县乡执法指挥一张图", "Enforcement command map"),
    "wall.title": ("综合执法指挥大屏", "Enforcement command wall"),
    "lang.switch": ("English", "中文"),
    "layer.county": ("县界", "County"),
    "layer.townships": ("乡镇街道", "Townships"),
    "layer.cells": ("网格(H3)", "Grid cells (H3)"),
    "layer.enterprises": ("市场主体", "Enterprises"),
    "layer.alerts": ("告警", "Alerts"),
    "layer.incidents": ("事件", "Incidents"),
    "layer.teams": ("执法队伍", "Teams"),
    "layer.visits": ("当日检查", "Visits of the day"),
    "layer.playback": ("回放", "Playback"),
    "measure": ("网格指标", "Cell measure"),
    "measure.enterprises": ("市场主体数", "Enterprises"),
    "measure.high_risk": ("高风险主体数", "High-risk enterprises"),
    "measure.visits": ("检查户次", "Visits"),
    "measure.open_alerts": ("未结告警", "Open alerts"),
    "measure.repeat_rate": ("重复检查率", "Repeat-inspection rate"),
    "measure.coverage": ("覆盖率", "Coverage"),
    "time": ("时间范围", "Time range"),
    "time.24h": ("最近24小时", "Last 24 h"),
    "time.7d": ("最近7天", "Last 7 days"),
    "time.30d": ("最近30天", "Last 30 days"),
    "time.custom": ("自定义", "Custom"),
    "search.placeholder": ("搜索企业名称/统一社会信用代码/乡镇", "Search enterprise, USCC or township"),
    "search.none": ("无匹配结果", "Nothing found"),
    "day": ("日期", "Day"),
    "play": ("播放", "Play"),
    "pause": ("暂停", "Pause"),
    "details": ("详情", "Details"),
    "details.hint": ("点击网格、乡镇、企业、告警、事件或队伍查看详情",
                     "Click a cell, township, enterprise, alert, incident or team"),
    "details.cell": ("网格", "Cell"),
    "details.township": ("乡镇街道", "Township"),
    "details.enterprise": ("企业", "Enterprise"),
    "details.alert": ("告警", "Alert"),
    "details.incident": ("事件", "Incident"),
    "details.team": ("队伍", "Team"),
    "details.top_enterprises": ("重点企业", "Top enterprises"),
    "details.recent_alerts": ("近期告警", "Recent alerts"),
    "details.last_visits": ("最近检查", "Last visits"),
    "details.none": ("暂无", "None"),
    "details.place": ("位置", "Place"),
    "details.near": ("{name}（约 {m} 米）", "{name} (about {m} m)"),
    "details.description": ("描述", "Description"),
    "details.evidence": ("证据", "Evidence"),
    "details.evidence_open": ("查看证据", "Open evidence"),
    "details.confidence": ("置信度", "Confidence"),
    "details.of_incident": ("所属事件", "Incident"),
    "details.incident_ref": ("事件 #{id} · {status}", "Incident #{id} · {status}"),
    "details.open_dispatch": ("在派单调度中打开", "Open in dispatch"),
    "details.team_of": ("处置队伍", "Team"),
    "details.team_dispatch": ("{team} · {status} · {at} 派单", "{team} · {status} · assigned {at}"),
    "details.no_team": ("尚未派单", "Not dispatched yet"),
    "details.sla": ("处置时限", "SLA"),
    "details.sla_closed": ("已办结（{at}），不再计时", "Closed {at}: no clock"),
    "details.sla_resolved": ("已处置，待办结", "Resolved, awaiting closure"),
    "details.sla_on_time": ("{at} 到场，未超时", "On site {at}, in time"),
    "details.sla_late": ("{at} 到场，超时 {n} 分钟", "On site {at}, {n} min late"),
    "details.escalated": ("已上报县级", "escalated to the county"),
    "details.first_seen": ("首次发现", "First seen"),
    "details.last_seen": ("最近告警", "Last alert"),
    "details.kind": ("类别", "Kind"),
    "details.kind_township": ("乡镇综合执法队", "Township team"),
    "details.kind_squad": ("县级专业队", "County squad"),
    "details.position_at": ("定位时间", "Position at"),
    "details.current_dispatch": ("当前派单", "Current dispatch"),
    "details.dispatch_ref": ("事件 #{id} · {type} · {status}", "Incident #{id} · {type} · {status}"),
    "details.idle": ("无进行中的派单", "No active dispatch"),
    "details.track": ("轨迹", "Track"),
    "details.track_day": ("日期", "Day"),
    "details.track_summary": ("{n} 个定位点 · 约 {km} 公里 · {first}–{last}",
                              "{n} fixes · about {km} km · {first}–{last}"),
    "details.track_flagged": ("另有 {n} 个异常点未计入", "{n} flagged fixes left out"),
    "details.track_none": ("当日无轨迹", "No track that day"),
    "event.assigned_state": ("已派单待接单", "Assigned"),
    "field.name": ("名称", "Name"),
    "field.uscc": ("统一社会信用代码", "USCC"),
    "field.industry": ("行业", "Industry"),
    "field.risk": ("风险等级", "Risk grade"),
    "field.credit": ("信用等级", "Credit grade"),
    "field.township": ("乡镇街道", "Township"),
    "field.address": ("地址", "Address"),
    "field.type": ("类型", "Type"),
    "field.source": ("来源", "Source"),
    "field.severity": ("等级", "Severity"),
    "field.status": ("状态", "Status"),
    "field.time": ("时间", "Time"),
    "field.members": ("人数", "Members"),
    "field.alerts": ("告警数", "Alerts"),
    "field.ent_total": ("市场主体", "Enterprises"),
    "field.ent_high": ("高风险", "High risk"),
    "field.visits": ("检查户次", "Visits"),
    "field.alerts_open": ("未结告警", "Open alerts"),
    "field.incidents_open": ("未结事件", "Open incidents"),
    "field.teams": ("队伍", "Teams"),
    "capped": ("显示 {n} / 共约 {m} 家（高/较高风险优先），请放大查看全部",
               "showing {n} of {m} (high risk first), zoom in"),
    "live.capped": ("{layer}：显示 {n} / 共 {m} 条（最新优先）", "{layer}: showing {n} of {m} (newest first)"),
    "live.binned": ("告警按网格汇总显示（共 {n} 条），放大到 {z} 级查看单条",
                    "alerts shown as counted bins ({n} in all); zoom to {z} for single alerts"),
    "zoom_for_points": ("放大到 {z} 级显示企业点位", "zoom to {z} to see enterprises"),
    "risk.high": ("高风险", "High"),
    "risk.elevated": ("较高风险", "Elevated"),
    "risk.general": ("一般风险", "General"),
    "risk.low": ("低风险", "Low"),
    "severity.urgent": ("紧急", "Urgent"),
    "severity.high": ("高", "High"),
    "severity.medium": ("中", "Medium"),
    "severity.low": ("低", "Low"),
    "source.drone": ("无人机", "Drone"),
    "source.ai_camera": ("AI摄像头", "AI camera"),
    "source.sensor": ("物联感知", "Sensor"),
    "source.complaint": ("投诉举报", "Complaint"),
    "status.idle": ("空闲", "Idle"),
    "status.out": ("出勤", "Out"),
    "status.en_route": ("在途", "En route"),
    "status.on_site": ("现场", "On site"),
    "status.rest": ("休息", "Resting"),
    "status.open": ("待处置", "Open"),
    "status.dispatched": ("已派单", "Dispatched"),
    "status.resolved": ("已处置", "Resolved"),
    "status.closed": ("已办结", "Closed"),
    "status.remote_closed": ("非现场办结", "Closed remotely"),
    "kpi.alerts_today": ("今日告警", "Alerts today"),
    "kpi.incidents_open": ("未结事件", "Open incidents"),
    "kpi.response_median": ("响应时长中位数", "Median response"),
    "kpi.joint_rate": ("联合检查率", "Joint-inspection rate"),
    "kpi.repeat_rate": ("重复检查率", "Repeat-inspection rate"),
    "kpi.code_rate": ("亮码检查率", "Code-shown rate"),
    "kpi.remote_rate": ("非现场处置率", "Remote-closure rate"),
    "kpi.minutes": ("分钟", "min"),
    "wall.incidents": ("实时事件", "Live incidents"),
    "wall.stale": ("数据已 {n} 秒未更新", "data is {n} s old"),
    "wall.live": ("实时", "live"),
    "wall.all_townships": ("全县", "Whole county"),
    "wall.rates_window": ("比率统计：近 {n} 天", "Rates: last {n} days"),
    "dispatch.title": ("乡镇派单调度", "Township dispatch"),
    "dispatch.queue": ("事件队列", "Incident queue"),
    "dispatch.all_townships": ("全部乡镇", "All townships"),
    "dispatch.empty": ("暂无待处置事件", "No open incidents"),
    "dispatch.capped": ("显示最紧急的 {n} 条 / 共 {m} 条待处置", "Showing the {n} most pressing of {m} open"),
    "dispatch.pick": ("请在左侧选择一个事件", "Pick an incident on the left"),
    "dispatch.recommend": ("推荐队伍", "Recommended teams"),
    "dispatch.no_team": ("暂无可用队伍，已上报县级指挥中心", "No team free: escalated to the county"),
    "dispatch.assign": ("派单", "Assign"),
    "dispatch.reassign": ("改派", "Reassign"),
    "dispatch.timeline": ("处置时间线", "Timeline"),
    "dispatch.remote_close": ("非现场处置", "Close remotely"),
    "dispatch.reason": ("处置说明", "Reason"),
    "dispatch.evidence": ("证据链接", "Evidence link"),
    "dispatch.close_btn": ("确认非现场办结", "Close remotely"),
    "dispatch.status": ("更新状态", "Update status"),
    "dispatch.status_btn": ("提交", "Submit"),
    "dispatch.sla_left": ("剩余 {n} 分钟", "{n} min left"),
    "dispatch.sla_over": ("超时 {n} 分钟", "{n} min overdue"),
    "dispatch.sla_none": ("不再计时", "no SLA clock"),
    "dispatch.alerts": ("{n} 条告警", "{n} alerts"),
    "dispatch.escalated": ("已上报县级", "Escalated"),
    "dispatch.assigned_to": ("已派: {team} ({status})", "Assigned: {team} ({status})"),
    "dispatch.forbidden": ("当前账号无派单权限", "Your account may not dispatch"),
    "dispatch.done": ("已完成: {what}", "Done: {what}"),
    "dispatch.enterprise": ("涉及企业", "Enterprise"),
    "event.created": ("事件生成", "Created"),
    "event.alert_joined": ("新告警并入", "Alert joined"),
    "event.assigned": ("派单", "Assigned"),
    "event.reassigned": ("改派", "Reassigned"),
    "event.cancelled": ("撤销派单", "Cancelled"),
    "event.accepted": ("已接单", "Accepted"),
    "event.en_route": ("在途", "En route"),
    "event.on_site": ("到达现场", "On site"),
    "event.resolved": ("已处置", "Resolved"),
    "event.closed": ("办结", "Closed"),
    "event.remote_closed": ("非现场办结", "Closed remotely"),
    "event.escalated": ("上报县级", "Escalated"),
    "event.evidence": ("现场照片", "Photo"),
    "error.generic": ("操作失败：{msg}", "Failed: {msg}"),
}


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text for ``key`` in ``lang`` ('zh' default, 'en'); ``fmt`` fills ``{placeholders}``."""
    pair = TEXT.get(key)
    text = key if pair is None else pair[1 if lang == "en" else 0]
    return text.format(**fmt) if fmt else text


def lang_of(value: object) -> str:
    """A valid language code from whatever the browser sent ('zh' unless it is exactly 'en')."""
    return "en" if value == "en" else "zh"


def format_number(value: float | int | None, lang: str = "zh", *, digits: int = 0) -> str:
    """Thousands-separated number ('—' for None); both languages group by thousands with commas."""
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def format_percent(value: float | None, lang: str = "zh", *, digits: int = 1) -> str:
    """A share 0..1 as a percentage ('—' for None)."""
    if value is None:
        return "—"
    return f"{value * 100:.{digits}f}%" if lang == "en" else f"{value * 100:.{digits}f}%"


def format_datetime(value: datetime | None, lang: str = "zh") -> str:
    """A time shown in Asia/Shanghai: '2026年11月21日 14:05' (zh) or '2026-11-21 14:05' (en)."""
    if value is None:
        return "—"
    local = value.astimezone(SHANGHAI) if value.tzinfo else value.replace(tzinfo=SHANGHAI)
    if lang == "en":
        return local.strftime("%Y-%m-%d %H:%M")
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
