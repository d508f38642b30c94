"""Importers: enterprises and townships from CSV, Excel, GeoJSON, GeoPackage or Shapefile.

Every row is checked with vectorised pandas/numpy operations (a Python loop runs only to word the messages of
bad rows). Rows are numbered as data rows: row 1 is the first row under the header (line 2 of a spreadsheet,
the first feature of a geometry file). Default is all or nothing: one bad row and nothing is loaded, every
problem raised as ``InvalidInput`` with ``row N: field: reason`` entries; with ``skip_bad`` the good rows are
loaded and the bad ones written to a rejects CSV (the original columns plus ``reason``).

Accepted values (case-insensitive, surrounding blanks ignored):

* risk (风险等级): high / 高 / 高风险, elevated / 较高 / 较高风险, general / 一般 / 一般风险 / 中, low / 低 / 低风险.
  A column headed as the 企业信用风险分类 (信用风险分类, credit_risk_class …, or ``--map COLUMN=risk_class``) also
  takes its letters A 低, B 一般, C 较高, D 高 (also "A类"); under any other risk header letters A-D are refused,
  since they are credit grades in this product and would be read both ways.
* credit (信用等级): A-D (also "A级"), 优=A, 良=B, 中=C, 差=D.
* industry (行业): a code, Chinese name or English name of the ``industries`` table, or a GB/T 4754-2017 code or
  official name that ``reference/gbt4754_map.csv`` maps onto one (``geo_data.vocabularies``).

A value none of these knows is reported once per field and value (``UnknownValue``: its rows and the closest known
value) besides the row problems; ``value_maps`` (``--map-values FIELD:SOURCE=TARGET``) maps such values.

Coordinates: for CSV/Excel the lng/lat columns; for geometry files the point geometry, reprojected to
WGS-84 if the file carries another CRS (e.g. a CGCS2000 Gauss-Krüger zone). ``datum`` then names the Chinese
datum the (geographic) coordinates are in: wgs84, cgcs2000 (taken as WGS-84), gcj02 (AMap/Tencent) or bd09
(Baidu); they are converted to WGS-84 with ``geo_data.coords.to_wgs84``.
"""

from __future__ import annotations

import csv
import re
import shlex
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import shapely

from geo_data import audit
from geo_data.cells import ensure_cells
from geo_data.coords import Datum, to_wgs84
from geo_data.db import execute, fetch_all, fetch_one
from geo_data.enterprises import copy_enterprises, existing_usccs
from geo_data.errors import InvalidInput, NotFound, RowProblem
from geo_data.uscc import ALPHABET, SEPARATORS, uscc_problem
from geo_data.vocabularies import (
    RISK_CLASS_HEADERS,
    RISK_CLASS_LETTERS,
    UnknownValue,
    gbt4754_match,
    gbt4754_table,
    normal_key,
    resolve_value_map,
    suggest,
)

CSV_SUFFIXES = {".csv", ".txt"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
GEO_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip"}
PROGRESS_MIN_ROWS = 10_000

# canonical field -> accepted column names (compared lower-cased, blanks removed)
ENTERPRISE_FIELDS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "uscc", "credit_code", "unified_social_credit_code"),
    "name": ("企业名称", "名称", "单位名称", "主体名称", "name", "enterprise_name", "company"),
    "address": ("地址", "企业地址", "住所", "经营地址", "address", "addr"),
    "industry": ("行业", "行业类别", "所属行业", "行业代码", "industry", "industry_code"),
    "lng": ("经度", "lng", "lon", "long", "longitude", "x"),
    "lat": ("纬度", "lat", "latitude", "y"),
    "risk": ("风险等级", "风险", "风险分级", "risk", "risk_grade"),
    "risk_class": RISK_CLASS_HEADERS,  # 企业信用风险分类 A-D: read onto risk (see the module docstring)
    "credit": ("信用等级", "信用", "信用分级", "credit", "credit_grade"),
    "township": ("乡镇", "乡镇街道", "所属乡镇", "乡镇代码", "township", "township_code"),
}
ENTERPRISE_REQUIRED = ("uscc", "name", "industry", "risk", "credit")  # risk: or risk_class
VALUE_MAP_FIELDS = ("industry", "risk", "credit", "township")

RISK_ACCEPTED = "use 高/较高/一般/低 or high/elevated/general/low"
CREDIT_ACCEPTED = "use A/B/C/D or 优/良/中/差"
RISK_VALUES: dict[str, str] = {
    "high": "high", "高": "high", "高风险": "high",
    "elevated": "elevated", "较高": "elevated", "较高风险": "elevated",
    "general": "general", "一般": "general", "一般风险": "general", "中": "general", "中风险": "general",
    "low": "low", "低": "low", "低风险": "low",
}
CREDIT_VALUES: dict[str, str] = {
    "a": "A", "b": "B", "c": "C", "d": "D", "a级": "A", "b级": "B", "c级": "C", "d级": "D",
    "优": "A", "良": "B", "中": "C", "差": "D",
}


# --------------------------------------------------------------------------------------------- reading

