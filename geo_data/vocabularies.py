"""The national vocabularies county files use, read onto the product's own values.

* 企业信用风险分类 (the market regulators' credit-risk classification of enterprises): letters A-D, A 低 (low),
  B 一般 (general), C 较高 (elevated), D 高 (high). The product's ``credit`` grade is a different scale that also
  uses A-D (A best), so a letter is read as a risk class only in a column whose header names the classification
  (信用风险分类 …) or that ``--map COLUMN=risk_class`` names; the importers decide by the header.
* GB/T 4754-2017 国民经济行业分类: 门类 letters A-T, 大类 two-digit codes and 中类/小类 three/four-digit codes, with
  or without the letter ("H6210", "6210", "62", "H"), or their official names ("正餐服务", "餐饮业"). The table
  ``reference/gbt4754_map.csv`` maps a code prefix onto a product industry; the longest listed prefix decides
  (an empty industry there means the class has no product industry).
* Excel dates: a date cell, or the serial day number a CSV export writes for one (``excel_serial_date``).
* Values the product does not know are gathered per field and value (``UnknownValue``) with a suggested known
  value, so an import reports each once; ``--map-values FIELD:SOURCE=TARGET`` (``parse_value_maps``) maps them.
"""

from __future__ import annotations

import csv
import difflib
import re
import shlex
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from geo_data.errors import InvalidInput

REFERENCE_DIR = Path(__file__).with_name("reference")

# 企业信用风险分类 letters -> product risk grades (also "A类", "A级"); only for a risk-class column
RISK_CLASS_LETTERS: dict[str, str] = {
    f"{letter}{suffix}": grade
    for letter, grade in (("a", "low"), ("b", "general"), ("c", "elevated"), ("d", "high"))
    for suffix in ("", "类", "级")
}
# headers that say the column holds the 企业信用风险分类 (compared like column names: lower case, no blanks)
RISK_CLASS_HEADERS = ("信用风险分类", "企业信用风险分类", "信用风险分类结果", "信用风险等级", "信用风险类别",
                      "credit_risk_class", "credit_risk", "risk_class")


