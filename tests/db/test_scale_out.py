"""The schema against Citus's rules for a cluster distributed by county_code (docs/scale-out.md).

Each table is a reference table (its comment starts ``reference table:``), local to the coordinator (``local
table:``, and the bookkeeping of the migrator, PostGIS and the job-queue library), or distributed by county_code.
Citus refuses to distribute a table unless the distribution column is in every unique index (primary keys and
unique constraints included) and in every foreign key between distributed tables, on both sides; reference
tables and local tables cannot refer to distributed ones, nor reference tables to local ones.

``STILL_VIOLATED`` is what today's schema still breaks (docs/scale-out.md "What still stands in the way"): the test
fails when a new violation appears and when one is fixed (then take it off the list), so the list stays true.
"""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

DISTRIBUTION_COLUMN = "county_code"
BOOKKEEPING = {"schema_migrations", "schema_objects", "spatial_ref_sys"}  # the migrator's and PostGIS's own

STILL_VIOLATED = {
    # tables without the distribution column, or with a nullable one: 2
    "audit_log: county_code may be NULL",
    "visit_code_attempts: no county_code",
    # unique keys without county_code (Citus cannot enforce them across shards): 17
    "alerts: unique alerts_pkey (id) lacks county_code",
    "alerts: unique alerts_source_source_id_key (source, source_id) lacks county_code",
    "audit_log: unique audit_log_hash_key (hash) lacks county_code",
    "audit_log: unique audit_log_pkey (id) lacks county_code",
    "audit_log: unique audit_log_seq_key (seq) lacks county_code",
    "devices: unique devices_identifier_key (identifier) lacks county_code",
    "devices: unique devices_pkey (id) lacks county_code",
    "devices: unique devices_token_hash_key (token_hash) lacks county_code",
    "enterprises: unique enterprises_pkey (id) lacks county_code",
    "field_steps: unique field_steps_pkey (client_id) lacks county_code",
    "h3_cells: unique h3_cells_pkey (cell) lacks county_code",
    "team_positions: unique team_positions_device_fix_key (device_id, at) lacks county_code",
    "team_positions: unique team_positions_pkey (id) lacks county_code",
    "teams: unique teams_pkey (id) lacks county_code",
    "visit_code_attempts: unique visit_code_attempts_pkey (id) lacks county_code",
    "visit_results: unique visit_results_client_id_key (client_id) lacks county_code",
    "visit_results: unique visit_results_pkey (visit_id) lacks county_code",
    # foreign keys between distributed tables without county_code on both sides: 18
    "alerts: foreign key alerts_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "devices: foreign key devices_team_id_fkey (team_id) -> teams lacks county_code",
    "dispatches: foreign key dispatches_team_id_fkey (team_id) -> teams lacks county_code",
    "draw_targets: foreign key draw_targets_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "field_steps: foreign key field_steps_team_id_fkey (team_id) -> teams lacks county_code",
    "incidents: foreign key incidents_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "inspection_tasks: foreign key inspection_tasks_enterprise_id_fkey (enterprise_id) -> enterprises"
        " lacks county_code",
    "inspector_conflicts: foreign key inspector_conflicts_enterprise_id_fkey (enterprise_id) ->"
        " enterprises lacks county_code",
    "inspectors: foreign key inspectors_team_id_fkey (team_id) -> teams lacks county_code",
    "plan_team_days: foreign key plan_team_days_team_id_fkey (team_id) -> teams lacks county_code",
    "plan_visits: foreign key plan_visits_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "plan_visits: foreign key plan_visits_team_id_fkey (team_id) -> teams lacks county_code",
    "team_positions: foreign key team_positions_device_id_fkey (device_id) -> devices lacks county_code",
    "team_positions: foreign key team_positions_team_id_fkey (team_id) -> teams lacks county_code",
    "visit_codes: foreign key visit_codes_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "visit_codes: foreign key visit_codes_team_id_fkey (team_id) -> teams lacks county_code",
    "visits: foreign key visits_enterprise_id_fkey (enterprise_id) -> enterprises lacks county_code",
    "visits: foreign key visits_team_id_fkey (team_id) -> teams lacks county_code",
    # foreign keys Citus allows in no form: 1
    "users: foreign key users_team_id_fkey (team_id) -> teams: a reference table cannot refer to a distributed one",
}


def _table_roles(conn: psycopg.Connection) -> dict[str, str]:
    rows = conn.execute(
        "SELECT c.relname, obj_description(c.oid, 'pg_class') AS comment FROM pg_class c"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
    ).fetchall()
    roles = {}
    for r in rows:
        comment = r["comment"] or ""
        if comment.startswith("reference table:"):
            roles[r["relname"]] = "reference"
        elif (comment.startswith("local table:") or r["relname"] in BOOKKEEPING
              or r["relname"].startswith("procrastinate_")):  # the job queue lives on the coordinator
            roles[r["relname"]] = "local"
        else:
            roles[r["relname"]] = "distributed"
    return roles