@dataclass
class SourceTable:
    """A file read as text: original columns as strings ('' where empty) and, for geometry files, points."""

    path: Path
    frame: pd.DataFrame
    geometry: Any = None  # numpy array of shapely geometries in WGS-84 (after reprojection), or None
    crs_note: str = ""

    def __len__(self) -> int:
        return len(self.frame)


def _text_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Every column as str, '' for missing, surrounding blanks stripped, column names stripped."""
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for col in df.columns:
        s = df[col]
        if s.dtype != object or s.isna().any():
            s = s.astype(object).where(s.notna(), "")
        out[str(col).strip()] = s.astype(str).str.strip().to_numpy()
    return out


def read_csv_text(path: Path) -> pd.DataFrame:
    """A CSV as text: UTF-8 (with or without BOM) first, then GB18030 (a superset of GBK)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding, skipinitialspace=True)
        except UnicodeDecodeError:
            continue
        except pd.errors.ParserError as exc:
            raise InvalidInput(f"{path.name}: not a readable CSV file: {exc}") from exc
        df.columns = [str(c).strip() for c in df.columns]
        return df
    raise InvalidInput(f"{path.name}: text is neither UTF-8 nor GBK/GB18030")


def read_source(path: Path | str) -> SourceTable:
    """Read CSV, Excel, GeoJSON, GeoPackage or Shapefile; geometry files keep their geometries in WGS-84."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"no such file: {path}")
    suffix = path.suffix.lower()
    if suffix in CSV_SUFFIXES:
        return SourceTable(path, read_csv_text(path))
    if suffix in EXCEL_SUFFIXES:
        try:
            df = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise InvalidInput(f"{path.name}: not a readable Excel workbook: {exc}") from exc
        return SourceTable(path, _text_frame(df))
    if suffix in GEO_SUFFIXES:
        import geopandas as gpd

        try:
            gdf = gpd.read_file(path, engine="pyogrio")
        except Exception as exc:  # pyogrio raises DataSourceError and friends
            raise InvalidInput(f"{path.name}: not a readable geometry file: {exc}") from exc
        note = ""
        if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, 4490):
            note = f"reprojected from {gdf.crs.to_string()} to WGS-84"
            gdf = gdf.to_crs(4326)
        geoms = np.asarray(gdf.geometry.values, dtype=object) if gdf.geometry.name in gdf else None
        attrs = pd.DataFrame(gdf.drop(columns=[gdf.geometry.name]))
        return SourceTable(path, _text_frame(attrs), geometry=geoms, crs_note=note)
    raise InvalidInput(f"{path.name}: unsupported file type {suffix!r}; use CSV, XLSX, GeoJSON, GPKG or SHP")


def _norm_name(name: str) -> str:
    return re.sub(r"[\s_\-()（）]", "", str(name)).lower()


def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["源列=uscc", ...]`` -> ``{"源列": "uscc"}``; InvalidInput for a pair without '='."""
    out: dict[str, str] = {}
    for pair in pairs:
        src, sep, dst = pair.partition("=")
        if not sep or not src.strip() or not dst.strip():
            raise InvalidInput(f"--map expects SOURCE_COLUMN=FIELD, got {pair!r}")
        out[src.strip()] = dst.strip()
    return out


def resolve_columns(columns: Sequence[str], fields: Mapping[str, Sequence[str]], *, required: Sequence[str],
                    mapping: Mapping[str, str] | None = None) -> dict[str, str]:
    """Which file column holds each canonical field: ``--map`` first, then the known names.

    InvalidInput names every required field that no column provides, with the columns the file has.
    """
    found: dict[str, str] = {}
    for src, dst in (mapping or {}).items():
        if dst not in fields:
            raise InvalidInput(f"--map {src}={dst}: unknown field {dst!r}; fields are {', '.join(fields)}")
        if src not in columns:
            raise InvalidInput(f"--map {src}={dst}: the file has no column {src!r}")
        found[dst] = src
    by_norm = {_norm_name(c): c for c in columns}
    for fld, names in fields.items():
        if fld in found:
            continue
        for name in names:
            column = by_norm.get(_norm_name(name))
            if column is not None and column not in found.values():  # a --map'ed column serves its field only
                found[fld] = column
                break
    lacking = [f for f in required if f not in found]
    if lacking:
        want = "; ".join(f"{f} ({'/'.join(fields[f][:2])})" for f in lacking)
        raise InvalidInput(f"missing columns: {want}. The file has: {', '.join(map(str, columns))}."
                           " Use --map COLUMN=FIELD to name them.")
    return found


# ---------------------------------------------------------------------------------------------- checks

