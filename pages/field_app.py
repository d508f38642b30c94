"""The field app's page (``/field``): a plain, phone-first HTML shell; the app itself is ``field_app/field.js``.

Not a Dash page: it must start from the service worker's cache with no network (Dash's layout and callbacks
need the server for every render), stay small on a county 4G link, and keep working while offline. Chinese by
default, English with ``?lang=en``. No inline script (the CSP forbids it): messages reach the script through
``data-`` attributes; all values are escaped.
"""

from __future__ import annotations

import json
from html import escape

TEXT: dict[str, tuple[str, str]] = {
    "title": ("执法终端", "Field app"),
    "map": ("地图", "Map"),
    "online": ("在线", "online"),
    "offline": ("离线", "offline"),
    "waiting": ("待发送", "waiting"),
    "dispatch": ("当前派单", "Current dispatch"),
    "no_dispatch": ("暂无派单", "No dispatch"),
    "accepted": ("接单", "Accept"),
    "en_route": ("出发", "On the way"),
    "on_site": ("到场", "On site"),
    "resolved": ("处置完成", "Resolved"),
    "note": ("处置说明（办结时填写）", "Note (when resolving)"),
    "photo": ("拍照取证", "Take a photo"),
    "navigate": ("导航", "Navigate"),
    "amap": ("高德", "Amap"),
    "baidu": ("百度", "Baidu"),
    "tencent": ("腾讯", "Tencent"),
    "visits": ("今日检查（按路线顺序）", "Today's visits (route order)"),
    "no_visits": ("今日无计划检查", "No visits planned today"),
    "show_code": ("亮码", "Show code"),
    "close": ("关闭", "Close"),
    "result": ("检查结果", "Result"),
    "items": ("已检查事项", "Items checked"),
    "problem": ("发现问题", "Problem found"),
    "no_problem": ("未发现问题", "No problem"),
    "follow_up": ("后续处理", "Follow-up"),
    "fu_none": ("无需后续", "none"),
    "fu_rectify": ("责令整改", "order to rectify"),
    "fu_recheck": ("安排复查", "re-inspect"),
    "fu_case": ("立案调查", "open a case"),
    "save_result": ("提交结果", "Save result"),
    "done": ("已完成", "done"),
    "locate": ("上报位置", "Report position"),
    "queue": ("待发送", "Waiting to send"),
    "queue_empty": ("无待发送内容", "Nothing waiting"),
    "logout": ("退出", "Log out"),
    "switch": ("English", "中文"),
    "scan_hint": ("请企业扫码核验", "Let the enterprise scan this code"),
}
# messages the script shows (data-msg-*)
_JS = {
    "sent": ("已发送", "sent"), "queued": ("已离线保存，联网后自动发送", "saved offline; sent when back online"),
    "conflict": ("未能提交", "not accepted"), "no_position": ("未获取到位置", "no position"),
    "step_accepted": ("接单", "accepted"), "step_en_route": ("出发", "on the way"),
    "step_on_site": ("到场", "on site"), "step_resolved": ("处置完成", "resolved"), "kind_photo": ("照片", "photo"),
    "kind_fix": ("位置", "position"), "kind_result": ("检查结果", "visit result"), "kind_step": ("状态", "step"),
    "status_assigned": ("待接单", "assigned"), "status_accepted": ("已接单", "accepted"),
    "status_en_route": ("在途", "on the way"), "status_on_site": ("现场处置", "on site"),
    "team_idle": ("空闲", "idle"), "team_out": ("出勤", "out"), "team_en_route": ("在途", "en route"),
    "team_on_site": ("现场", "on site"), "team_rest": ("休息", "resting"),
    "sev_urgent": ("紧急", "urgent"), "sev_high": ("高", "high"), "sev_medium": ("中", "medium"),
    "sev_low": ("低", "low"), "stale": ("离线数据，更新于", "offline data from"),
    "reassigned": ("该派单已被改派或撤销，此步骤未生效", "This dispatch was reassigned or cancelled meanwhile; the step "
                   "was not applied"),
}


def lang_of(value: str | None) -> str:
    return "en" if value == "en" else "zh"