def _violations(conn: psycopg.Connection, roles: dict[str, str]) -> Iterable[str]:
    distributed = {t for t, role in roles.items() if role == "distributed"}
    columns = {(r["t"], r["c"]): r["notnull"] for r in conn.execute(
        "SELECT a.attrelid::regclass::text AS t, a.attname AS c, a.attnotnull AS notnull FROM pg_attribute a"
        " WHERE a.attnum > 0 AND NOT a.attisdropped AND a.attname = %s", (DISTRIBUTION_COLUMN,))}
    for t in sorted(distributed):
        if (t, DISTRIBUTION_COLUMN) not in columns:
            yield f"{t}: no {DISTRIBUTION_COLUMN}"
        elif not columns[(t, DISTRIBUTION_COLUMN)]:
            yield f"{t}: {DISTRIBUTION_COLUMN} may be NULL"
    uniques = conn.execute(
        "SELECT i.indrelid::regclass::text AS t, i.indexrelid::regclass::text AS name,"
        " array(SELECT coalesce(a.attname, '(expression)') FROM unnest(i.indkey) WITH ORDINALITY k(n, o)"
        "       LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n"
        "       WHERE k.o <= i.indnkeyatts ORDER BY k.o) AS keys"
        " FROM pg_index i WHERE i.indisunique").fetchall()
    for u in uniques:
        if u["t"] in distributed and DISTRIBUTION_COLUMN not in u["keys"]:
            yield f"{u['t']}: unique {u['name']} ({', '.join(u['keys'])}) lacks {DISTRIBUTION_COLUMN}"
    fks = conn.execute(
        "SELECT conname, conrelid::regclass::text AS t, confrelid::regclass::text AS ref,"
        " array(SELECT a.attname FROM unnest(conkey) WITH ORDINALITY k(n, o)"
        "       JOIN pg_attribute a ON a.attrelid = conrelid AND a.attnum = k.n ORDER BY k.o) AS cols,"
        " array(SELECT a.attname FROM unnest(confkey) WITH ORDINALITY k(n, o)"
        "       JOIN pg_attribute a ON a.attrelid = confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_cols"
        " FROM pg_constraint WHERE contype = 'f'").fetchall()
    for fk in fks:
        if fk["t"] not in roles or fk["ref"] not in roles:
            continue
        kinds = (roles[fk["t"]], roles[fk["ref"]])
        name = f"{fk['t']}: foreign key {fk['conname']} ({', '.join(fk['cols'])}) -> {fk['ref']}"
        if kinds == ("distributed", "distributed"):
            pairs = list(zip(fk["cols"], fk["ref_cols"], strict=True))
            if (DISTRIBUTION_COLUMN, DISTRIBUTION_COLUMN) not in pairs:
                yield f"{name} lacks {DISTRIBUTION_COLUMN}"
        elif kinds[1] == "distributed" or kinds == ("reference", "local") or kinds == ("distributed", "local"):
            yield f"{name}: a {kinds[0]} table cannot refer to a {kinds[1]} one"


def test_every_table_has_a_role_and_the_small_ones_are_marked_reference(conn: psycopg.Connection) -> None:
    roles = _table_roles(conn)
    reference = {t for t, r in roles.items() if r == "reference"}
    assert {"counties", "townships", "departments", "alert_types", "industries", "roles", "users"} <= reference
    assert {"enterprises", "visits", "alerts", "incidents", "dispatches", "inspection_tasks", "h3_cells",
            "team_positions", "audit_log"} <= {t for t, r in roles.items() if r == "distributed"}


def test_the_catalog_against_citus_rules_for_tables_distributed_by_county(conn: psycopg.Connection) -> None:
    found = set(_violations(conn, _table_roles(conn)))
    assert sorted(found - STILL_VIOLATED) == [], "new violations of Citus's rules (docs/scale-out.md)"
    assert sorted(STILL_VIOLATED - found) == [], "fixed: take these off STILL_VIOLATED and docs/scale-out.md"


def test_the_rules_catch_what_citus_refuses(conn: psycopg.Connection) -> None:
    """The checker itself, on a scenario of its own (in a transaction rolled back at the end)."""
    with conn.transaction(force_rollback=True):
        conn.execute("CREATE TABLE scale_a (county_code text NOT NULL, id bigint, PRIMARY KEY (county_code, id))")
        conn.execute("CREATE TABLE scale_b (county_code text NOT NULL, id bigint PRIMARY KEY, a_id bigint,"
                     " FOREIGN KEY (county_code, a_id) REFERENCES scale_a (county_code, id))")
        conn.execute("CREATE TABLE scale_c (county_code text, a_id bigint UNIQUE)")
        conn.execute("ALTER TABLE scale_c ADD FOREIGN KEY (county_code, a_id) REFERENCES scale_a (county_code, id)")
        conn.execute("CREATE TABLE scale_r (code text PRIMARY KEY, a_county text, a_id bigint,"
                     " FOREIGN KEY (a_county, a_id) REFERENCES scale_a (county_code, id))")
        conn.execute("COMMENT ON TABLE scale_r IS 'reference table: test'")
        conn.execute("CREATE TABLE scale_d (county_code text NOT NULL, a_id bigint, b_county text, b_id bigint,"
                     " FOREIGN KEY (county_code, a_id) REFERENCES scale_a (county_code, id))")
        conn.execute("ALTER TABLE scale_b ADD UNIQUE (county_code, id)")
        conn.execute("ALTER TABLE scale_d ADD FOREIGN KEY (b_county, b_id) REFERENCES scale_b (county_code, id)")
        roles = _table_roles(conn)
        found = {v for v in _violations(conn, roles) if v.startswith("scale_")}
    assert found == {
        "scale_b: unique scale_b_pkey (id) lacks county_code",
        "scale_c: county_code may be NULL",
        "scale_c: unique scale_c_a_id_key (a_id) lacks county_code",
        "scale_r: foreign key scale_r_a_county_a_id_fkey (a_county, a_id) -> scale_a: a reference table cannot"
        " refer to a distributed one",
        "scale_d: foreign key scale_d_b_county_b_id_fkey (b_county, b_id) -> scale_b lacks county_code",
    }