class Problems:
    """Collects bad rows vectorised: a mask and a reason (fixed text or per-row texts) per check."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._entries: list[tuple[np.ndarray, str, Callable[[int], str]]] = []
        self.bad = np.zeros(n, dtype=bool)
        self.unknown: list[UnknownValue] = []

    def add(self, mask: np.ndarray | pd.Series, fld: str, reason: str | Callable[[int], str]) -> None:
        """Mark rows where ``mask`` holds; ``reason`` is a text or a function of the row index."""
        m = np.asarray(mask, dtype=bool) & ~self.reported(fld)
        if not m.any():
            return
        idx = np.flatnonzero(m)
        self._entries.append((idx, fld, reason if callable(reason) else _constant(reason)))
        self.bad[idx] = True

    def add_unknown(self, mask: np.ndarray, fld: str, raw: pd.Series,
                    describe: Callable[[str], tuple[str | None, str]], reason: Callable[[str, str | None, str], str],
                    ) -> None:
        """Rows where ``mask`` holds have a value of ``fld`` the product does not know.

        Each row gets ``reason(value, suggestion, hint)``; each distinct value becomes one ``UnknownValue`` with
        all its rows, ``describe(value)`` giving (suggestion, hint). Only the bad rows are grouped (cheap).
        """
        m = np.asarray(mask, dtype=bool) & ~self.reported(fld)
        if not m.any():
            return
        idx = np.flatnonzero(m)
        values = raw.to_numpy(dtype=object)[idx]
        texts: dict[str, str] = {}
        for value, rows in pd.Series(idx + 1).groupby(values, sort=False):
            suggestion, hint = describe(str(value))
            self.unknown.append(UnknownValue(fld, str(value), tuple(int(r) for r in rows), suggestion, hint))
            texts[str(value)] = reason(str(value), suggestion, hint)
        self.add(m, fld, lambda i: texts[str(raw.iat[i])])

    def reported(self, fld: str) -> np.ndarray:
        """Rows already reported for this field (one reason per row and field is enough)."""
        out = np.zeros(self.n, dtype=bool)
        for idx, f, _ in self._entries:
            if f == fld:
                out[idx] = True
        return out

    def rows(self, row_numbers: np.ndarray | None = None) -> list[RowProblem]:
        """Every problem as RowProblem (1-based data rows), by row then in the order the checks ran."""
        nums = np.arange(1, self.n + 1) if row_numbers is None else row_numbers
        out: list[tuple[int, int, RowProblem]] = []
        for order, (idx, fld, reason) in enumerate(self._entries):
            for i in idx.tolist():
                out.append((int(nums[i]), order, RowProblem(int(nums[i]), fld, reason(i))))
        out.sort(key=lambda t: (t[0], t[1]))
        return [p for _, _, p in out]


def _constant(text: str) -> Callable[[int], str]:
    def reason(_i: int) -> str:
        return text

    return reason


def _not_a_number(raw: pd.Series) -> Callable[[int], str]:
    def reason(i: int) -> str:
        return f"not a number: {raw.iat[i]!r}"

    return reason


_CHAR_VALUE = np.full(128, -1, dtype=np.int32)
for _i, _ch in enumerate(ALPHABET):
    _CHAR_VALUE[ord(_ch)] = _i
_BASE36 = np.full(128, -1, dtype=np.int32)
for _ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _BASE36[ord(_ch)] = int(_ch, 36)
_AUTHORITY = np.zeros(128, dtype=bool)
_AUTHORITY[[ord(c) for c in "123456789ANY"]] = True
# int32 weights: the weighted sums stay below 17 * 30 * 30, and int32 matrix products are ~3x cheaper than
# int64 multiply-and-sum over (n, 17) temporaries (1M codes: 0.2 s instead of 0.4-0.7 s)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int32)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int32)
_ORG_CHECK = np.array([ord(c) for c in "0123456789X0"], dtype=np.int64)  # index 11 - total % 11 (1..11)


def _uscc_chars(values: np.ndarray) -> np.ndarray:
    """(n, 18) uint8 character codes of 18-character strings; non-ASCII characters become 0 (never valid)."""
    blob = "".join(values.tolist())
    raw = blob.encode("ascii", errors="replace")  # one byte per character iff every character is ASCII
    if len(raw) == 18 * len(values) and b"?" not in raw:
        return np.frombuffer(raw, dtype=np.uint8).reshape(-1, 18)
    chars = np.array(values.tolist(), dtype="<U18").view(np.uint32).reshape(-1, 18)
    return np.where(chars < 128, chars, 0).astype(np.uint8)


def uscc_valid_mask(codes: pd.Series) -> np.ndarray:
    """Whether each already-normalised code is a valid 统一社会信用代码 (GB 32100-2015), vectorised.

    Agrees with ``geo_data.uscc.is_valid_uscc`` (tests check it); use ``uscc_problem`` to word a bad one.
    """
    values = codes.to_numpy(dtype=object)
    try:
        lens = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    except TypeError:  # a non-text value (NaN) somewhere: take the slow path
        lens = np.fromiter((len(v) if isinstance(v, str) else -1 for v in values), dtype=np.int64,
                           count=len(values))
    ok = lens == 18
    if not ok.any():
        return ok
    c = _uscc_chars(values[ok])
    vals = _CHAR_VALUE[c]
    good = (vals >= 0).all(axis=1)
    good &= _AUTHORITY[c[:, 0]]
    good &= (c[:, 1] >= ord("1")) & (c[:, 1] <= ord("9"))
    good &= ((c[:, 2:8] >= ord("0")) & (c[:, 2:8] <= ord("9"))).all(axis=1)
    body = _BASE36[c[:, 8:16]]
    org_total = np.maximum(body, 0) @ _ORG_WEIGHTS
    good &= c[:, 16] == _ORG_CHECK[11 - org_total % 11]
    total = np.maximum(vals[:, :17], 0) @ _USCC_WEIGHTS
    good &= vals[:, 17] == (31 - total % 31) % 31
    ok[np.flatnonzero(ok)] = good
    return ok


def _lookup(values: pd.Series, table: Mapping[str, str], value_map: Mapping[str, str] | None = None,
            fallback: Callable[[str], str | None] | None = None) -> pd.Series:
    """Map values through ``table`` by their ``normal_key`` (NFKC, lower case, blank-free); NaN where unknown.

    ``value_map`` (normalised source -> product value, from ``--map-values``) comes first; ``fallback`` is asked
    about keys neither knows (e.g. GB/T 4754 codes). Grades, industries and townships repeat a few values over
    many rows: each distinct value is normalised and looked up once (``factorize``), then spread to the rows.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    keys = (pd.Series(uniques, dtype=object).astype(str).str.normalize("NFKC").str.lower()
            .str.replace(r"\s+", "", regex=True))
    found = keys.map(table).astype(object)
    if value_map:
        chosen = keys.map(value_map)
        found = chosen.where(chosen.notna(), found)
    if fallback is not None and found.isna().any():
        missing = found.isna().to_numpy()
        found[missing] = [fallback(k) for k in keys[missing]]
    mapped = found.to_numpy(dtype=object)
    out = np.full(len(codes), np.nan, dtype=object)
    has = codes >= 0
    out[has] = mapped[codes[has]]
    return pd.Series(out, index=values.index, dtype=object)