def normal_key(text: object) -> str:
    """The form values are compared in: NFKC (full-width -> ASCII), blanks removed, lower case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).lower()


# ------------------------------------------------------------------------------------------- GB/T 4754

@dataclass(frozen=True)
class IndustryClass:
    """One GB/T 4754-2017 class of the mapping table."""

    code: str       # "H" (门类), "62" (大类), "621" (中类) or "6291" (小类)
    level: str      # 门类 / 大类 / 中类 / 小类
    name: str       # official Chinese name
    industry: str   # product industry code, "" when the class has none


@dataclass(frozen=True)
class Gbt4754Table:
    by_code: dict[str, IndustryClass]
    by_name: dict[str, IndustryClass]
    section_of: dict[str, str]  # 大类 "62" -> 门类 "H"


@cache
def gbt4754_table() -> Gbt4754Table:
    """The mapping table of ``reference/gbt4754_map.csv`` (static data read once)."""
    by_code: dict[str, IndustryClass] = {}
    by_name: dict[str, IndustryClass] = {}
    section_of: dict[str, str] = {}
    with (REFERENCE_DIR / "gbt4754_map.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            cls = IndustryClass(r["code"], r["level"], r["name"], r["industry"])
            by_code[cls.code] = cls
            # a name used at several levels (教育 P / 83) means the most specific class
            if len(by_name.get(normal_key(cls.name), cls).code) <= len(cls.code):
                by_name[normal_key(cls.name)] = cls
            if r["divisions"]:
                lo, hi = (int(x) for x in r["divisions"].split("-"))
                section_of.update({f"{d:02d}": cls.code for d in range(lo, hi + 1)})
    return Gbt4754Table(by_code, by_name, section_of)


_GBT_CODE = re.compile(r"([A-T])?(\d{2,4})?")


@dataclass(frozen=True)
class Gbt4754Match:
    """A value read as a GB/T 4754 class: the class it names and the product industry ("" if none)."""

    cls: IndustryClass
    industry: str
    problem: str = ""  # why a code-shaped value is not a class (e.g. a 大类 under the wrong 门类)


def gbt4754_match(value: str) -> Gbt4754Match | None:
    """``value`` as a GB/T 4754-2017 code or official name, or None when it is neither.

    Codes: an optional 门类 letter and 2-4 digits (``H6210``, ``6210``, ``62``, ``H``). The longest prefix the
    table lists gives the industry; a letter must agree with the 大类 (``H1392`` is refused: 13 is in C).
    """
    table = gbt4754_table()
    key = normal_key(value)
    if key in table.by_name:
        cls = table.by_name[key]
        return Gbt4754Match(cls, cls.industry)
    m = _GBT_CODE.fullmatch(key.upper())
    if not m or not (m[1] or m[2]):
        return None
    letter, digits = m[1], m[2] or ""
    if not digits:
        cls = table.by_code[letter]
        return Gbt4754Match(cls, cls.industry)
    section = table.section_of.get(digits[:2])
    if section is None:
        return None  # not a 大类 of the standard: leave it to the other checks
    if letter and letter != section:
        cls = table.by_code[letter]
        return Gbt4754Match(cls, "", f"GB/T 4754 大类 {digits[:2]} belongs to 门类 {section}, not {letter}")
    for n in range(len(digits), 1, -1):
        listed = table.by_code.get(digits[:n])
        if listed is not None:
            return Gbt4754Match(listed, listed.industry)
    return None  # unreachable: every 大类 is listed


# ---------------------------------------------------------------------------------------- suggestions

def suggest(value: str, candidates: Mapping[str, str]) -> str | None:
    """The known value closest to ``value``: ``candidates`` maps a name (any case) to the value to suggest.

    A name contained in the value wins, the longest first; else the closest name by difflib's ratio (at least
    0.5) that starts with the same character and shares at least two with the value. Chinese names put the
    distinctive part first and a generic head last (…检查, …服务, …业), so a shared ending alone (日常检查 /
    专项检查, 渔业 / 农业) suggests nothing. None when nothing is close.
    """
    key = normal_key(value)
    if not key:
        return None
    names = {normal_key(n): v for n, v in candidates.items() if normal_key(n)}
    contained = sorted((n for n in names if len(n) >= 2 and n in key), key=len, reverse=True)
    if contained:
        return names[contained[0]]
    best, best_ratio = None, 0.5
    for name in names:
        matcher = difflib.SequenceMatcher(None, key, name)
        shared = sum(block.size for block in matcher.get_matching_blocks())
        if name[0] != key[0] or shared < 2:
            continue
        if matcher.ratio() >= best_ratio and (best is None or matcher.ratio() > best_ratio):
            best, best_ratio = name, matcher.ratio()
    return names[best] if best is not None else None


@dataclass(frozen=True)
class UnknownValue:
    """A value of a field the product does not know, with every row (1-based) that has it."""

    field: str
    value: str
    rows: tuple[int, ...]
    suggestion: str | None = None  # a known value to map it to
    hint: str = ""                 # what is accepted, or why the value cannot be used
    map_field: str = ""            # the --map-values field, when not ``field`` (departments -> department)

    @property
    def count(self) -> int:
        return len(self.rows)

    def map_option(self, target: str) -> str:
        return "--map-values " + shlex.quote(f"{self.map_field or self.field}:{self.value}={target}")

    def __str__(self) -> str:
        shown = ", ".join(map(str, self.rows[:8])) + (", …" if len(self.rows) > 8 else "")
        text = f"{self.field}: unknown value {self.value!r} in {self.count} row{'s' if self.count > 1 else ''} ({shown})"
        if self.hint:
            text += f"; {self.hint}"
        if self.suggestion:
            text += f"; suggested: {self.map_option(self.suggestion)}"
        else:
            text += f"; map it with {self.map_option('VALUE')}"
        return text


def parse_value_maps(pairs: Iterable[str], fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """``["industry:中餐=catering", ...]`` -> ``{"industry": {"中餐": "catering"}}`` (source keys normalised).

    InvalidInput for a pair that is not FIELD:SOURCE=TARGET or names a field that takes no mapping.
    """
    allowed = list(fields)
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        fld, colon, rest = pair.partition(":")
        src, eq, dst = rest.rpartition("=")
        fld, src, dst = fld.strip(), src.strip(), dst.strip()
        if not colon or not eq or not fld or not src or not dst:
            raise InvalidInput(f"--map-values expects FIELD:SOURCE=TARGET, got {pair!r}")
        if fld not in allowed:
            raise InvalidInput(f"--map-values {pair}: field {fld!r} takes no value mapping;"
                               f" fields are {', '.join(allowed)}")
        out.setdefault(fld, {})[normal_key(src)] = dst
    return out


def resolve_value_map(fld: str, value_map: Mapping[str, str], table: Mapping[str, str],
                      accepted: str) -> dict[str, str]:
    """The targets of ``value_map`` as product values of ``table`` (keys normalised like ``normal_key``).

    InvalidInput names a target the product does not know, with what ``accepted`` says is accepted.
    """
    out: dict[str, str] = {}
    for src, dst in value_map.items():
        known = table.get(normal_key(dst))
        if known is None:
            raise InvalidInput(f"--map-values {fld}:{src}={dst}: {dst!r} is not a known {fld} ({accepted})")
        out[src] = known
    return out


# ----------------------------------------------------------------------------------------- Excel dates

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's 1900 date system: serial 1 = 1900-01-01 (after its phantom 1900-02-29)
EXCEL_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")  # 10000 = 1927-05-18 … 99999 = 2173-10-14; a fraction is the time


def excel_serial_date(serial: float | str) -> date:
    """The date of an Excel serial day number (the 1900 date system every Excel since 2000 uses by default)."""
    return EXCEL_EPOCH + timedelta(days=int(float(serial)))
