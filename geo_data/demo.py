"""The demo county: 婺城区 (330702) with its real outline, generated townships and a plausible register.

``load_demo`` loads, in one transaction: reference data, the county, 26 generated townships, the H3 grid,
N enterprises (dense in the urban streets, clustered at industrial parks, sparse in the southern mountains,
nothing outside the county), township comprehensive teams and county department squads with their inspectors,
and months of on-site visit history whose repeat-inspection rate is near 32 % (丽水's 2022 starting point).

Everything is generated vectorised (numpy) and deterministic for a seed, so ``--enterprises 1000000`` works.

Repeat-inspection rate as generated here: a visit is a repeat when the same enterprise had a visit led by
another department in the 30 days before it (same day included). The history is built from "episodes": a
first visit (sometimes a joint visit of two departments) and, with probability ``FOLLOW_UP_PROBABILITY``, a
follow-up by a department the first visit did not cover 1–20 days later; episodes of one enterprise are at
least 31 days apart, so the rate is p / (1 + p) whatever the exact definition's tie rules.
"""

from __future__ import annotations

import io
import json
import math
import secrets
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql
from shapely.geometry.base import BaseGeometry

from enforcement.grades import CREDIT_GRADES, RISK_GRADES
from enforcement.local_time import SHANGHAI
from enforcement.plan import DayRouteConfig
from geo_data import plans, reference, tasks
from geo_data.cells import ensure_cells, refresh_cell_counts
from geo_data.coords import h3_cells
from geo_data.db import execute, fetch_all, fetch_one, sql_text
from geo_data.enterprises import BULK_REBUILD_MIN_ROWS, copy_enterprises, point_townships
from geo_data.errors import Conflict, InvalidInput
from geo_data.measures import defer_preaggregates, rebuild_preaggregates
from geo_data.scope import Role, Scope
from geo_data.townships import (
    bundled_county,
    bundled_townships,
    generate_townships,
    load_county,
    store_townships,
    township_kind,
    township_names_en,
)
from geo_data.uscc import ALPHABET, is_valid_uscc
from geo_data.users import create_user

DEMO_STATE_KEY = "demo"
RISK_TARGET = (0.05, 0.15, 0.50, 0.30)               # high, elevated, general, low
# P(credit | risk): overall about A 40 %, B 40 %, C 15 %, D 5 %, poorer credit where risk is higher.
CREDIT_BY_RISK = np.array([[0.20, 0.40, 0.25, 0.15],
                           [0.30, 0.42, 0.20, 0.08],
                           [0.42, 0.40, 0.14, 0.04],
                           [0.48, 0.39, 0.11, 0.02]])
EPISODES_PER_YEAR_BY_RISK = np.array([4.0, 2.0, 0.8, 0.25])
EPISODE_FACTOR_BY_CREDIT = np.array([0.7, 1.0, 1.4, 2.0])
FOLLOW_UP_PROBABILITY = 0.4706                         # p / (1 + p) = 0.32
JOINT_PROBABILITY = 0.12
FOLLOW_UP_MAX_DAYS = 20
EPISODE_GAP_DAYS = 31
CODE_SCANNED_PROBABILITY = 0.94
URBAN_CENTRE = (119.648, 29.086)                       # 金华市区, old town

# Industrial parks (lng, lat, sigma km, weight): 金华经济技术开发区, 白龙桥, 金西 (汤溪, 罗埠, 蒋堂), 乾西.
INDUSTRIAL_PARKS: tuple[tuple[float, float, float, float], ...] = (
    (119.605, 29.082, 1.6, 3.0),
    (119.550, 29.078, 1.4, 2.0),
    (119.415, 29.058, 1.3, 1.5),
    (119.452, 29.112, 1.2, 1.2),
    (119.482, 29.060, 1.0, 1.0),
    (119.583, 29.118, 1.0, 0.8),
)

_SHOP_FIRST = list("鑫金永恒华宏瑞嘉兴德福聚盛顺祥富润泰丰源旺隆汇新达安康利益和美佳")
_SHOP_SECOND = list("源帆兴达丰祥盛隆泰发昌宝辉华鑫旺瑞通宇晟诚信美佳和福乐悦记家轩")
_URBAN_ROADS = ("八一北街", "人民东路", "人民西路", "解放西路", "解放东路", "婺州街", "双龙南街", "双龙北街",
                "李渔路", "丹溪路", "宾虹路", "金帆街", "环城南路", "环城西路", "西关街", "新华街", "将军路",
                "北山路", "迎宾大道", "中山路", "五一路", "回溪街", "胜利街", "八咏路", "东市街", "青春路",
                "西市街", "飘萍路", "站前大道", "临江东路")
_TOWN_ROADS = ("人民路", "工业路", "兴业路", "振兴路", "镇中路", "文化路", "新街", "老街", "学士路", "建设路",
               "商贸街", "中心街")
_VILLAGES = ("下张", "上王", "后溪", "前宅", "东山", "西坞", "塘头", "中央", "岭下", "山口", "石门", "新塘",
             "里湖", "外庄", "高畈", "汪家", "徐村", "叶宅", "杜宅", "何村")
_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蒋蔡余杜叶程苏魏吕丁任沈姚卢")
_GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国志文斌浩宇凯鹏俊飞燕红")
_RESULTS = ("未发现问题", "责令限期整改", "当场整改完毕", "立案调查")
_RESULT_P = (0.70, 0.20, 0.07, 0.03)
# Departments whose items are commonly delegated to township comprehensive teams (大综合一体化).
_TOWNSHIP_QUALIFICATIONS = ("comprehensive", "market", "housing", "resources")
_STREET_EXTRA = ("health", "fire")
_RURAL_EXTRA = ("agriculture", "ecology")