def normalise_usccs(raw: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """(codes normalised as ``geo_data.uscc.normalise_uscc`` does, validity mask), vectorised.

    Normalising: NFKC (full-width digits and letters become ASCII), blanks and hyphens/dashes removed, upper
    case. A valid code is already in that form, so only codes invalid as given are normalised and checked
    again: the common case costs one pass.
    """
    valid = uscc_valid_mask(raw)
    codes = raw.to_numpy(dtype=object).copy()
    redo = np.flatnonzero(~valid)
    if redo.size:
        fixed = (pd.Series(codes[redo], dtype=object).astype(str).str.normalize("NFKC")
                 .str.replace(SEPARATORS, "", regex=True).str.upper())
        codes[redo] = fixed.to_numpy(dtype=object)
        valid[redo] = uscc_valid_mask(fixed)
    return pd.Series(codes, index=raw.index, dtype=object), valid


def _reference_table(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for r in rows:
        for k in ("code", "name", "name_en"):
            if r.get(k):
                table[normal_key(r[k])] = r["code"]
    return table


def _numbers(values: pd.Series) -> np.ndarray:
    """Floats of a text column, NaN where not a number; a clean column converts in one C-level pass."""
    try:
        return np.array(values.to_numpy(dtype=object), dtype=np.float64)
    except (ValueError, TypeError):
        return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)


@dataclass
class CheckedRows:
    """Result of checking: the clean rows (canonical columns) of the good rows and every problem."""

    clean: pd.DataFrame
    good: np.ndarray
    problems: list[RowProblem]
    source: SourceTable
    notes: list[str] = field(default_factory=list)
    unknown: list[UnknownValue] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    kind: str
    rows_read: int
    rows_loaded: int
    problems: list[RowProblem]
    rejects_path: Path | None
    notes: list[str]
    unknown: list[UnknownValue] = field(default_factory=list)  # each unknown value once (rejected rows)


class ImportRefused(InvalidInput):
    """A file with bad rows, refused whole: ``problems`` has every row, ``unknown`` each unknown value once."""

    def __init__(self, message: str, problems: list[RowProblem], unknown: list[UnknownValue]) -> None:
        super().__init__(message, problems)
        self.unknown = unknown


def unsummarised(problems: Sequence[RowProblem], unknown: Sequence[UnknownValue]) -> list[RowProblem]:
    """The row problems an ``UnknownValue`` summary does not already say (one problem per row and field)."""
    covered = {(r, u.field) for u in unknown for r in u.rows}
    return [p for p in problems if (p.row, p.field) not in covered]


def _county(conn: psycopg.Connection[Any], county_code: str) -> tuple[str, Any]:
    row = fetch_one(conn, "import_county", {"county_code": county_code})
    if row is None:
        raise NotFound(f"county {county_code} is not loaded (run the demo or import it first)")
    geom = shapely.from_wkb(bytes(row["wkb"]))
    shapely.prepare(geom)
    return str(row["name"]), geom


def point_coordinates(source: SourceTable, cols: Mapping[str, str], problems: Problems,
                      datum: Datum | str) -> tuple[np.ndarray, np.ndarray, bool]:
    """WGS-84 lng/lat of every row (NaN where bad), adding coordinate problems; and whether the lng/lat
    columns were used (a geometry file's point geometry wins over such columns)."""
    n = len(source)
    frame = source.frame
    has_geometry = source.geometry is not None and not bool(np.all(shapely.is_missing(source.geometry)))
    use_columns = "lng" in cols and "lat" in cols and not has_geometry
    if has_geometry:
        geoms = source.geometry
        missing = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)
        types = shapely.get_type_id(geoms)
        not_point = ~missing & (types != 0)
        problems.add(missing, "geometry", "missing")
        problems.add(not_point, "geometry", lambda i: f"expected a point, got {geoms[i].geom_type}")
        ok = ~missing & ~not_point
        lng = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        lng[ok] = shapely.get_x(geoms[ok])
        lat[ok] = shapely.get_y(geoms[ok])
        lng_field, lat_field = "geometry", "geometry"
    elif use_columns:
        raw_lng, raw_lat = frame[cols["lng"]], frame[cols["lat"]]
        lng, lat = _numbers(raw_lng), _numbers(raw_lat)
        for fld, raw, num in (("lng", raw_lng, lng), ("lat", raw_lat, lat)):
            empty = (raw == "").to_numpy()
            problems.add(empty, fld, "missing")
            problems.add(~empty & ~np.isfinite(num), fld, _not_a_number(raw))
        lng_field, lat_field = "lng", "lat"
    else:
        raise InvalidInput("missing columns: lng (经度) and lat (纬度), and the file has no point geometry."
                           " Use --map COLUMN=lng --map COLUMN=lat to name them.")
    finite = np.isfinite(lng) & np.isfinite(lat)
    problems.add(finite & ((lng < -180) | (lng > 180)), lng_field, "longitude outside -180..180")
    problems.add(finite & ((lat < -90) | (lat > 90)), lat_field, "latitude outside -90..90")
    usable = finite & (np.abs(lng) <= 180) & (np.abs(lat) <= 90)
    out_lng = np.full(n, np.nan)
    out_lat = np.full(n, np.nan)
    if usable.any():
        out_lng[usable], out_lat[usable] = to_wgs84(lng[usable], lat[usable], datum)
    return out_lng, out_lat, use_columns


