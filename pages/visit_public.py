"""The enterprise's page of an inspection code (亮码 + 查后评价), served at ``/v/<code>`` without an account.

A plain, mobile-first HTML document (not a Dash page: it must open fast on any phone and carry nothing of the
command map). Chinese by default, English with ``?lang=en``. Every value from the database is escaped; the
behaviour lives in ``assets/visit_public.js`` (no inline script: the CSP forbids it), which reads the code and
its messages from ``data-`` attributes.
"""

from __future__ import annotations

from datetime import date, datetime
from html import escape
from typing import Any

from enforcement.local_time import SHANGHAI

TEXT: dict[str, tuple[str, str]] = {
    "title": ("行政执法检查 · 亮码", "Administrative inspection · code check"),
    "heading": ("行政执法检查信息", "Inspection details"),
    "code": ("行政行为码", "Inspection code"),
    "kicker": ("亮码检查", "Code-shown inspection"),
    "date": ("检查日期", "Date"),
    "lead": ("牵头部门", "Lead department"),
    "inspectors": ("执法人员", "Inspectors"),
    "badge": ("执法证号", "Badge No."),
    "items": ("检查事项及法律依据", "Items and legal basis"),
    "no_basis": ("未载明", "not stated"),
    "scan_intro": ("请核对检查人员出示的执法证件与上列信息一致后点击确认。确认时需获取您的位置，仅用于确认检查在企业现场进行。",
                   "Check the inspectors' badges against the list above, then confirm. Your phone's position is "
                   "used only to confirm that the inspection takes place at your premises."),
    "scan_button": ("检查人员已亮码", "The inspectors showed the code"),
    "scanned": ("已确认亮码", "Code shown: confirmed"),
    "scan_future": ("本次检查日期为 {date}，请在检查当日确认。", "This inspection is dated {date}; confirm it on that day."),
    "locating": ("正在获取位置…", "Getting your position…"),
    "denied": ("未获得位置权限。请在浏览器中允许本页面获取位置后重试。",
               "No permission to use your position. Allow this page to use your location and try again."),
    "unavailable": ("暂时无法获取位置，请稍后重试。", "Your position could not be found; please try again."),
    "sending": ("正在提交…", "Sending…"),
    "network": ("网络异常，请稍后重试。", "Network problem; please try again."),
    "rate_heading": ("查后评价", "Rate this inspection"),
    "rate_intro": ("请对本次检查是否规范、文明、高效作出评价（每次检查仅可评价一次）。",
                   "How correct, courteous and efficient was this inspection? (one rating per inspection)"),
    "star1": ("很不满意", "Very dissatisfied"),
    "star2": ("不满意", "Dissatisfied"),
    "star3": ("一般", "Neutral"),
    "star4": ("满意", "Satisfied"),
    "star5": ("很满意", "Very satisfied"),
    "comment": ("意见建议（选填，500字以内）", "Comments (optional, up to 500 characters)"),
    "submit": ("提交评价", "Submit rating"),
    "choose": ("请先选择评分。", "Please choose a rating first."),
    "thanks": ("感谢您的评价！", "Thank you for your rating!"),
    "your_rating": ("您的评分", "Your rating"),
    "rate_later": ("检查结束后可在本页面评价。", "You can rate the inspection on this page after it."),
    "footer": ("本页面仅显示本次检查的执法信息。如对执法行为有异议，可拨打12345政务服务热线。",
               "This page shows only this inspection's enforcement details. Objections: call the 12345 "
               "government service hotline."),
    "not_found": ("未找到该检查码", "No such inspection code"),
    "not_found_body": ("请核对二维码或检查码是否完整。", "Check that the QR code or the inspection code is complete."),
    "limited": ("请求过于频繁", "Too many requests"),
    "limited_body": ("请10分钟后再试。", "Please try again in 10 minutes."),
    "switch": ("English", "中文"),
}
_JS_MESSAGES = ("locating", "denied", "unavailable", "sending", "network", "choose")


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def _e(value: Any) -> str:
    return escape("" if value is None else str(value))


def _day(d: date, lang: str) -> str:
    return d.strftime("%-d %b %Y") if lang == "en" else f"{d.year}年{d.month}月{d.day}日"


def _when(at: datetime, lang: str) -> str:
    local = at.astimezone(SHANGHAI)
    return f"{_day(local.date(), lang)} {local:%H:%M}"


def _document(lang: str, title: str, body: str, data: str = "") -> str:
    other = "zh" if lang == "en" else "en"
    return f"""<!doctype html><html lang="{'en' if lang == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>{_e(title)}</title><link rel="stylesheet" href="/assets/visit_public.css">
<script src="/assets/visit_public.js" defer></script></head>
<body class="gc-public"><main id="gc-visit"{data}>
<p class="gc-v-lang"><a id="gc-v-lang" href="?lang={other}" hreflang="{other}">{_t('switch', lang)}</a></p>
{body}
<footer class="gc-v-footer">{_t('footer', lang)}</footer></main></body></html>"""