@dataclass(frozen=True)
class DemoSummary:
    """What ``load_demo`` did (``skipped``: the demo was already loaded and ``if_empty`` was set)."""

    county_code: str
    townships: int = 0
    enterprises: int = 0
    teams: int = 0
    inspectors: int = 0
    visits: int = 0
    repeat_rate: float = 0.0
    today_visits: int = 0                  # visits of today's plan, approved, routed and coded
    seed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: bool = False


# -- state ----------------------------------------------------------------------------------------------------

def demo_loaded(conn: psycopg.Connection[Any]) -> bool:
    """Whether the demo has been loaded into this database (``app_state`` key ``demo``)."""
    return fetch_one(conn, "demo_state", {"key": DEMO_STATE_KEY}) is not None


# -- enterprises ------------------------------------------------------------------------------------------------

def _km_to_deg(lat: float) -> tuple[float, float]:
    return 1.0 / (111.320 * math.cos(math.radians(lat))), 1.0 / 110.574


def _risk_matrix(industries: tuple[reference.Industry, ...], weights: np.ndarray) -> np.ndarray:
    """P(risk | industry), keeping each industry's tilt but scaled so the register matches RISK_TARGET."""
    mix = np.array([i.risk_mix for i in industries], dtype=float)
    target = np.array(RISK_TARGET)
    for _ in range(50):  # iterative proportional fitting on the columns, rows renormalised
        overall = weights @ mix
        mix = mix * np.where(overall > 0, target / np.where(overall > 0, overall, 1), 1.0)
        mix = mix / mix.sum(axis=1, keepdims=True)
    return mix


def _sample_in_county(
    rng: np.random.Generator, county: BaseGeometry, n: int, components: list[tuple[float, float, float, float]],
) -> tuple[np.ndarray, np.ndarray]:
    """n WGS-84 points from a mixture of Gaussian blobs (lng, lat, sigma km, weight; sigma <= 0 means
    uniform over the county), rejection-sampled so that every point lies inside the county."""
    lng = np.empty(n)
    lat = np.empty(n)
    if n == 0:
        return lng, lat
    comp = np.array(components, dtype=float)
    p = comp[:, 3] / comp[:, 3].sum()
    minx, miny, maxx, maxy = county.bounds
    dx, dy = _km_to_deg((miny + maxy) / 2)
    todo = np.arange(n)
    which = rng.choice(len(comp), size=n, p=p)
    for _ in range(200):
        k = which[todo]
        sigma = comp[k, 2]
        uniform = sigma <= 0
        x = comp[k, 0] + rng.standard_normal(len(todo)) * sigma * dx
        y = comp[k, 1] + rng.standard_normal(len(todo)) * sigma * dy
        x[uniform] = rng.uniform(minx, maxx, int(uniform.sum()))
        y[uniform] = rng.uniform(miny, maxy, int(uniform.sum()))
        ok = shapely.contains_xy(county, x, y)
        lng[todo[ok]] = x[ok]
        lat[todo[ok]] = y[ok]
        todo = todo[~ok]
        if todo.size == 0:
            return lng, lat
    raise InvalidInput("demo: could not place enterprises inside the county (components outside it?)")