def _enterprise_columns(columns: list[str], mapping: Mapping[str, str] | None) -> tuple[dict[str, str], list[str]]:
    """The columns of the canonical fields, with ``risk`` taken from a risk-class column when there is no other;
    and notes (a risk-class column left unused)."""
    cols = resolve_columns(columns, ENTERPRISE_FIELDS, mapping=mapping,
                           required=[f for f in ENTERPRISE_REQUIRED if f != "risk"])
    if "risk" not in cols and "risk_class" not in cols:  # word the usual "missing columns" refusal
        resolve_columns(columns, ENTERPRISE_FIELDS, required=ENTERPRISE_REQUIRED, mapping=mapping)
    notes = []
    if "risk" in cols and "risk_class" in cols:
        notes.append(f"risk grades taken from column {cols['risk']!r}; column {cols['risk_class']!r}"
                     " (企业信用风险分类) not used")
    return cols, notes


def _industry_resolver(known: set[str]) -> Callable[[str], str | None]:
    """A GB/T 4754 code or name -> the product industry it maps onto (when the product has that industry)."""
    def resolve(key: str) -> str | None:
        match = gbt4754_match(key)
        return match.industry if match is not None and match.industry in known else None

    return resolve


def _industry_description(names: Mapping[str, str]) -> Callable[[str], tuple[str | None, str]]:
    """(suggestion, hint) for an unknown industry: what GB/T 4754 says about it, else the closest name."""
    def describe(value: str) -> tuple[str | None, str]:
        match = gbt4754_match(value)
        if match is not None:
            what = f"GB/T 4754 {match.cls.level} {match.cls.code} {match.cls.name}"
            if match.problem:
                return None, match.problem
            if match.industry:  # mapped, but this deployment has no such industry
                return None, f"{what} maps onto {match.industry}, which the industries list lacks"
            return suggest(match.cls.name, names), f"{what} has no product industry"
        return suggest(value, names), "neither in the industries list nor a GB/T 4754-2017 code or name"

    return describe