def _t(key: str, lang: str) -> str:
    zh, en = TEXT[key]
    return en if lang == "en" else zh


def render(lang: str, *, user: str, interval_s: int, tiles: str, csrf: str) -> str:
    """The app shell for ``lang``; ``tiles`` the basemap's tile layers as JSON (empty list: no basemap)."""
    other = "zh" if lang == "en" else "en"
    msgs = {k: (en if lang == "en" else zh) for k, (zh, en) in (_JS | TEXT).items()}
    data = (f' data-lang="{lang}" data-interval-s="{int(interval_s)}" data-tiles="{escape(tiles)}"'
            f' data-msgs="{escape(json.dumps(msgs, ensure_ascii=False))}"')
    steps = "".join(f'<button type="button" class="gc-f-step" id="gc-f-{s.replace("_", "")}" data-step="{s}"'
                    f' disabled>{_t(s, lang)}</button>' for s in ("accepted", "en_route", "on_site", "resolved"))
    return f"""<!doctype html><html lang="{'en' if lang == 'en' else 'zh-CN'}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="theme-color" content="#0b4f8a"><meta name="robots" content="noindex">
<title>{_t('title', lang)} · GridCommand</title>
<link rel="manifest" href="/field/manifest.webmanifest"><link rel="icon" href="/field/app/icon.svg">
<link rel="stylesheet" href="/field/app/leaflet/leaflet.css"><link rel="stylesheet" href="/field/app/field.css">
<script src="/field/app/leaflet/leaflet.js" defer></script><script src="/field/app/field.js" defer></script>
</head><body class="gc-field"><main id="gc-field"{data}>
<header class="gc-f-head"><div><h1>{_t('title', lang)}</h1><p id="gc-f-team" class="gc-f-team"></p></div>
<div class="gc-f-state"><span id="gc-f-net" class="gc-f-net">{_t('online', lang)}</span>
<span id="gc-f-waiting" class="gc-f-waiting" hidden></span></div></header>
<div id="gc-f-map" class="gc-f-map" aria-label="{_t('map', lang)}"></div>
<p id="gc-f-msg" class="gc-f-msg" role="status" aria-live="polite"></p>
<section class="gc-f-card" id="gc-f-dispatch-card"><h2>{_t('dispatch', lang)}</h2>
<div id="gc-f-dispatch"><p class="gc-f-empty">{_t('no_dispatch', lang)}</p></div>
<div id="gc-f-actions" hidden><div class="gc-f-steps">{steps}</div>
<label class="gc-f-note">{_t('note', lang)}<textarea id="gc-f-note" maxlength="2000" rows="2"></textarea></label>
<label class="gc-f-photo">{_t('photo', lang)}<input type="file" id="gc-f-photo" accept="image/*"
 capture="environment" multiple></label>
<div class="gc-f-nav" id="gc-f-dnav"></div></div></section>
<section class="gc-f-card"><h2>{_t('visits', lang)}</h2><ol id="gc-f-visits" class="gc-f-visits">
<li class="gc-f-empty">{_t('no_visits', lang)}</li></ol></section>
<section class="gc-f-card"><h2>{_t('queue', lang)}</h2><ul id="gc-f-queue" class="gc-f-queue">
<li class="gc-f-empty">{_t('queue_empty', lang)}</li></ul>
<button type="button" id="gc-f-locate" class="gc-f-secondary">{_t('locate', lang)}</button></section>
<footer class="gc-f-foot"><span>{escape(user)}</span>
<a href="?lang={other}" hreflang="{other}" id="gc-f-lang">{_t('switch', lang)}</a>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{escape(csrf)}">
<button type="submit" class="gc-f-link">{_t('logout', lang)}</button></form></footer>
</main>
<div id="gc-f-qr" class="gc-f-qr" hidden role="dialog" aria-modal="true"><div class="gc-f-qr-box">
<p id="gc-f-qr-name"></p><div id="gc-f-qr-img"></div><p class="gc-f-qr-code" id="gc-f-qr-code"></p>
<p class="gc-f-qr-hint">{_t('scan_hint', lang)}</p>
<button type="button" id="gc-f-qr-close" class="gc-f-primary">{_t('close', lang)}</button></div></div>
</body></html>"""