def _uscc_codes(rng: np.random.Generator, n: int, region: str, is_company: np.ndarray) -> np.ndarray:
    """n distinct valid 统一社会信用代码: 91 (company) or 92 (个体工商户), the region, a scrambled serial as the
    8-character organisation body, its GB 11714 check character and the GB 32100 check character."""
    modulus = 31 ** 8
    mult = int(rng.integers(modulus // 3, modulus)) | 1
    while mult % 31 == 0:
        mult += 2
    offset = int(rng.integers(0, modulus))
    serial = (np.arange(n, dtype=np.int64) * mult + offset) % modulus   # a bijection: codes never repeat
    body = np.empty((n, 8), dtype=np.int64)
    rest = serial.copy()
    for pos in range(7, -1, -1):
        body[:, pos] = rest % 31
        rest //= 31
    # GB 11714 values the body characters 0-9, A=10 ... Z=35 (the USCC alphabet skips I, O, S, V, Z).
    gb_value = np.array([int(ch, 36) for ch in ALPHABET])[body]
    org = 11 - (gb_value @ np.array([3, 7, 9, 10, 5, 8, 4, 2])) % 11      # 10 -> X, 11 -> 0
    org_value = np.where(org == 11, 0, np.where(org == 10, ALPHABET.index("X"), org))
    head = np.column_stack([np.full(n, 9), np.where(is_company, 1, 2)] + [np.full(n, int(d)) for d in region])
    prefix = np.column_stack([head, body, org_value])                     # 17 character values
    weights = np.array([pow(3, i, 31) for i in range(17)])
    check = (31 - (prefix @ weights) % 31) % 31
    chars = np.ascontiguousarray(np.array(list(ALPHABET), dtype="U1")[np.column_stack([prefix, check])])
    return chars.view("U18").ravel().astype(object)


def generate_enterprises(
    county: BaseGeometry, townships: list[tuple[str, str, Any]], *, n: int, seed: int, county_code: str,
    township_of: Any = None,
) -> pd.DataFrame:
    """A register of n enterprises as ``copy_enterprises`` takes it (plus ``township_code``); pure for a seed.

    ``townships`` are (code, name, geometry); ``township_of(lng, lat) -> codes`` places points (default:
    point-in-polygon over ``townships``).
    """
    rng = np.random.default_rng([seed, 1])
    industries = reference.industries()
    weights = np.array([i.demo_weight for i in industries])
    weights = weights / weights.sum()
    ind_idx = rng.choice(len(industries), size=n, p=weights)

    centres = {code: shapely.point_on_surface(geom) for code, _, geom in townships}
    streets = [(c.x, c.y) for code, c in centres.items() if township_kind(code) == "street"]
    towns = [(c.x, c.y, township_kind(code)) for code, c in centres.items() if township_kind(code) != "street"]
    mountain_lat = county.bounds[1] + 0.4 * (county.bounds[3] - county.bounds[1])
    mountain_centres = [(x, y) for x, y, _ in towns if y < mountain_lat]
    ux, uy = URBAN_CENTRE
    street_blobs = [(x, y, 0.9, 1.0) for x, y in streets] + [(ux, uy, 1.8, 3.0)]
    town_blobs = [(x, y, 1.2, 1.0 if kind == "town" else 0.4) for x, y, kind in towns]
    rural_blobs = [(x, y, 3.0, 1.0 if kind == "town" else 0.7) for x, y, kind in towns]
    park_blobs = list(INDUSTRIAL_PARKS)
    uniform = [(0.0, 0.0, 0.0, 1.0)]
    placements: dict[str, list[tuple[float, float, float, float]]] = {
        "urban": _scaled(street_blobs, 0.78) + _scaled(town_blobs, 0.22),
        "town": _scaled(street_blobs, 0.35) + _scaled(town_blobs, 0.5) + _scaled(park_blobs, 0.1)
        + _scaled(uniform, 0.05),
        "park": _scaled(park_blobs, 0.85) + _scaled(town_blobs, 0.15),
        "rural": _scaled(rural_blobs, 0.8) + _scaled(uniform, 0.2),
        "mountain": _scaled([(x, y, 4.0, 1.0) for x, y in mountain_centres] or uniform, 1.0),
    }
    lng = np.empty(n)
    lat = np.empty(n)
    kinds = np.array([i.placement for i in industries])[ind_idx]
    for kind, comps in placements.items():
        sel = np.flatnonzero(kinds == kind)
        lng[sel], lat[sel] = _sample_in_county(rng, county, sel.size, comps)

    if township_of is None:
        township_code = _township_of_points(townships, lng, lat)
    else:
        township_code = np.asarray(township_of(lng, lat), dtype=object)

    risk_p = _risk_matrix(industries, weights)[ind_idx]
    risk_idx = (rng.random(n)[:, None] > np.cumsum(risk_p, axis=1)[:, :-1]).sum(axis=1)
    credit_p = CREDIT_BY_RISK[risk_idx]
    credit_idx = (rng.random(n)[:, None] > np.cumsum(credit_p, axis=1)[:, :-1]).sum(axis=1)

    company_share = np.array([i.company_share for i in industries])[ind_idx]
    is_company = rng.random(n) < company_share
    usccs = _uscc_codes(rng, n, county_code, is_company)
    if not all(is_valid_uscc(u) for u in usccs[:100]):   # cheap guard on the vectorised check characters
        raise RuntimeError("demo: generated USCCs fail validation")

    names = _names(rng, industries, ind_idx, is_company, county)
    addresses = _addresses(rng, townships, township_code)
    return pd.DataFrame({
        "uscc": usccs, "name": names, "address": addresses,
        "industry_code": np.array([i.code for i in industries], dtype=object)[ind_idx],
        "risk": np.array(RISK_GRADES, dtype=object)[risk_idx],
        "credit": np.array(CREDIT_GRADES, dtype=object)[credit_idx],
        "lng": lng, "lat": lat, "township_code": township_code,
    })


def _scaled(comps: list[tuple[float, float, float, float]], share: float) -> list[tuple[float, float, float, float]]:
    total = sum(c[3] for c in comps)
    return [(x, y, s, w / total * share) for x, y, s, w in comps]


def _township_of_points(townships: list[tuple[str, str, Any]], lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    out = np.full(len(lng), None, dtype=object)
    for code, _, geom in townships:
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, lng, lat) | shapely.intersects_xy(geom, lng, lat)
        out[inside & pd.isna(out)] = code
    return out


def _pick(rng: np.random.Generator, options: Any, n: int) -> np.ndarray:
    arr = np.asarray(options, dtype=object)
    return arr[rng.integers(0, len(arr), n)]


def _names(rng: np.random.Generator, industries: tuple[reference.Industry, ...], ind_idx: np.ndarray,
           is_company: np.ndarray, county: BaseGeometry) -> np.ndarray:
    """Chinese names: shops 金华市婺城区{字号}{后缀}, companies 浙江/金华(市){字号}{行业}有限公司."""
    n = len(ind_idx)
    brand = pd.Series(_pick(rng, _SHOP_FIRST, n)) + pd.Series(_pick(rng, _SHOP_SECOND, n))
    suffix = np.empty(n, dtype=object)
    term = np.array([i.company_term for i in industries], dtype=object)[ind_idx]
    for k, ind in enumerate(industries):
        sel = ind_idx == k
        suffix[sel] = _pick(rng, ind.shop_suffixes, int(sel.sum()))
    region = _pick(rng, ["浙江", "金华", "金华市"], n)
    shop = "金华市婺城区" + brand + pd.Series(suffix)
    company = pd.Series(region) + brand + pd.Series(term) + "有限公司"
    return np.where(is_company, company.to_numpy(dtype=object), shop.to_numpy(dtype=object))


def _addresses(rng: np.random.Generator, townships: list[tuple[str, str, Any]],
               township_code: np.ndarray) -> np.ndarray:
    """Addresses: 婺城区{乡镇街道}{路}{号} in streets and town centres, {村}村{号} in the countryside."""
    n = len(township_code)
    names = {code: name for code, name, _ in townships}
    tw_name = pd.Series(township_code).map(names).fillna("").to_numpy(dtype=object)
    kind = np.array([township_kind(c) if isinstance(c, str) else "town" for c in township_code])
    number = pd.Series(rng.integers(1, 999, n)).astype(str) + "号"
    urban = pd.Series(_pick(rng, _URBAN_ROADS, n)) + number
    town = pd.Series(_pick(rng, _TOWN_ROADS, n)) + number
    village = pd.Series(_pick(rng, _VILLAGES, n)) + "村" + pd.Series(rng.integers(1, 300, n)).astype(str) + "号"
    in_village = rng.random(n) < np.where(kind == "township", 0.6, 0.3)
    place = np.where(kind == "street", urban, np.where(in_village, village, town))
    return ("婺城区" + pd.Series(tw_name) + pd.Series(place)).to_numpy(dtype=object)


# -- teams and inspectors ---------------------------------------------------------------------------------------

def _teams(rng: np.random.Generator, townships: list[dict[str, Any]], county_code: str) -> list[dict[str, Any]]:
    """One comprehensive team per township (base: its label point) and county squads (bases in the city)."""
    teams: list[dict[str, Any]] = []
    for t in townships:
        kind = township_kind(t["code"])
        quals = list(_TOWNSHIP_QUALIFICATIONS) + list(_STREET_EXTRA if kind == "street" else _RURAL_EXTRA)
        teams.append({"county_code": county_code, "township_code": t["code"],
                      "name": f"{t['name']}综合行政执法队", "kind": "township", "department_code": "comprehensive",
                      "qualifications": quals, "members": int(rng.integers(4 if kind == "street" else 3, 7)),
                      "lng": t["lng"], "lat": t["lat"]})
    ux, uy = URBAN_CENTRE
    for k, dep in enumerate(reference.departments()):
        if dep.code == "comprehensive":
            continue
        squads = 2 if dep.code in ("market", "emergency") else 1
        for s in range(squads):
            angle = 2 * math.pi * (k * 2 + s) / 22
            teams.append({"county_code": county_code, "township_code": None,
                          "name": f"{dep.name}执法{'一二'[s]}中队" if squads > 1 else f"{dep.name}执法大队",
                          "kind": "squad", "department_code": dep.code, "qualifications": [dep.code],
                          "members": int(rng.integers(2, 7)),
                          "lng": ux + 0.012 * math.cos(angle), "lat": uy + 0.009 * math.sin(angle)})
    return teams


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(_pick(rng, _GIVEN, int(rng.integers(1, 3))))
    return str(_pick(rng, _SURNAMES, 1)[0]) + given


# -- visit history ------------------------------------------------------------------------------------------------

def generate_visits(
    ent: pd.DataFrame, teams: pd.DataFrame, *, seed: int, today: date, history_months: int,
) -> pd.DataFrame:
    """On-site visit history (the ``history_months`` before ``today``, up to yesterday) for enterprises
    ``ent``; pure for a seed.

    ``ent`` columns: id, township_code, industry_code, risk, credit, lng, lat, h3_r7, h3_r8, h3_r9.
    ``teams`` columns: id, township_code (None for squads), department_code, qualifications.
    Returns rows ready for the visits COPY (see module docstring for the episode model).
    """
    rng = np.random.default_rng([seed, 2])
    n = len(ent)
    # up to yesterday: a visit "done" later today than now would look wrong on a live panel
    start = _months_before(today, history_months)
    days = (today - start).days
    industries = reference.industries()
    ind_pos = {i.code: k for k, i in enumerate(industries)}
    ind_idx = ent["industry_code"].map(ind_pos).to_numpy()
    risk_idx = ent["risk"].map({g: k for k, g in enumerate(RISK_GRADES)}).to_numpy()
    credit_idx = ent["credit"].map({g: k for k, g in enumerate(CREDIT_GRADES)}).to_numpy()

    max_episodes = max(1, days // (FOLLOW_UP_MAX_DAYS + EPISODE_GAP_DAYS))
    rate = EPISODES_PER_YEAR_BY_RISK[risk_idx] * EPISODE_FACTOR_BY_CREDIT[credit_idx] * days / 365.0
    n_ep = np.minimum(rng.poisson(rate), max_episodes)
    ep_ent = np.repeat(np.arange(n), n_ep)
    first_of_group = np.concatenate([[0], np.cumsum(n_ep)[:-1]])
    ep_k = np.arange(len(ep_ent)) - np.repeat(first_of_group, n_ep)
    width = days / n_ep[ep_ent]
    follow_span = min(FOLLOW_UP_MAX_DAYS, max(1, days // 4))
    # an episode leaves room for its follow-ups before the next one; an enterprise's last episode may start
    # any day up to yesterday (its follow-ups that would fall after yesterday simply have not happened yet)
    is_last = ep_k == n_ep[ep_ent] - 1
    slack = np.where(is_last, np.maximum(width - 1.0, 0.0),
                     np.maximum(width - follow_span - EPISODE_GAP_DAYS, 0.0))
    first_day = np.floor(ep_k * width + rng.random(len(ep_ent)) * slack).astype(np.int64)

    # departments: the industry's supervising departments, the first listed most often
    dep_codes = [d.code for d in reference.departments()]
    dep_pos = {c: k for k, c in enumerate(dep_codes)}
    max_deps = max(len(i.departments) for i in industries)
    ind_deps = np.full((len(industries), max_deps), -1)
    for k, ind in enumerate(industries):
        ind_deps[k, :len(ind.departments)] = [dep_pos[d] for d in ind.departments]
    ndeps = (ind_deps >= 0).sum(axis=1)
    ep_ind = ind_idx[ep_ent]
    order = _ranked_choice(rng, ndeps[ep_ind], max_deps)          # a random ranking of slots per episode
    dep_a = ind_deps[ep_ind, order[:, 0]]
    joint = (rng.random(len(ep_ent)) < JOINT_PROBABILITY) & (ndeps[ep_ind] >= 2)
    dep_b = np.where(joint, ind_deps[ep_ind, order[:, 1]], -1)
    follow_slot = np.where(joint, 2, 1)
    can_follow = ndeps[ep_ind] > follow_slot
    follow = can_follow & (rng.random(len(ep_ent)) < FOLLOW_UP_PROBABILITY / max(can_follow.mean(), 1e-9))
    dep_f = np.where(follow, ind_deps[ep_ind, order[np.arange(len(ep_ent)), np.minimum(follow_slot, max_deps - 1)]],
                     -1)

    # follow-ups that would fall after yesterday have not happened yet
    follow_day = first_day + rng.integers(1, follow_span + 1, len(ep_ent))
    follow &= follow_day < days

    # visits: first visits of every episode, then the follow-ups
    v_ent = np.concatenate([ep_ent, ep_ent[follow]])
    v_day = np.concatenate([first_day, follow_day[follow]])
    v_lead = np.concatenate([dep_a, dep_f[follow]])
    v_second = np.concatenate([dep_b, np.full(int(follow.sum()), -1)])
    v_repeat = np.concatenate([np.zeros(len(ep_ent), bool), np.ones(int(follow.sum()), bool)])
    sort = np.lexsort((v_lead, v_day, v_ent))
    v_ent, v_day, v_lead, v_second, v_repeat = (v_ent[sort], v_day[sort], v_lead[sort], v_second[sort],
                                                v_repeat[sort])
    m = len(v_ent)

    dep_arr = np.array(dep_codes, dtype=object)
    lead = dep_arr[v_lead]
    second = dep_arr[np.maximum(v_second, 0)]
    second[v_second < 0] = None
    pairs = np.array([["{" + a + "}"] + ["{" + a + "," + b + "}" for b in dep_codes] for a in dep_codes],
                     dtype=object)
    departments = pairs[v_lead, v_second + 1]
    items = _items(rng, dep_codes, v_lead, v_second)

    # teams: the township team when qualified (always for joint visits and comprehensive), else a squad
    tw = ent["township_code"].to_numpy(dtype=object)[v_ent]
    team_id = _assign_teams(rng, teams, tw, v_lead, v_second, dep_codes)

    day = np.datetime64(start, "D") + v_day.astype("timedelta64[D]")
    minutes = np.where(rng.random(m) < 0.5, rng.integers(9 * 60, 11 * 60, m), rng.integers(14 * 60, 16 * 60 + 30, m))
    started = day.astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    scanned = rng.random(m) < CODE_SCANNED_PROBABILITY
    scan_time = started + rng.integers(0, 6, m).astype("timedelta64[m]")
    lng = ent["lng"].to_numpy()[v_ent]
    lat = ent["lat"].to_numpy()[v_ent]
    scan_lng = lng + rng.normal(0, 0.00012, m)
    scan_lat = lat + rng.normal(0, 0.0001, m)
    reason_p = np.array([0.55, 0.25, 0.10, 0.07, 0.03])
    reason_idx = (rng.random(m)[:, None] > np.cumsum(reason_p)[:-1]).sum(axis=1)
    reason = np.array(["annual", "random", "special", "complaint", "alert"], dtype=object)[reason_idx]
    rated = scanned & (rng.random(m) < 0.8) & (v_day < days - 3)   # rated within 3 days, never in the future
    rating = rng.choice([5, 4, 3, 2, 1], size=m, p=[0.62, 0.28, 0.07, 0.02, 0.01])
    rated_at = started + rng.integers(60, 3 * 24 * 60, m).astype("timedelta64[m]")
    result = rng.choice(np.array(_RESULTS, dtype=object), size=m, p=_RESULT_P)

    def ts(values: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
        """Local (Asia/Shanghai) minutes as timestamptz text; None where ``keep`` is False."""
        out = np.char.add(np.datetime_as_string(values, unit="m"), ":00+08").astype(object)
        if keep is not None:
            out[~keep] = None
        return out

    county = str(ent.attrs.get("county_code", ""))
    day_text = np.datetime_as_string(day, unit="D")
    serial = np.char.zfill(np.arange(1, m + 1).astype(str), 7)
    code = np.char.add(np.char.add(f"XZ{county}", np.char.replace(day_text, "-", "")), serial)
    scan_geom = point_ewkb_hex(scan_lng, scan_lat)
    scan_geom[~scanned] = None
    if "geom" in ent.columns:   # the enterprise's own point, as read back from the database
        geom = ent["geom"].to_numpy(dtype=object)[v_ent]
    else:
        geom = point_ewkb_hex(lng, lat)
    return pd.DataFrame({
        "county_code": county,
        "township_code": tw,
        "enterprise_id": ent["id"].to_numpy()[v_ent],
        "team_id": team_id,
        "visit_date": day_text.astype(object),
        "started_at": ts(started),
        "lead_department": lead,
        "departments": departments,
        "items": items,
        "reason": reason,
        "planned": np.isin(reason_idx, [0, 1, 2]),
        "from_draw": reason_idx == 1,
        "task_count": np.where(v_second >= 0, 2, 1),
        "code": code.astype(object),
        "code_scanned": scanned,
        "scanned_at": ts(scan_time, scanned),
        "scan_geom": scan_geom,
        "result": result,
        "rating": pd.Series(rating).where(rated, None).astype("Int64"),
        "rated_at": ts(rated_at, rated),
        "geom": geom,
        "h3_r7": ent["h3_r7"].to_numpy()[v_ent],
        "h3_r8": ent["h3_r8"].to_numpy()[v_ent],
        "h3_r9": ent["h3_r9"].to_numpy()[v_ent],
        "_repeat": v_repeat,
    })


def _months_before(day: date, months: int) -> date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = m + 1
    last = (date(y + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(y, month, min(day.day, last))


def _ranked_choice(rng: np.random.Generator, counts: np.ndarray, width: int) -> np.ndarray:
    """Per row, slot indices 0..counts-1 in random order, earlier slots favoured (weights 1/(slot+1));
    padded with the last valid slot."""
    keys = -np.log(rng.random((len(counts), width))) * (np.arange(width) + 1.0)   # exponential race
    keys[np.arange(width)[None, :] >= counts[:, None]] = np.inf
    order = np.argsort(keys, axis=1)
    return np.where(np.arange(width)[None, :] < counts[:, None], order, order[:, :1])


def _items(rng: np.random.Generator, dep_codes: list[str], lead: np.ndarray, second: np.ndarray) -> np.ndarray:
    """An item array literal per visit: one or two items of the lead department, one of the second."""
    by_dep: list[list[str]] = [[i.code for i in reference.inspection_items() if i.department_code == d]
                               for d in dep_codes]
    width = max(len(x) for x in by_dep)
    table = np.array([x + [x[0]] * (width - len(x)) for x in by_dep], dtype=str)
    count = np.array([len(x) for x in by_dep])
    m = len(lead)
    i1 = rng.integers(0, 1 << 30, m) % count[lead]
    i2 = (i1 + 1 + rng.integers(0, 1 << 30, m) % np.maximum(count[lead] - 1, 1)) % count[lead]
    two = rng.random(m) < 0.4
    sec = np.maximum(second, 0)
    other = table[sec, rng.integers(0, 1 << 30, m) % count[sec]]
    out = np.char.add("{", table[lead, i1])
    out = np.where(two, np.char.add(np.char.add(out, ","), table[lead, i2]), out)
    out = np.where(second >= 0, np.char.add(np.char.add(out, ","), other), out)
    return np.char.add(out, "}").astype(object)


def _assign_teams(rng: np.random.Generator, teams: pd.DataFrame, township: np.ndarray, lead: np.ndarray,
                  second: np.ndarray, dep_codes: list[str]) -> np.ndarray:
    """Team id per visit: the township team when qualified for the lead (and second) department — always for
    comprehensive and joint visits, else with probability 0.6 — otherwise a squad of the lead department.
    ``lead``/``second`` are indices into ``dep_codes`` (second -1: none)."""
    m = len(lead)
    town_team = {r.township_code: (int(r.id), set(r.qualifications)) for r in teams.itertuples()
                 if isinstance(r.township_code, str)}
    squads: dict[str, list[int]] = {}
    for r in teams.itertuples():
        if not isinstance(r.township_code, str):   # county squads (None reads back as NaN)
            squads.setdefault(r.department_code, []).append(int(r.id))
    out = np.zeros(m, dtype=np.int64)
    prefer_town = rng.random(m) < 0.6
    squad_pick = rng.integers(0, 1 << 30, m)
    tw_idx, tw_codes = pd.factorize(pd.Series(township, dtype=object), use_na_sentinel=False)
    k = len(dep_codes) + 1
    keys = (tw_idx.astype(np.int64) * k + lead) * k + (second + 1)
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    bounds = np.append(starts, m)
    for g, key in enumerate(uniq.tolist()):
        idx_arr = order[bounds[g]:bounds[g + 1]]
        tw = tw_codes[key // (k * k)]
        ld = dep_codes[(key // k) % k]
        sc = dep_codes[key % k - 1] if key % k else ""
        team = town_team.get(tw) if isinstance(tw, str) else None
        qualified = team is not None and ld in team[1] and (not sc or sc in team[1])
        squad_ids = squads.get(ld, [])
        if team is not None and (qualified and (ld == "comprehensive" or sc) or not squad_ids):
            out[idx_arr] = team[0]
            continue
        squad_choice = np.array(squad_ids)[squad_pick[idx_arr] % len(squad_ids)]
        out[idx_arr] = np.where(prefer_town[idx_arr] & qualified, team[0] if team else 0, squad_choice)
    return out


_EWKB_POINT_4326 = "0101000020E6100000"   # little-endian, Point with SRID flag, SRID 4326


def point_ewkb_hex(lng: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Hex EWKB (SRID 4326) of WGS-84 points as an object array, vectorised: the fixed header followed by
    the little-endian doubles x, y (what PostGIS reads in COPY text)."""
    xy = np.ascontiguousarray(np.column_stack([lng, lat]), dtype="<f8")
    if len(xy) == 0:
        return np.empty(0, dtype=object)
    body = np.frombuffer(xy.tobytes().hex().upper().encode("ascii"), dtype="S32").astype("U32")
    return np.char.add(_EWKB_POINT_4326, body).astype(object)


# -- loading ------------------------------------------------------------------------------------------------------

# From this many visits (and at least as many as the table holds) indexes are rebuilt after the COPY.
VISIT_BULK_MIN_ROWS = BULK_REBUILD_MIN_ROWS

_VISIT_COLUMNS = ("county_code", "township_code", "enterprise_id", "team_id", "visit_date", "started_at",
                  "lead_department", "departments", "items", "reason", "planned", "from_draw", "task_count",
                  "code", "code_scanned", "scanned_at", "scan_geom", "result", "rating", "rated_at", "geom",
                  "h3_r7", "h3_r8", "h3_r9")


def load_demo(
    conn: psycopg.Connection[Any], *, enterprises: int = 20_000, seed: int = 42, history_months: int = 12,
    county_code: str = "330702", if_empty: bool = False, today: date | None = None, progress: bool = False,
    today_plan: bool = True,
) -> DemoSummary:
    """Load the demo county into the database in one transaction (see module docstring), with ``today``'s plan
    approved, routed and coded (``plan_today``) unless ``today_plan`` is False.

    Raises Conflict if the demo is already loaded (or the county already has enterprises), unless
    ``if_empty``, which then returns a summary with ``skipped=True`` and changes nothing.
    """
    if enterprises < 1 or enterprises > 5_000_000:
        raise InvalidInput(f"enterprises: must be 1..5000000, got {enterprises}")
    if not 1 <= history_months <= 36:
        raise InvalidInput(f"history_months: must be 1..36, got {history_months}")
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 2)
        clock = now

    today = today or datetime.now(SHANGHAI).date()
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(7702030)")  # one demo loader at a time
        if demo_loaded(conn):
            if if_empty:
                return DemoSummary(county_code=county_code, skipped=True, seed=seed)
            raise Conflict("the demo county is already loaded (use --if-empty to skip)")
        existing = fetch_one(conn, "demo_enterprise_count", {"county_code": county_code})
        if existing and existing["n"]:
            raise Conflict(f"county {county_code} already has {existing['n']} enterprises; the demo needs an "
                           "empty county")
        conn.execute("SET LOCAL TIME ZONE 'Asia/Shanghai'")
        # the measure pre-aggregate triggers are deferred for this transaction and rebuilt once at the end
        defer_preaggregates(conn)
        reference.load_reference(conn)
        load_county(conn, code=county_code)
        outline = bundled_county(county_code)
        townships = generate_townships(outline.geom, bundled_townships(county_code), seed=seed)
        store_townships(conn, county_code=county_code, townships=townships, generated=True)
        lap("townships")
        ensure_cells(conn, county_code=county_code)
        lap("cells")

        county = outline.geom
        shapely.prepare(county)
        frame = generate_enterprises(
            county, townships, n=enterprises, seed=seed, county_code=county_code,
            township_of=lambda x, y: point_townships(conn, county_code=county_code, lng=x, lat=y))
        lap("generate_enterprises")
        copy_enterprises(conn, county_code=county_code, frame=frame, progress=progress)
        lap("copy_enterprises")

        rng = np.random.default_rng([seed, 3])
        tw_rows = fetch_all(conn, "demo_township_centres", {"county_code": county_code})
        team_rows = _teams(rng, tw_rows, county_code)
        team_ids = _insert_teams(conn, team_rows)
        n_inspectors = _insert_inspectors(conn, rng, team_rows, team_ids, county_code)
        lap("teams")

        ent = _read_enterprises(conn, county_code)
        ent.attrs["county_code"] = county_code
        teams = pd.DataFrame([{**t, "id": i} for t, i in zip(team_rows, team_ids, strict=True)])
        visits = generate_visits(ent, teams, seed=seed, today=today, history_months=history_months)
        lap("generate_visits")
        _copy_visits(conn, visits)
        lap("copy_visits")
        today_visits = plan_today(conn, county_code=county_code, day=today, seed=seed) if today_plan else 0
        lap("today_plan")
        refresh_cell_counts(conn, county_code=county_code)
        lap("cell_counts")
        rebuild_preaggregates(conn, county_code)
        lap("measures")
        repeat_rate = float(visits["_repeat"].mean()) if len(visits) else 0.0
        summary = DemoSummary(county_code=county_code, townships=len(townships), enterprises=len(frame),
                              teams=len(team_ids), inspectors=n_inspectors, visits=len(visits),
                              repeat_rate=round(repeat_rate, 4), today_visits=today_visits, seed=seed,
                              seconds=timings)
        execute(conn, "demo_state_set", {"key": DEMO_STATE_KEY, "value": json.dumps(
            {**asdict(summary), "history_months": history_months, "today": today.isoformat()})})
    return summary


# -- today's plan ---------------------------------------------------------------------------------------------

TODAY_PER_TOWNSHIP = 5        # enterprises per township in today's plan (a day's work for a township team)
TODAY_JOINT_SHARE = 0.3       # of them, also a market task: a joint visit (综合查一次)
DEMO_ACTOR = "demo"


def plan_today(conn: psycopg.Connection[Any], *, county_code: str, day: date, seed: int) -> int:
    """Today's plan as a planner would make it, so the field app and the enterprise page have something to
    show at the first start: tasks of the township comprehensive teams' own department (综合执法; county squads
    are not qualified, so every visit goes to a team with inspector accounts) for a few enterprises per
    township that their quota still allows, some joined by a market task; built, approved and routed through
    ``geo_data.plans`` for ``day`` (a working day for the demo whatever the weekday), each routed visit with
    its code (亮码) and a planned ``visits`` row. Audited as actor ``demo``. Returns the visits coded."""
    rng = np.random.default_rng([seed, 4])
    items = reference.inspection_items()
    comprehensive = [i.code for i in items if i.department_code == "comprehensive"]
    market = [i.code for i in items if i.department_code == "market"]
    picked = fetch_all(conn, "demo_today_candidates", {
        "county_code": county_code, "seed": seed, "per_township": TODAY_PER_TOWNSHIP,
        "year_start": date(day.year, 1, 1)})
    rows: list[tasks.TaskRow] = []
    for n, ent in enumerate(picked):
        reason = "special" if rng.random() < 0.2 else "annual"
        chosen = tuple(sorted(rng.choice(comprehensive, size=int(rng.integers(1, 3)), replace=False).tolist()))
        rows.append(tasks.TaskRow(n, "comprehensive", int(ent["id"]), chosen, reason, day, day))
        if market and rng.random() < TODAY_JOINT_SHARE:
            rows.append(tasks.TaskRow(n, "market", int(ent["id"]), (str(rng.choice(market)),), "annual", day, day))
    if not rows:
        return 0
    scope = Scope(actor=DEMO_ACTOR, role=Role.PLANNER, county_code=county_code)
    tasks.insert_tasks(conn, county_code=county_code, rows=rows)
    plan_id = plans.build_plan(conn, scope, period_start=day, period_end=day)
    plans.approve_plan(conn, scope, plan_id)
    routes = plans.route_plan(conn, scope, plan_id, days=[day],
                              config=DayRouteConfig(time_limit_per_day_s=0.5, seed=seed))
    return len(routes.routed())


def _insert_teams(conn: psycopg.Connection[Any], teams: list[dict[str, Any]]) -> list[int]:
    ids = []
    for t in teams:
        cell = int(h3_cells(t["lat"], t["lng"], 9)[0])
        row = fetch_one(conn, "demo_team_insert", {**t, "base_h3_r9": cell})
        assert row is not None
        ids.append(int(row["id"]))
    return ids


def _insert_inspectors(conn: psycopg.Connection[Any], rng: np.random.Generator, teams: list[dict[str, Any]],
                       team_ids: list[int], county_code: str) -> int:
    rows = []
    serial = 0
    for t, team_id in zip(teams, team_ids, strict=True):
        for _ in range(t["members"]):
            serial += 1
            rows.append({"county_code": county_code, "team_id": team_id, "name": _person_name(rng),
                         "badge_no": f"ZJ{county_code}{serial:05d}", "department_code": t["department_code"],
                         "qualifications": t["qualifications"]})
    with conn.cursor() as cur:
        cur.executemany(sql_text("demo_inspector_insert").encode(), rows)
    return len(rows)


def _read_enterprises(conn: psycopg.Connection[Any], county_code: str) -> pd.DataFrame:
    """The county's enterprises (id, township, industry, grades, lng/lat, cells, hex EWKB point) by COPY."""
    buf = io.BytesIO()
    with conn.cursor() as cur, cur.copy(sql_text("demo_enterprises_copy_out").encode(), (county_code,)) as copy:
        for chunk in copy:
            buf.write(chunk)
    buf.seek(0)
    cols = ["id", "township_code", "industry_code", "risk", "credit", "lng", "lat", "h3_r7", "h3_r8", "h3_r9",
            "geom"]
    return pd.read_csv(buf, header=None, names=cols, dtype={"township_code": object, "industry_code": object,
                                                            "geom": object})


def _copy_visits(conn: psycopg.Connection[Any], visits: pd.DataFrame) -> None:
    """COPY the generated visits. Where the schema keeps a repeat flag (``visits.is_repeat``, migration 401)
    it is written with the generator's own flag, which follows the same rule by construction, so the measures'
    rebuild finds nothing to change."""
    if visits.empty:
        return
    columns = list(_VISIT_COLUMNS)
    data = visits.loc[:, columns]
    flag = fetch_one(conn, "demo_visit_has_column", {"column": "is_repeat"})
    if flag and flag["present"]:
        columns.append("is_repeat")
        data = data.assign(is_repeat=visits["_repeat"].to_numpy())
    stmt = sql.SQL("COPY visits ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns))
    existing = fetch_one(conn, "demo_visit_count")
    # A bulk load into a table no larger than it drops the indexes that back no constraint and builds them
    # again afterwards: one sorted build each is far cheaper than a million single index inserts. The
    # per-enterprise index stays: triggers fired at the end of the COPY look visits up by enterprise.
    bulk = len(data) >= VISIT_BULK_MIN_ROWS and existing is not None and len(data) >= existing["n"]
    indexes = [ix for ix in fetch_all(conn, "secondary_indexes", {"table": "visits"})
               if "(enterprise_id" not in ix["definition"]] if bulk else []
    conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for ix in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(ix["name"])))
    with conn.cursor() as cur, cur.copy(stmt) as copy:
        for start in range(0, len(data), 100_000):
            buf = io.StringIO()
            data.iloc[start:start + 100_000].to_csv(buf, header=False, index=False)
            copy.write(buf.getvalue())
    for ix in indexes:
        conn.execute(ix["definition"].encode())
    if indexes:
        conn.execute("ANALYZE visits")


# -- users ------------------------------------------------------------------------------------------------------

def demo_users(county_code: str = "330702") -> list[dict[str, Any]]:
    """The demo's users: admin, county operator, planner, wall display and one dispatcher per township."""
    users: list[dict[str, Any]] = [
        {"username": "admin", "role": Role.ADMIN, "display_name": "系统管理员", "township_code": None},
        {"username": "county", "role": Role.COUNTY_OPERATOR, "display_name": "县指挥中心值班员",
         "township_code": None},
        {"username": "planner", "role": Role.PLANNER, "display_name": "计划编排员", "township_code": None},
        {"username": "wall", "role": Role.VIEWER, "display_name": "大屏", "township_code": None},
    ]
    names_en = township_names_en()
    for code, name in bundled_townships(county_code):
        login = names_en.get(code, code).split()[0].lower()
        users.append({"username": login, "role": Role.TOWNSHIP_DISPATCHER, "display_name": f"{name}调度员",
                      "township_code": code})
    return users


_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"   # no look-alikes, no symbols


def create_demo_users(conn: psycopg.Connection[Any], *, county_code: str = "330702",
                      password: str | None = None, dispatchers: Collection[str] | None = None) -> dict[str, str]:
    """Create the demo users that do not exist yet (with each township dispatcher an inspector `<name>_field` of
    the township's first team, for the field app); returns {username: password} of those created.

    Each gets ``password`` if given (e.g. GRIDCOMMAND_DEMO_PASSWORD) or a random one; only hashes are stored.
    ``dispatchers`` limits the township dispatchers to those township codes (default: every township).
    """
    created: dict[str, str] = {}
    existing = {r["username"] for r in fetch_all(conn, "demo_usernames")}
    for u in demo_users(county_code):
        if u["username"] in existing:
            continue
        if dispatchers is not None and u["township_code"] and u["township_code"] not in dispatchers:
            continue
        pw = password or "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))
        create_user(conn, username=u["username"], password=pw, role=u["role"], county_code=county_code,
                    township_code=u["township_code"], display_name=u["display_name"], created_by="cli")
        created[u["username"]] = pw
        if u["role"] == Role.TOWNSHIP_DISPATCHER:  # and an inspector of the township's team for the field app
            team = conn.execute("SELECT id, name FROM teams WHERE township_code = %s AND active ORDER BY id LIMIT 1",
                                (u["township_code"],)).fetchone()
            name = f"{u['username']}_field"
            if team is not None and name not in existing:
                create_user(conn, username=name, password=pw, role=Role.INSPECTOR, county_code=county_code,
                            team_id=int(team["id"]), display_name=f"{team['name']}队员", created_by="cli")
                created[name] = pw
    return created