def check_enterprises(conn: psycopg.Connection[Any], *, county_code: str, source: SourceTable,
                      datum: Datum | str = Datum.WGS84, mapping: Mapping[str, str] | None = None,
                      value_maps: Mapping[str, Mapping[str, str]] | None = None) -> CheckedRows:
    """Check every row of an enterprise file against the county; vectorised.

    ``value_maps``: field -> {normalised source value: target value} (``--map-values``, see
    ``geo_data.vocabularies.parse_value_maps``); a target the product does not know is refused.
    """
    datum = Datum(datum) if isinstance(datum, str) else datum
    county_name, county_geom = _county(conn, county_code)
    frame = source.frame
    n = len(frame)
    cols, notes = _enterprise_columns(list(frame.columns), mapping)
    value_maps = value_maps or {}
    problems = Problems(n)

    uscc, valid = normalise_usccs(frame[cols["uscc"]])
    empty = (uscc == "").to_numpy()
    problems.add(empty, "uscc", "missing")
    problems.add(~empty & ~valid, "uscc", lambda i: str(uscc_problem(uscc.iat[i])))
    dup = uscc.duplicated(keep="first").to_numpy() & ~empty
    if dup.any():
        first_row = pd.Series(np.arange(1, n + 1)).groupby(uscc.to_numpy()).transform("min").to_numpy()
        problems.add(dup, "uscc", lambda i: f"duplicate of row {first_row[i]} in this file")
    known = existing_usccs(conn, county_code=county_code)
    if known:
        problems.add(uscc.isin(known).to_numpy() & ~empty, "uscc", f"already registered in county {county_code}")

    name = frame[cols["name"]]
    problems.add((name == "").to_numpy(), "name", "missing")
    problems.add((name.str.len() > 200).to_numpy(), "name", "longer than 200 characters")

    industry_rows = fetch_all(conn, "import_industries")
    industries = _reference_table(industry_rows)
    industry_names = {c.name: c.industry for c in gbt4754_table().by_code.values()
                      if c.industry in industries.values()}  # suggestions from official names as well
    industry_names.update({r[k]: r["code"] for r in industry_rows for k in ("name", "name_en") if r.get(k)})
    industry_raw = frame[cols["industry"]]
    industry_map = resolve_value_map("industry", value_maps.get("industry", {}), industries,
                                     "a code or name of the industries list")
    industry = _lookup(industry_raw, industries, industry_map, _industry_resolver(set(industries.values())))
    problems.add((industry_raw == "").to_numpy(), "industry", "missing")
    problems.add_unknown(
        (industry_raw != "").to_numpy() & industry.isna().to_numpy(), "industry", industry_raw,
        _industry_description(industry_names),
        lambda v, s, h: f"unknown industry {v!r} ({h}){f'; suggested: {s}' if s else ''}")

    risk_col, risk_class = (cols["risk"], False) if "risk" in cols else (cols["risk_class"], True)
    risk_raw = frame[risk_col]
    risk_table = {**RISK_VALUES, **RISK_CLASS_LETTERS} if risk_class else RISK_VALUES
    risk_map = resolve_value_map("risk", value_maps.get("risk", {}), RISK_VALUES, RISK_ACCEPTED)
    risk = _lookup(risk_raw, risk_table, risk_map)
    problems.add((risk_raw == "").to_numpy(), "risk", "missing")

    def describe_risk(value: str) -> tuple[str | None, str]:
        if normal_key(value) in RISK_CLASS_LETTERS:
            return None, (f"A-D under {risk_col!r} would be read as credit grades; if the column holds the"
                          f" 企业信用风险分类 (A 低, B 一般, C 较高, D 高), name it 信用风险分类 or use"
                          f" --map {shlex.quote(risk_col)}=risk_class")
        return suggest(value, RISK_VALUES), RISK_ACCEPTED

    problems.add_unknown((risk_raw != "").to_numpy() & risk.isna().to_numpy(), "risk", risk_raw, describe_risk,
                         lambda v, s, h: f"unknown risk grade {v!r} ({h}){f'; suggested: {s}' if s else ''}")
    credit_raw = frame[cols["credit"]]
    credit_map = resolve_value_map("credit", value_maps.get("credit", {}), CREDIT_VALUES, CREDIT_ACCEPTED)
    credit = _lookup(credit_raw, CREDIT_VALUES, credit_map)
    problems.add((credit_raw == "").to_numpy(), "credit", "missing")
    problems.add_unknown((credit_raw != "").to_numpy() & credit.isna().to_numpy(), "credit", credit_raw,
                         lambda v: (suggest(v, CREDIT_VALUES), CREDIT_ACCEPTED),
                         lambda v, s, h: f"unknown credit grade {v!r} ({h}){f'; suggested: {s}' if s else ''}")

    township = pd.Series([None] * n, dtype=object)
    if "township" in cols:
        rows = fetch_all(conn, "import_townships_of_county", {"county_code": county_code})
        table = {normal_key(r["name"]): r["code"] for r in rows}
        table.update({r["code"]: r["code"] for r in rows})
        names = {r["name"]: r["code"] for r in rows}
        t_raw = frame[cols["township"]]
        township_map = resolve_value_map("township", value_maps.get("township", {}), table,
                                         f"a township name or code of county {county_code}")
        township = _lookup(t_raw, table, township_map)
        problems.add_unknown((t_raw != "").to_numpy() & township.isna().to_numpy(), "township", t_raw,
                             lambda v: (suggest(v, names), f"not a township of county {county_code}"),
                             lambda v, s, h: f"no township {v!r} in county {county_code}"
                                             f"{f'; suggested: {s}' if s else ''}")
        township = township.astype(object).where(township.notna(), None)

    lng, lat, use_columns = point_coordinates(source, cols, problems, datum)
    have = np.isfinite(lng) & np.isfinite(lat)
    inside = np.zeros(n, dtype=bool)
    if have.any():
        inside[have] = shapely.intersects_xy(county_geom, lng[have], lat[have])
    where = "lng/lat" if use_columns else "geometry"
    coords_reported = problems.reported("lng") | problems.reported("lat") | problems.reported("geometry")
    problems.add(~have & ~coords_reported, where, "no usable coordinates")
    datum_note = "" if datum in (Datum.WGS84, Datum.CGCS2000) else f" (read as {datum.value})"
    problems.add(have & ~inside, where,
                 lambda i: f"({lng[i]:.6f}, {lat[i]:.6f}) lies outside county {county_code} {county_name}{datum_note}")

    clean = pd.DataFrame({
        "uscc": uscc.to_numpy(dtype=object),
        "name": name.to_numpy(dtype=object),
        "address": frame[cols["address"]].to_numpy(dtype=object) if "address" in cols else "",
        "industry_code": industry.to_numpy(dtype=object),
        "risk": risk.to_numpy(dtype=object),
        "credit": credit.to_numpy(dtype=object),
        "lng": lng, "lat": lat,
        "township_code": township.to_numpy(dtype=object),
    })
    notes = ([source.crs_note] if source.crs_note else []) + notes
    return CheckedRows(clean=clean, good=~problems.bad, problems=problems.rows(), source=source, notes=notes,
                       unknown=problems.unknown)


