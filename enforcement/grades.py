"""The grades an enterprise carries, defined once (DOMAIN.md glossary); every rule and screen imports them.

* Risk grades (风险等级), worst first: ``high`` 高风险, ``elevated`` 较高风险, ``general`` 一般风险, ``low`` 低风险.
* Credit grades (信用等级), best first: ``A`` … ``D``.

The database checks the same values (``enterprises`` CHECK constraints) and SQL spells them as literals where
it counts per grade; mappings keyed by grade (colours, quota cells, draw factors) live with their rule.
"""

from __future__ import annotations

RISK_GRADES: tuple[str, ...] = ("high", "elevated", "general", "low")
RISK_NAMES_ZH: dict[str, str] = {"high": "高风险", "elevated": "较高风险", "general": "一般风险", "low": "低风险"}
CREDIT_GRADES: tuple[str, ...] = ("A", "B", "C", "D")