def _stars(value: int) -> str:
    return "★" * value + "☆" * (5 - value)


def _scan_part(v: dict[str, Any], lang: str, today: date) -> str:
    if v["scanned_at"] is not None:
        return (f'<section class="gc-v-done" id="gc-v-scanned"><b>✓ {_t("scanned", lang)}</b> '
                f'<span>{_e(_when(v["scanned_at"], lang))}</span></section>')
    if v["visit_date"] > today:
        return f'<section class="gc-v-note" id="gc-v-future">{_e(_t("scan_future", lang).format(date=_day(v["visit_date"], lang)))}</section>'
    if v["visit_date"] < today:
        return ""
    return (f'<section class="gc-v-scan"><p>{_t("scan_intro", lang)}</p>'
            f'<button type="button" id="gc-v-scan" class="gc-v-primary">{_t("scan_button", lang)}</button></section>')


def _rate_part(v: dict[str, Any], lang: str, today: date) -> str:
    if v["rating"] is not None:
        return (f'<section class="gc-v-done" id="gc-v-thanks"><b>{_t("thanks", lang)}</b>'
                f'<p>{_t("your_rating", lang)}: <span class="gc-v-stars" aria-label="{int(v["rating"])}/5">'
                f'{_stars(int(v["rating"]))}</span></p></section>')
    if v["scanned_at"] is None and v["visit_date"] >= today:
        return f'<p class="gc-v-note" id="gc-v-rate-later">{_t("rate_later", lang)}</p>'
    choices = "".join(
        f'<label class="gc-v-star"><input type="radio" name="rating" value="{n}" required>'
        f'<span aria-hidden="true">★</span><small>{n} · {_t(f"star{n}", lang)}</small></label>' for n in range(1, 6))
    return (f'<form id="gc-v-rate" class="gc-v-rate" novalidate><h2>{_t("rate_heading", lang)}</h2>'
            f'<p>{_t("rate_intro", lang)}</p><fieldset class="gc-v-stars-in">{choices}</fieldset>'
            f'<label class="gc-v-comment">{_t("comment", lang)}<textarea name="comment" maxlength="500" rows="3">'
            f'</textarea></label><button type="submit" class="gc-v-primary">{_t("submit", lang)}</button></form>')


def render_visit(v: dict[str, Any], lang: str, *, today: date) -> str:
    """The page for the details of ``geo_data.visit_public.public_visit``; ``today`` in Asia/Shanghai."""
    en = lang == "en"
    inspectors = "".join(
        f'<li><b class="gc-v-name">{_e(i["name"])}</b><span>{_t("badge", lang)} '
        f'<span class="gc-v-badge">{_e(i["badge_no"])}</span></span>'
        f'<small>{_e(i["department_en"] if en else i["department"])}</small></li>' for i in v["inspectors"]
    ) or "<li>—</li>"
    items = "".join(
        f'<li><b>{_e(i["name"])}</b><small>{_e(i["department_en"] if en else i["department"])}</small>'
        f'<p class="gc-v-basis">{_e(i["legal_basis"]) or _t("no_basis", lang)}</p></li>' for i in v["items"])
    lead = v["lead_department_en"] if en else v["lead_department"]
    messages = "".join(f' data-msg-{k}="{_e(_t(k, lang))}"' for k in _JS_MESSAGES)
    body = f"""<header class="gc-v-head"><p class="gc-v-kicker">{_t('code', lang)} · {_t('kicker', lang)}</p>
<h1>{_t('heading', lang)}</h1></header>
<section class="gc-v-card"><dl class="gc-v-facts"><dt>{_t('date', lang)}</dt><dd id="gc-v-date">{_e(_day(v['visit_date'], lang))}</dd>
<dt>{_t('lead', lang)}</dt><dd id="gc-v-lead">{_e(lead) or '—'}</dd></dl>
<h2>{_t('inspectors', lang)}</h2><ul id="gc-v-inspectors" class="gc-v-people">{inspectors}</ul>
<h2>{_t('items', lang)}</h2><ol id="gc-v-items" class="gc-v-items">{items}</ol></section>
{_scan_part(v, lang, today)}
{_rate_part(v, lang, today)}
<p id="gc-v-msg" class="gc-v-msg" role="status" aria-live="polite"></p>
<p class="gc-v-code">{_t('code', lang)} <span id="gc-v-code">{_e(v['code'])}</span></p>"""
    return _document(lang, _t("title", lang), body, f' data-code="{_e(v["code"])}"{messages}')


def render_problem(kind: str, lang: str) -> str:
    """The page for an unknown code (``not_found``) or a client over the guessing limit (``limited``)."""
    body = (f'<header class="gc-v-head"><h1 id="gc-v-problem">{_t(kind, lang)}</h1></header>'
            f'<section class="gc-v-card"><p>{_t(kind + "_body", lang)}</p></section>')
    return _document(lang, _t(kind, lang), body)