# ---------------------------------------------------------------------------------------------- rejects

def default_rejects_path(path: Path) -> Path:
    """``<name>.rejects.csv`` beside the input file."""
    return path.with_name(path.stem + ".rejects.csv")


def write_rejects(path: Path, source: SourceTable, problems: Sequence[RowProblem]) -> int:
    """The bad rows with their original columns plus ``row`` and ``reason`` (UTF-8 with BOM, for Excel)."""
    reasons: dict[int, list[str]] = {}
    for p in problems:
        reasons.setdefault(p.row, []).append(f"{p.field}: {p.reason}")
    rows = sorted(reasons)
    out = source.frame.iloc[[r - 1 for r in rows]].copy()
    if source.geometry is not None:
        out["geometry_wkt"] = [g.wkt if g is not None else "" for g in source.geometry[[r - 1 for r in rows]]]
    out.insert(0, "row", rows)
    out["reason"] = ["; ".join(reasons[r]) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    out.to_csv(path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_MINIMAL)
    return len(rows)


def _finish_problems(checked: CheckedRows, *, skip_bad: bool, rejects_path: Path | None, what: str) -> Path | None:
    """All-or-nothing: raise with every problem, or (skip_bad) write the rejects and carry on."""
    if not checked.problems:
        return None
    n_bad = int((~checked.good).sum())
    if not skip_bad:
        raise ImportRefused(f"{n_bad} of {len(checked.good)} {what} rows are bad; nothing was loaded"
                            " (fix them, or use --skip-bad to load the good rows)", checked.problems, checked.unknown)
    target = rejects_path or default_rejects_path(checked.source.path)
    write_rejects(target, checked.source, checked.problems)
    return target


def import_enterprises(conn: psycopg.Connection[Any], *, path: Path | str, county_code: str,
                       datum: Datum | str = Datum.WGS84, skip_bad: bool = False, rejects_path: Path | None = None,
                       mapping: Mapping[str, str] | None = None, progress: bool | None = None,
                       actor: str = "cli", timings: dict[str, float] | None = None,
                       value_maps: Mapping[str, Mapping[str, str]] | None = None) -> ImportReport:
    """Read, check and load an enterprise file into the county, in the caller's transaction.

    Raises InvalidInput (with every bad row) unless ``skip_bad``; then the bad rows go to the rejects CSV.
    Writes an ``import.enterprises`` audit row. ``timings`` (if given) receives seconds per phase.
    """
    clock = time.perf_counter()
    source = read_source(path)
    if timings is not None:
        timings["read"] = time.perf_counter() - clock
        clock = time.perf_counter()
    checked = check_enterprises(conn, county_code=county_code, source=source, datum=datum, mapping=mapping,
                                value_maps=value_maps)
    if timings is not None:
        timings["check"] = time.perf_counter() - clock
    target = _finish_problems(checked, skip_bad=skip_bad, rejects_path=rejects_path, what="enterprise")
    good = checked.clean[checked.good].reset_index(drop=True)
    show = len(source) >= PROGRESS_MIN_ROWS if progress is None else progress
    try:
        loaded = copy_enterprises(conn, county_code=county_code, frame=good, progress=show, timings=timings)
    except psycopg.errors.UniqueViolation as exc:
        raise InvalidInput("a USCC of the file was registered meanwhile by another import; nothing was loaded")\
            from exc
    audit.record(conn, actor=actor, actor_kind="cli" if actor == "cli" else "user", action="import.enterprises",
                 object_type="file", object_id=Path(path).name, county_code=county_code,
                 detail={"rows": len(source), "loaded": loaded, "rejected": len(source) - loaded,
                         "datum": str(Datum(datum).value), "rejects": str(target) if target else None,
                         "value_maps": {f: dict(m) for f, m in (value_maps or {}).items()}})
    return ImportReport("enterprises", len(source), loaded, checked.problems, target, checked.notes,
                        checked.unknown)


# -------------------------------------------------------------------------------------------- townships

TOWNSHIP_FIELDS: dict[str, tuple[str, ...]] = {
    "code": ("乡镇代码", "代码", "区划代码", "township_code", "code", "xzqdm", "adcode"),
    "name": ("乡镇名称", "名称", "乡镇", "township_name", "name", "xzqmc"),
}


def _kind_of(name: str) -> str:
    return "street" if name.endswith("街道") else "township" if name.endswith("乡") else "town"


def import_townships(conn: psycopg.Connection[Any], *, path: Path | str, county_code: str,
                     datum: Datum | str = Datum.WGS84, name_field: str | None = None,
                     code_field: str | None = None, actor: str = "cli") -> ImportReport:
    """Load real township polygons (replacing generated ones), then re-place enterprises, visits and cells.

    Each feature needs a polygon and a 9-digit code of the county, or a name matching a township already
    loaded (whose code it takes). All or nothing: raises InvalidInput with every bad row.
    """
    source = read_source(path)
    if source.geometry is None:
        raise InvalidInput(f"{Path(path).name}: townships need polygons: use GeoJSON, GeoPackage or Shapefile")
    county_name, county_geom = _county(conn, county_code)
    mapping = {k: v for k, v in ((name_field, "name"), (code_field, "code")) if k}
    frame = source.frame
    cols = resolve_columns(list(frame.columns), TOWNSHIP_FIELDS, required=(), mapping=mapping)
    if "code" not in cols and "name" not in cols:
        raise InvalidInput("townships need a code (乡镇代码/code) or name (乡镇名称/name) column;"
                           " name them with --code-field / --name-field")
    n = len(frame)
    problems = Problems(n)
    known = fetch_all(conn, "import_townships_of_county", {"county_code": county_code})
    by_name = {r["name"]: r["code"] for r in known}
    names = frame[cols["name"]] if "name" in cols else pd.Series([""] * n)
    codes = frame[cols["code"]].str.replace(r"\.0$", "", regex=True) if "code" in cols \
        else pd.Series([""] * n)
    codes = codes.where(codes != "", names.map(by_name).fillna(""))
    names = names.where(names != "", codes.map({v: k for k, v in by_name.items()}).fillna(""))
    problems.add((codes == "").to_numpy(), "code", "missing (and the name matches no township of the county)")
    fmt_ok = codes.str.fullmatch(r"\d{9}").to_numpy()
    problems.add((codes != "").to_numpy() & ~fmt_ok, "code", lambda i: f"not a 9-digit township code: {codes.iat[i]!r}")
    problems.add(fmt_ok & (codes.str[:6] != county_code).to_numpy(), "code",
                 lambda i: f"{codes.iat[i]} is not in county {county_code}")
    problems.add(codes.duplicated(keep="first").to_numpy() & (codes != "").to_numpy(), "code", "duplicate in this file")
    problems.add((names == "").to_numpy(), "name", "missing")

    geoms = source.geometry
    missing = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms), dtype=bool)
    problems.add(missing, "geometry", "missing")
    types = shapely.get_type_id(geoms)
    polygonal = (types == 3) | (types == 6)
    problems.add(~missing & ~polygonal, "geometry", lambda i: f"expected a polygon, got {geoms[i].geom_type}")
    ok_geom = ~missing & polygonal
    fixed = np.array([None] * n, dtype=object)
    if ok_geom.any():
        g = geoms[ok_geom]
        if Datum(datum) not in (Datum.WGS84, Datum.CGCS2000):
            g = shapely.transform(g, lambda xy: np.column_stack(to_wgs84(xy[:, 0], xy[:, 1], datum)))
        g = shapely.make_valid(g)
        g = np.array([shapely.get_parts(x)[np.isin(shapely.get_type_id(shapely.get_parts(x)), (3, 6))]
                      for x in g], dtype=object)
        g = np.array([shapely.multipolygons(list(p)) if len(p) else None for p in g], dtype=object)
        fixed[ok_geom] = g
    empty_after = ok_geom & pd.isna(fixed)
    problems.add(empty_after, "geometry", "polygon has no area after repair")
    has = ok_geom & ~empty_after
    overlap = np.zeros(n, dtype=bool)
    if has.any():
        overlap[has] = shapely.intersects(county_geom, list(fixed[has]))
    problems.add(has & ~overlap, "geometry", f"does not overlap county {county_code} {county_name}")
    if problems.bad.any():
        raise InvalidInput(f"{int(problems.bad.sum())} of {n} township rows are bad; nothing was loaded",
                           problems.rows())

    execute(conn, "import_township_stage_create")
    conn.execute("TRUNCATE township_stage")
    wkb = shapely.to_wkb(shapely.set_srid(np.array(list(fixed), dtype=object), 4326), hex=True, include_srid=True)
    with conn.cursor() as cur, cur.copy("COPY township_stage (code, name, kind, geom) FROM STDIN") as copy:
        for code, name, g in zip(codes, names, wkb, strict=True):
            copy.write_row((code, name, _kind_of(name), g))
    execute(conn, "import_township_upsert", {"county_code": county_code, "source": Path(path).name})
    ensure_cells(conn, county_code=county_code)  # cells first: enterprises outside every township use theirs
    moved = execute(conn, "import_enterprise_townships_reassign", {"county_code": county_code})
    execute(conn, "import_visit_townships_reassign", {"county_code": county_code})
    still_generated = [r["code"] for r in fetch_all(conn, "import_townships_of_county", {"county_code": county_code})
                       if r["generated"]]
    notes = [source.crs_note] if source.crs_note else []
    notes.append(f"{moved} enterprises changed township")
    if still_generated:
        notes.append(f"still generated (not in the file): {', '.join(still_generated)}")
    audit.record(conn, actor=actor, actor_kind="cli" if actor == "cli" else "user", action="import.townships",
                 object_type="file", object_id=Path(path).name, county_code=county_code,
                 detail={"rows": n, "loaded": n, "enterprises_moved": moved})
    return ImportReport("townships", n, n, [], None, notes)
