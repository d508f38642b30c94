"""The schema's upgrades: numbered migrations, applied once each and verified, and the one source of every
function and trigger (docs/operations.md "The schema and its migrations").

* ``geo_data/migrations/NNN_name.sql``: tables, indexes, constraints, reference rows — ordered steps that must
  not run twice. Each is applied once, in its own transaction, and the SHA-256 of its text is recorded in
  ``schema_migrations``. Every run, and every server start (``verify``), compares the recorded checksums with the
  files: an applied migration that was edited, or one this code does not have, stops everything with a message
  naming it (the change belongs in a new migration).
* ``geo_data/schema/functions/*.sql``, then ``geo_data/schema/triggers/*.sql``: ``CREATE OR REPLACE`` sources, one
  per function and one per table's triggers. After the numbered migrations, each file whose text differs from the
  one recorded in ``schema_objects`` is applied (all of them in one transaction): changing a function is editing
  its file. Dropping one, or changing its arguments or result type, takes a numbered migration.
* ``000_baseline`` squashes the chain 000–510 of 2026-12-03 (``SQUASHED``). A database that ran that chain is
  recognised by its recorded versions and checksums and moved onto the baseline without running it: its tables
  are the baseline's already; its functions and triggers are replaced from their sources as on any upgrade.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from geo_data.db import connect
from geo_data.errors import SchemaError

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SCHEMA_DIR = Path(__file__).with_name("schema")
BASELINE = "000_baseline"
_LOCK_KEY = 7_702_001  # pg_advisory_lock key: one migrator at a time
Conn = psycopg.Connection[dict[str, Any]]

# The chain squashed into 000_baseline: version -> SHA-256 of the text every database that ran it recorded
# (commit 2d7c9ca; the files are kept in tests/db/squashed_migrations/ for the upgrade test). 050_job_queue is
# not in it: it stays a migration of its own, the job-queue library's schema file.
SQUASHED: dict[str, str] = {
    "000_extensions": "966c80d4bd662fbaa2159d5dcf2171c240584122045155ddc3bda8b9c6bbf42f",
    "001_core": "f0b30fe3bfc505c28baed61afbc2b9e6a8d6461129abb70037187da2893a4e36",
    "002_enterprise_uscc_check": "b94bf3552084f7f034772da1d8a57c2619b9b99ea4f22ee4532891aa3e5b403c",
    "100_notify_triggers": "f63815d930568da3d31234e3c6d16e55af16224e0a9113988cf31c35372a6cdc",
    "101_map_indexes": "147ba6d87c01819426057d5417f3e8df1499b1a3cdcbf5460415880cd09e0bc5",
    "102_cells_res_geom_index": "07826461c2a9e21ee9eb872853359355dc89756422352684c7cbb2258b2faf13",
    "200_dispatch_indexes": "8954a19a69c4c8feb39bbf8af261d251e5ea90318aa648aded696758a73265ba",
    "250_intake_statement_notify": "df12eac69502993ec9650528991dc42eb532d8d836e1100ef46eda57f33f6952",
    "251_intake_hot_updates": "09591225ead33b98f82a7ef95def6c94877d140138f360583b84d39f02d9b8e8",
    "252_intake_notify_after_commit": "9812eb0e177f6adc3ae7342117ccaf17a7eb2c4a88351ce7f3552572f9e636aa",
    "253_intake_lean_indexes": "381e9b5041f9548f5743ce6144b707f3756e75b4d786890a89dfd208272c0fd5",
    "254_intake_statement_references": "977da43f0ab9da8a91686f93342c0c0f6ef15caa44fd8314d758152b251396c2",
    "260_field_devices_positions": "2b6546e1e00770ea620e50770f9e095ff4bbae4bb9b696feb660b86c80c5a259",
    "261_evidence_files": "4d852e91d8708cb32a162bcf79d4942203fd72b43355c9ae300c4d6ed5d70d66",
    "262_field_inspectors_steps": "9ec366303c36ffe16b1f75f7099f2935586cc370721155f02566b17aefdc4469",
    "300_planning": "c536b904f6c88b208a3be6be46d41839e13feda54dcf24f9da47bb1c35bdfe5f",
    "301_plan_crews": "2c42679bbadb8b4b4afde7850d534ecd069f7190653b4be6917cf52f0dd08ee2",
    "400_measures_coverage": "4aa4167ba86e81c265ac555f364b8feac9a8ce92f4dfb06e10cfb92ba82eee74",
    "401_measure_preaggregates": "a9af10fed6494dbc7e561c7c22ae524156abbd493ebe7c86969286620e7ffb3d",
    "402_enterprise_counts_cells": "804b8f54a012ede848be5904d6ff61b53841e917d29104f2fc061a827273050b",
    "403_enterprise_counts_by_cell_risk": "4ac397c5bf9fe98420bec452713e6b49244617314d08d850bee4ce0722defad0",
    "404_enterprises_measure_by_id": "996470abc23df31b9759524d1fa9d458485617b398f9cfadbb1da4c2debcee8b",
    "405_coverage_touch": "386108b3c557ffc4ad5a15ef4044eff3c485388ca2b6e5cb47f8df02e4123159",
    "406_measure_bulk_load": "2358ee3d05ee529228e2042e43bee22abcd93b4f15608f1bf960139e4b357c96",
    "407_coverage_touch_incremental": "8853367746d80c644a507ca11dae7d29142d21709e5d723dbdaaeb050d06cd90",
    "408_coverage_touch_static": "4795c41e721d277106587f61061f2b5d3212b8a1b2ec42c04097ef772633d61b",
    "510_sessions_logins_factors": "0232d5c04a1ac2c80be8487b19ff6056ef87265673f34e496045813f4017c869",
}

# Two migrations were edited on the day they were written, before they landed (commits baedb38, 037ade9): a
# database migrated in between has the earlier text, which lacked one GiST index. Moving such a database onto
# the baseline adds it. Any other unknown text of a squashed migration stops the upgrade.
_SQUASHED_EARLIER: dict[str, dict[str, str]] = {
    "261_evidence_files": {
        "615a5bd2c71c03072c484b13ca8db3a8b7dd18b70a6107c4d8c0188d434eaed5":
            "CREATE INDEX IF NOT EXISTS evidence_files_geom_gix ON evidence_files USING gist (geom)",
    },
    "262_field_inspectors_steps": {
        "648e9f376b64ba7cb8e8c01dcababd6f81c47e19271ce19f344bd9fa68596588":
            "CREATE INDEX IF NOT EXISTS field_steps_geom_gix ON field_steps USING gist (geom)",
    },
}

# What the chain left behind that the baseline does not have: migration 253 meant to fold this index into
# alerts_county_observed_idx, but 400 (run after 253 on a fresh database) created it again; every alert paid for it.
_ON_ADOPTION = "DROP INDEX IF EXISTS alerts_enterprise_measure_idx"

_BOOKKEEPING = (
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE IF NOT EXISTS schema_objects ("
    " path text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
)


@dataclass(frozen=True)
class SqlFile:
    """One schema file: its name (migration version, or path under ``geo_data/schema``), text and SHA-256."""

    name: str
    text: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def migration_files() -> list[Path]:
    """Numbered migrations in order (``NNN_name.sql``)."""
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9]_*.sql"))


def migrations() -> list[SqlFile]:
    """The numbered migrations, in order."""
    return [SqlFile(p.stem, p.read_text(encoding="utf-8")) for p in migration_files()]


def schema_sources() -> list[SqlFile]:
    """The function sources, then the trigger sources (each kind in name order), named ``functions/x.sql``."""
    paths = sorted((SCHEMA_DIR / "functions").glob("*.sql")) + sorted((SCHEMA_DIR / "triggers").glob("*.sql"))
    return [SqlFile(p.relative_to(SCHEMA_DIR).as_posix(), p.read_text(encoding="utf-8")) for p in paths]


def migrate(url: str) -> list[str]:
    """Bring the database to the current schema; returns what was applied, in order (empty: it was current).

    Raises ``SchemaError`` — before changing anything — when an applied migration's file changed, when the
    database has a migration this code does not know, or when it ran only part of the squashed chain.
    """
    applied: list[str] = []
    files = migrations()
    with connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            for statement in _BOOKKEEPING:
                conn.execute(statement)
            done = _recorded(conn)
            _check_applied(done, files)
            if _adopt_squashed_chain(conn, done, files):
                applied.append(f"{BASELINE} (adopted: the database ran the migrations 000-510 it squashes)")
                done = _recorded(conn)
            for migration in files:
                if migration.name in done:
                    continue
                with conn.transaction():
                    _run(conn, migration)
                    conn.execute("INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                                 (migration.name, migration.checksum))
                applied.append(migration.name)
            applied += _apply_sources(conn)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied


def verify(url: str) -> None:
    """Refuse a database whose applied migrations differ from this code's files (``SchemaError`` naming them).

    Read-only: what is not applied yet is left to ``migrate``. A database without any migrations passes.
    """
    with connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL AS present").fetchone()
        if row and row["present"]:
            _check_applied(_recorded(conn), migrations())


def _recorded(conn: Conn) -> dict[str, str]:
    return {r["version"]: r["checksum"] for r in conn.execute("SELECT version, checksum FROM schema_migrations")}


def _check_applied(done: dict[str, str], files: list[SqlFile]) -> None:
    by_name = {f.name: f for f in files}
    for version, checksum in sorted(done.items()):
        if version in by_name:
            if by_name[version].checksum != checksum:
                raise SchemaError(
                    f"migration {version} was changed after it was applied to this database (recorded sha256"
                    f" {checksum[:12]}…, the file now {by_name[version].checksum[:12]}…): restore"
                    f" geo_data/migrations/{version}.sql as it was and make the change in a new migration")
        elif version in SQUASHED:
            if checksum != SQUASHED[version] and checksum not in _SQUASHED_EARLIER.get(version, {}):
                raise SchemaError(
                    f"migration {version} (squashed into {BASELINE}) was applied from a text no release had"
                    f" (recorded sha256 {checksum[:12]}…): this database cannot be moved onto the baseline")
        else:
            raise SchemaError(
                f"this database has migration {version}, which this version of GridCommand does not have: it was"
                " migrated by a newer or a different version")


def _adopt_squashed_chain(conn: Conn, done: dict[str, str], files: list[SqlFile]) -> bool:
    """Move a database that ran the squashed chain onto the baseline (recorded, not run); True if it did."""
    ran = SQUASHED.keys() & done.keys()
    if not ran or BASELINE in done:
        return False
    missing = sorted(SQUASHED.keys() - ran)
    if missing:
        raise SchemaError(
            f"this database ran only part of the migrations squashed into {BASELINE} (missing: {', '.join(missing)}):"
            " migrate it with the release before the squash (commit 2d7c9ca) first")
    baseline = next(f for f in files if f.name == BASELINE)
    with conn.transaction():
        conn.execute(_ON_ADOPTION)
        for version in sorted(ran):
            repair = _SQUASHED_EARLIER.get(version, {}).get(done[version])
            if repair:
                conn.execute(repair.encode())
        conn.execute("INSERT INTO schema_migrations (version, checksum) VALUES (%s, %s)",
                     (BASELINE, baseline.checksum))
    return True


def _apply_sources(conn: Conn) -> list[str]:
    """Apply the function and trigger sources whose text changed since they were last applied."""
    recorded = {r["path"]: r["checksum"] for r in conn.execute("SELECT path, checksum FROM schema_objects")}
    changed = [s for s in schema_sources() if recorded.get(s.name) != s.checksum]
    with conn.transaction():
        for source in changed:
            _run(conn, source)
            conn.execute(
                "INSERT INTO schema_objects (path, checksum) VALUES (%s, %s)"
                " ON CONFLICT (path) DO UPDATE SET checksum = EXCLUDED.checksum, applied_at = now()",
                (source.name, source.checksum))
    return [s.name for s in changed]


def _run(conn: Conn, sql_file: SqlFile) -> None:
    try:
        conn.execute(sql_file.text.encode())
    except psycopg.Error as exc:
        raise SchemaError(f"{sql_file.name} failed: {exc}") from exc
