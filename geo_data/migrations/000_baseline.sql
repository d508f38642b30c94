-- Baseline: the tables, indexes, constraints and reference rows that migrations 000-510 (without 050, the job
-- queue, which stays the library's own file) had built by 2026-12-03 (commit 2d7c9ca), squashed into one
-- migration. A database that ran that chain is moved onto this baseline by `gridcommand db migrate` without
-- running it (geo_data/migrator.py; docs/operations.md "The schema and its migrations").
--
-- Functions and triggers are not here: each has one editable source under geo_data/schema/ (functions/*.sql,
-- triggers/<table>.sql), applied after the numbered migrations whenever its text changes.
--
-- Coordinates: geometry(…, 4326) in WGS-84 (CGCS2000 treated as equal); H3 cells as bigint at resolutions 7, 8
-- and 9. Times are timestamptz (shown in Asia/Shanghai). Every large table carries county_code.
-- Columns are in the order the chain left them (later additions last), so both paths give the same tables. One
-- difference, on purpose: alerts_enterprise_measure_idx is gone (migration 253 folded it into
-- alerts_county_observed_idx, but 400, which ran after it, created it again); moving a database onto the
-- baseline drops it.

-- PostGIS for geometries; pgcrypto for digests in the audit chain; btree_gist for the (res, geom) index of cells
-- (a trusted extension: database owners may create it).
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- ---------------------------------------------------------------------------------------------- areas
CREATE TABLE counties (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}$'),
    name        text NOT NULL,
    city_name   text,
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    label_point geometry(Point, 4326),
    source      text NOT NULL DEFAULT ''
);
CREATE INDEX counties_geom_gix ON counties USING gist (geom);

CREATE TABLE townships (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{9}$'),
    county_code text NOT NULL REFERENCES counties (code) ON DELETE CASCADE,
    name        text NOT NULL,
    kind        text NOT NULL DEFAULT 'town' CHECK (kind IN ('street', 'town', 'township')),
    geom        geometry(MultiPolygon, 4326) NOT NULL CHECK (ST_IsValid(geom)),
    label_point geometry(Point, 4326),
    generated   boolean NOT NULL DEFAULT false,   -- true: polygon generated for the demo, not official
    source      text NOT NULL DEFAULT '',
    CHECK (left(code, 6) = county_code)
);
CREATE INDEX townships_county_idx ON townships (county_code);
CREATE INDEX townships_geom_gix ON townships USING gist (geom);

-- H3 grid cells (网格) with their township and pre-aggregated counts kept current by the writing code paths.
-- The intake updates the counters again and again: none of them is indexed, and every page keeps room, so the
-- updates are HOT (no new entry in any index).
CREATE TABLE h3_cells (
    cell           bigint PRIMARY KEY,
    res            smallint NOT NULL CHECK (res IN (7, 8, 9)),
    county_code    text NOT NULL REFERENCES counties (code) ON DELETE CASCADE,
    township_code  text REFERENCES townships (code) ON DELETE SET NULL,
    geom           geometry(Polygon, 4326) NOT NULL,
    ent_total      integer NOT NULL DEFAULT 0 CHECK (ent_total >= 0),
    ent_high       integer NOT NULL DEFAULT 0 CHECK (ent_high >= 0),
    ent_elevated   integer NOT NULL DEFAULT 0 CHECK (ent_elevated >= 0),
    ent_general    integer NOT NULL DEFAULT 0 CHECK (ent_general >= 0),
    ent_low        integer NOT NULL DEFAULT 0 CHECK (ent_low >= 0),
    visits         integer NOT NULL DEFAULT 0 CHECK (visits >= 0),
    alerts         integer NOT NULL DEFAULT 0 CHECK (alerts >= 0),
    alerts_open    integer NOT NULL DEFAULT 0 CHECK (alerts_open >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 75);
CREATE INDEX h3_cells_county_res_idx ON h3_cells (county_code, res);
CREATE INDEX h3_cells_township_idx ON h3_cells (township_code, res);
CREATE INDEX h3_cells_geom_gix ON h3_cells USING gist (geom);
-- "cells of resolution R touching this bbox" under a generic plan (which cannot know R): (res, geom) serves both.
CREATE INDEX h3_cells_res_geom_gix ON h3_cells USING gist (res, geom);

-- ------------------------------------------------------------------------------------ reference data
CREATE TABLE departments (
    code    text PRIMARY KEY CHECK (code ~ '^[a-z_]+$'),
    name    text NOT NULL UNIQUE,       -- 市场监管 …
    name_en text NOT NULL
);

CREATE TABLE inspection_items (
    code            text PRIMARY KEY,
    department_code text NOT NULL REFERENCES departments (code),
    name            text NOT NULL,
    legal_basis     text NOT NULL DEFAULT '',
    service_minutes integer NOT NULL DEFAULT 20 CHECK (service_minutes BETWEEN 1 AND 480)
);
CREATE INDEX inspection_items_dept_idx ON inspection_items (department_code);

CREATE TABLE industries (
    code         text PRIMARY KEY,
    name         text NOT NULL UNIQUE,   -- 餐饮 …
    name_en      text NOT NULL,
    -- business peak hours to avoid, as [["11:00","13:30"], ["17:00","19:30"]]
    busy_windows jsonb NOT NULL DEFAULT '[]'::jsonb
);

-- --------------------------------------------------------------------------------------- enterprises
CREATE TABLE enterprises (
    id            bigserial PRIMARY KEY,
    county_code   text NOT NULL REFERENCES counties (code),
    township_code text REFERENCES townships (code),
    -- the USCC: exactly 18 characters of the code alphabet (digits and capitals without I, O, S, V, Z). A length
    -- test plus a search for any character outside the alphabet costs ~0.2 s of server CPU per million COPY rows,
    -- the anchored regex '^[...]{18}$' ~1.1 s (bench/import_enterprises.py); same rule.
    uscc          text NOT NULL CONSTRAINT enterprises_uscc_check
                       CHECK (octet_length(uscc) = 18 AND uscc !~ '[^0-9A-HJ-NP-RTUW-Y]'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    address       text NOT NULL DEFAULT '',
    industry_code text REFERENCES industries (code),
    risk          text NOT NULL CHECK (risk IN ('high', 'elevated', 'general', 'low')),
    credit        text NOT NULL CHECK (credit IN ('A', 'B', 'C', 'D')),
    no_visit      boolean NOT NULL DEFAULT false,   -- on the no-visit list: remote supervision only
    geom          geometry(Point, 4326) NOT NULL,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (county_code, uscc)
);
CREATE INDEX enterprises_geom_gix ON enterprises USING gist (geom);
CREATE INDEX enterprises_h3_r7_idx ON enterprises (h3_r7);
CREATE INDEX enterprises_h3_r8_idx ON enterprises (h3_r8);
CREATE INDEX enterprises_h3_r9_idx ON enterprises (h3_r9);
CREATE INDEX enterprises_township_idx ON enterprises (township_code);
CREATE INDEX enterprises_name_idx ON enterprises (county_code, name text_pattern_ops);
-- Map: a view with more enterprises than MapSettings.max_points gets the high and elevated risk ones first.
CREATE INDEX enterprises_priority_geom_gix ON enterprises USING gist (geom) WHERE risk IN ('high', 'elevated');
-- Coverage counts one county's enterprises by risk grade.
CREATE INDEX enterprises_measure_idx ON enterprises (county_code, risk)
    INCLUDE (id, township_code, industry_code, h3_r7, h3_r8, h3_r9);
-- Coverage joins the enterprises touched in a period (up to ~150k for a 1M-enterprise county-month) by id in id
-- order: an index-only walk instead of hashing the whole register.
CREATE INDEX enterprises_id_measure_idx ON enterprises (id)
    INCLUDE (county_code, township_code, industry_code, risk, h3_r7, h3_r8, h3_r9);

-- ----------------------------------------------------------------------------------------------- teams
CREATE TABLE teams (
    id             bigserial PRIMARY KEY,
    county_code    text NOT NULL REFERENCES counties (code),
    township_code  text REFERENCES townships (code),      -- NULL: county-level department squad
    name           text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('township', 'squad')),
    department_code text REFERENCES departments (code),    -- squads belong to a department
    qualifications text[] NOT NULL DEFAULT '{}',           -- department codes whose items it may inspect
    members        smallint NOT NULL DEFAULT 2 CHECK (members BETWEEN 1 AND 50),
    base           geometry(Point, 4326) NOT NULL,
    base_h3_r9     bigint NOT NULL,
    status         text NOT NULL DEFAULT 'idle'
                   CHECK (status IN ('idle', 'out', 'en_route', 'on_site', 'rest')),  -- 空闲/出勤/在途/现场/休息
    position       geometry(Point, 4326),
    position_h3_r9 bigint,
    position_at    timestamptz,
    active         boolean NOT NULL DEFAULT true,
    UNIQUE (county_code, name)
);
CREATE INDEX teams_county_idx ON teams (county_code, township_code);
CREATE INDEX teams_base_gix ON teams USING gist (base);
CREATE INDEX teams_position_gix ON teams USING gist (position);

CREATE TABLE inspectors (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL REFERENCES counties (code),
    team_id         bigint REFERENCES teams (id) ON DELETE SET NULL,
    name            text NOT NULL,
    badge_no        text NOT NULL,                  -- 执法证号
    department_code text NOT NULL REFERENCES departments (code),
    qualifications  text[] NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    UNIQUE (county_code, badge_no)
);
CREATE INDEX inspectors_team_idx ON inspectors (team_id);

-- Position reporting devices (vehicle trackers, body cameras, phones running Traccar Client) bound to a team. A
-- device authenticates with its own token (shown once; only the SHA-256 is kept, like api_tokens).
CREATE TABLE devices (
    id           bigserial PRIMARY KEY,
    county_code  text NOT NULL REFERENCES counties (code),
    team_id      bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    identifier   text NOT NULL UNIQUE CHECK (identifier ~ '^[A-Za-z0-9_.:-]{1,64}$'),  -- what the tracker sends as id
    kind         text NOT NULL DEFAULT 'tracker' CHECK (kind IN ('tracker', 'vehicle', 'body_camera', 'phone')),
    label        text NOT NULL DEFAULT '' CHECK (length(label) <= 100),
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_by   text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    last_fix_at  timestamptz
);
CREATE INDEX devices_team_idx ON devices (team_id);

-- Team track points, with where they came from and whether they moved the team:
--   flag ''               the fix moved the team (newest so far, plausible)
--   'late'                older than the team's current position (out of order, or another device was newer)
--   'outside_county'      outside the county's outline
--   'speed'               absurd speed (reported, or implied since the device's previous followed fix)
CREATE TABLE team_positions (
    id          bigserial PRIMARY KEY,
    county_code text NOT NULL,
    team_id     bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4326) NOT NULL,
    h3_r7       bigint NOT NULL,
    h3_r8       bigint NOT NULL,
    h3_r9       bigint NOT NULL,
    status      text NOT NULL,
    device_id   bigint REFERENCES devices (id) ON DELETE CASCADE,
    source      text NOT NULL DEFAULT 'system' CHECK (source IN ('system', 'device', 'field')),
    speed_kmh   real,
    bearing     real,
    altitude_m  real,
    accuracy_m  real,
    battery_pct real,
    flag        text NOT NULL DEFAULT '' CHECK (flag IN ('', 'late', 'outside_county', 'speed')),
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX team_positions_team_at_idx ON team_positions (team_id, at DESC);
CREATE INDEX team_positions_geom_gix ON team_positions USING gist (geom);
CREATE INDEX team_positions_h3_r7_idx ON team_positions (h3_r7);
CREATE INDEX team_positions_h3_r8_idx ON team_positions (h3_r8);
CREATE INDEX team_positions_h3_r9_idx ON team_positions (h3_r9);
-- A fix that comes twice (retries, a tracker's resend buffer) is stored once.
CREATE UNIQUE INDEX team_positions_device_fix_key ON team_positions (device_id, at) WHERE device_id IS NOT NULL;
-- Pruning by age scans by time.
CREATE INDEX team_positions_at_idx ON team_positions (at);

-- ------------------------------------------------------------------------------------------- planning
CREATE TABLE inspection_tasks (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL REFERENCES counties (code),
    department_code text NOT NULL REFERENCES departments (code),
    enterprise_id   bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    items           text[] NOT NULL CHECK (cardinality(items) > 0),
    reason          text NOT NULL CHECK (reason IN ('annual', 'random', 'special', 'complaint', 'alert')),
    earliest        date NOT NULL,
    latest          date NOT NULL,
    status          text NOT NULL DEFAULT 'filed'
                    CHECK (status IN ('filed', 'planned', 'done', 'remote', 'cancelled')),
    draw_id         bigint,
    plan_id         bigint,
    visit_id        bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (earliest <= latest)
);
CREATE INDEX inspection_tasks_enterprise_idx ON inspection_tasks (enterprise_id);
CREATE INDEX inspection_tasks_window_idx ON inspection_tasks (county_code, earliest, latest);

-- ---------------------------------------------------------------------------------------------- visits
CREATE TABLE visits (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL REFERENCES counties (code),
    township_code   text REFERENCES townships (code),
    enterprise_id   bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    team_id         bigint REFERENCES teams (id) ON DELETE SET NULL,
    visit_date      date NOT NULL,
    started_at      timestamptz,
    lead_department text NOT NULL REFERENCES departments (code),
    departments     text[] NOT NULL CHECK (cardinality(departments) > 0),   -- departments whose items it covered
    items           text[] NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'done' CHECK (status IN ('planned', 'done', 'cancelled')),
    reason          text NOT NULL DEFAULT 'annual'
                    CHECK (reason IN ('annual', 'random', 'special', 'complaint', 'alert')),
    planned         boolean NOT NULL DEFAULT true,    -- came from a filed plan
    from_draw       boolean NOT NULL DEFAULT false,   -- came from a 双随机 draw
    task_count      integer NOT NULL DEFAULT 1 CHECK (task_count >= 1),  -- department tasks carried out
    code            text UNIQUE,                      -- 行政行为码
    code_scanned    boolean NOT NULL DEFAULT false,
    scanned_at      timestamptz,
    scan_geom       geometry(Point, 4326),
    result          text NOT NULL DEFAULT '',
    rating          smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment  text,
    rated_at        timestamptz,
    plan_id         bigint,
    geom            geometry(Point, 4326) NOT NULL,   -- the enterprise's location
    h3_r7           bigint NOT NULL,
    h3_r8           bigint NOT NULL,
    h3_r9           bigint NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- the repeat-inspection rule (docs/measures.md), kept current by the statement triggers of visits
    -- (schema/functions/visits_repeat_refresh.sql) instead of a self-join per KPI panel
    is_repeat       boolean NOT NULL DEFAULT false,
    CHECK (lead_department = ANY (departments))
);
CREATE INDEX visits_enterprise_date_idx ON visits (enterprise_id, visit_date);
CREATE INDEX visits_county_date_idx ON visits (county_code, visit_date);
CREATE INDEX visits_township_date_idx ON visits (township_code, visit_date);
CREATE INDEX visits_geom_gix ON visits USING gist (geom);
CREATE INDEX visits_h3_r7_idx ON visits (h3_r7);
CREATE INDEX visits_h3_r8_idx ON visits (h3_r8);
CREATE INDEX visits_h3_r9_idx ON visits (h3_r9);
CREATE INDEX visits_team_date_planned_idx ON visits (team_id, visit_date) WHERE status = 'planned';
-- The KPI panel reads one county's visits of one period: a covering index keeps it to an index-only scan.
CREATE INDEX visits_measure_idx ON visits (county_code, visit_date)
    INCLUDE (township_code, enterprise_id, departments, task_count, planned, from_draw, reason,
             code_scanned, rating, is_repeat, h3_r7, h3_r8, h3_r9)
    WHERE status = 'done';

-- ------------------------------------------------------------------------------------ alerts, incidents
CREATE TABLE alert_types (
    code             text PRIMARY KEY,
    name             text NOT NULL UNIQUE,   -- 占道经营 …
    name_en          text NOT NULL,
    remote_closable  boolean NOT NULL DEFAULT false,     -- may be closed without a visit (非现场处置)
    window_minutes   integer NOT NULL DEFAULT 120 CHECK (window_minutes > 0),  -- de-duplication time window
    ring             smallint NOT NULL DEFAULT 1 CHECK (ring BETWEEN 0 AND 5),  -- H3 res-9 neighbourhood
    departments      text[] NOT NULL DEFAULT '{}',        -- teams need one of these qualifications
    -- SLA minutes from incident creation to team on site, per severity
    sla_minutes      jsonb NOT NULL DEFAULT '{"low": 480, "medium": 240, "high": 120, "urgent": 60}'::jsonb
);

-- Alerts and incidents are the intake's hottest tables: every index and per-row foreign key costs each stored
-- alert. Their references to counties, townships, alert types (and alerts' to incidents, timeline events' to
-- incidents) are checked once per statement by triggers (schema/functions/check_intake_references.sql and the
-- ones beside it) under the constraint names the foreign keys had; they keep only the indexes some query reads:
-- no GiST on their points (never searched by point), no res-7/8 B-trees (coarser cells are asked for through
-- their res-9 cells, geo_data.cells.res9_cells). Pages keep room for HOT updates of incidents.
CREATE TABLE incidents (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL,
    township_code   text,
    type_code       text NOT NULL,
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'urgent')),
    status          text NOT NULL DEFAULT 'open'
                    CHECK (status IN ('open', 'dispatched', 'resolved', 'closed', 'remote_closed')),
    first_seen      timestamptz NOT NULL,
    last_seen       timestamptz NOT NULL,
    alert_count     integer NOT NULL DEFAULT 1 CHECK (alert_count >= 1),
    sources         text[] NOT NULL DEFAULT '{}',
    enterprise_id   bigint REFERENCES enterprises (id) ON DELETE SET NULL,
    geom            geometry(Point, 4326) NOT NULL,
    h3_r7           bigint NOT NULL,
    h3_r8           bigint NOT NULL,
    h3_r9           bigint NOT NULL,
    sla_due_at      timestamptz NOT NULL,
    escalated       boolean NOT NULL DEFAULT false,
    escalated_at    timestamptz,
    escalation_reason text,
    on_site_at      timestamptz,
    closed_at       timestamptz,
    closed_by       text,
    close_reason    text,
    close_evidence  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (first_seen <= last_seen)
) WITH (fillfactor = 75);
CREATE INDEX incidents_open_match_idx ON incidents (county_code, type_code, h3_r9) WHERE status IN ('open', 'dispatched');
CREATE INDEX incidents_township_status_idx ON incidents (township_code, status);
CREATE INDEX incidents_county_created_idx ON incidents (county_code, created_at);
CREATE INDEX incidents_h3_r9_idx ON incidents (h3_r9);
CREATE INDEX incidents_open_sla_idx ON incidents (sla_due_at) WHERE status IN ('open', 'dispatched');
CREATE INDEX incidents_enterprise_first_seen_idx ON incidents (enterprise_id, first_seen)
    WHERE enterprise_id IS NOT NULL;
CREATE INDEX incidents_closed_measure_idx ON incidents (county_code, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX incidents_first_seen_measure_idx ON incidents (county_code, first_seen) INCLUDE (enterprise_id);

CREATE TABLE alerts (
    id            bigserial PRIMARY KEY,
    county_code   text NOT NULL,
    township_code text,
    source        text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),     -- the sending system
    source_id     text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 128), -- its own alert id
    source_kind   text NOT NULL CHECK (source_kind IN ('drone', 'ai_camera', 'sensor', 'complaint')),
    type_code     text NOT NULL,
    observed_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    confidence    real CHECK (confidence BETWEEN 0 AND 1),
    severity      text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'urgent')),
    evidence_url  text,
    description   text,
    enterprise_id bigint REFERENCES enterprises (id) ON DELETE SET NULL,
    incident_id   bigint,
    geom          geometry(Point, 4326) NOT NULL,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    UNIQUE (source, source_id)
);
-- One index by county and time serves the map, playback and the coverage measure (an index-only scan filters
-- the alerts without an enterprise).
CREATE INDEX alerts_county_observed_idx ON alerts (county_code, observed_at) INCLUDE (enterprise_id);
CREATE INDEX alerts_incident_idx ON alerts (incident_id);
CREATE INDEX alerts_h3_r9_idx ON alerts (h3_r9);
-- The coverage pre-aggregate looks up the alerts and incidents of the touched enterprises in a month range.
CREATE INDEX alerts_enterprise_observed_idx ON alerts (enterprise_id, observed_at) WHERE enterprise_id IS NOT NULL;

-- ------------------------------------------------------------------------------------------ dispatch
CREATE TABLE dispatches (
    id            bigserial PRIMARY KEY,
    county_code   text NOT NULL REFERENCES counties (code),
    township_code text REFERENCES townships (code),
    incident_id   bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    team_id       bigint NOT NULL REFERENCES teams (id),
    status        text NOT NULL DEFAULT 'assigned'
                  CHECK (status IN ('assigned', 'accepted', 'en_route', 'on_site', 'resolved', 'closed',
                                    'reassigned', 'cancelled')),
    assigned_by   text NOT NULL,
    assigned_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    eta_minutes   real
);
-- A team can never hold two active dispatches; an incident has at most one active dispatch.
CREATE UNIQUE INDEX dispatches_one_active_per_team ON dispatches (team_id)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site');
CREATE UNIQUE INDEX dispatches_one_active_per_incident ON dispatches (incident_id)
    WHERE status IN ('assigned', 'accepted', 'en_route', 'on_site');
CREATE INDEX dispatches_incident_idx ON dispatches (incident_id);
CREATE INDEX dispatches_team_assigned_idx ON dispatches (team_id, assigned_at);

-- The incident timeline. Its incident reference is checked per statement (see alerts and incidents).
CREATE TABLE dispatch_events (
    id          bigserial PRIMARY KEY,
    county_code text NOT NULL,
    incident_id bigint NOT NULL,
    dispatch_id bigint REFERENCES dispatches (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    event       text NOT NULL,   -- created, alert_joined, assigned, accepted, en_route, on_site, resolved, closed,
                                 -- remote_closed, reassigned, escalated
    note        text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX dispatch_events_incident_idx ON dispatch_events (incident_id, at);
CREATE INDEX dispatch_events_on_site_idx ON dispatch_events (incident_id, at) WHERE event = 'on_site';

-- -------------------------------------------------------------------------------------------- access
CREATE TABLE roles (
    code    text PRIMARY KEY,
    name    text NOT NULL,
    name_en text NOT NULL
);
INSERT INTO roles (code, name, name_en) VALUES
    ('county_operator', '县级指挥中心值班员', 'County operator'),
    ('township_dispatcher', '乡镇指挥中心调度员', 'Township dispatcher'),
    ('planner', '计划编排员', 'Planner'),
    ('viewer', '大屏展示', 'Wall display viewer'),
    ('admin', '系统管理员', 'Administrator'),
    ('inspector', '执法队员', 'Field inspector');

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.@-]{2,64}$'),
    display_name    text NOT NULL DEFAULT '',
    password_hash   text NOT NULL,
    role            text NOT NULL REFERENCES roles (code),
    county_code     text NOT NULL REFERENCES counties (code),
    township_code   text REFERENCES townships (code),
    active          boolean NOT NULL DEFAULT true,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    last_login_at   timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- an inspector (执法队员) belongs to one team, of the user's county (checked by geo_data.users)
    team_id         bigint REFERENCES teams (id),
    -- the password rules' state and the second factor (RFC 6238 TOTP)
    must_change_password boolean NOT NULL DEFAULT false,
    password_changed_at  timestamptz,
    totp_secret          text,          -- base32; set once an enrolment is confirmed
    totp_pending_secret  text,          -- an enrolment shown but not yet confirmed by a code
    totp_enabled_at      timestamptz,
    totp_last_step       bigint,        -- the last accepted 30 s step: a code works once
    CHECK (role <> 'township_dispatcher' OR township_code IS NOT NULL),
    CONSTRAINT users_inspector_has_team CHECK (role <> 'inspector' OR team_id IS NOT NULL)
);
CREATE INDEX users_team_idx ON users (team_id) WHERE team_id IS NOT NULL;

CREATE TABLE api_tokens (
    id          bigserial PRIMARY KEY,
    token_hash  text NOT NULL UNIQUE,     -- sha256 of the token; the token itself is shown once
    prefix      text NOT NULL,            -- first characters, to recognise a token in lists
    kind        text NOT NULL DEFAULT 'source' CHECK (kind IN ('source', 'display', 'scan')),
    source      text NOT NULL,
    county_code text NOT NULL REFERENCES counties (code),
    scopes      text[] NOT NULL DEFAULT '{alerts:write}',
    created_by  text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz,
    last_used_at timestamptz
);
CREATE INDEX api_tokens_prefix_idx ON api_tokens (prefix);

-- Append-only, hash-chained audit trail: hash = sha256(canonical row incl. prev_hash); the head (seq, hash)
-- is also kept in app_state so a deleted last row is detected. Only audit_prune() removes rows (its oldest).
CREATE TABLE audit_log (
    id            bigserial PRIMARY KEY,
    seq           bigint NOT NULL UNIQUE CHECK (seq >= 1),   -- gap-free position in the chain
    at            timestamptz NOT NULL DEFAULT now(),
    actor         text NOT NULL,
    actor_kind    text NOT NULL DEFAULT 'user' CHECK (actor_kind IN ('user', 'token', 'system', 'cli')),
    action        text NOT NULL,
    object_type   text NOT NULL DEFAULT '',
    object_id     text NOT NULL DEFAULT '',
    county_code   text,
    township_code text,
    detail        jsonb NOT NULL DEFAULT '{}'::jsonb,
    remote_addr   text NOT NULL DEFAULT '',
    prev_hash     text NOT NULL,
    hash          text NOT NULL UNIQUE
);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);

-- Key/value state of the installation (e.g. whether the demo was loaded).
CREATE TABLE app_state (
    key   text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- One row per login. The cookie holds a random id; only its SHA-256 is stored here. Deactivation, a new
-- password, a change of role, county, township or team, and a revoked display token end the sessions in the
-- same transaction whichever path made the change (triggers of users and api_tokens).
CREATE TABLE user_sessions (
    id               bigserial PRIMARY KEY,
    sid_hash         text NOT NULL UNIQUE,
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('password', 'display')),
    display_token_id bigint REFERENCES api_tokens (id),
    -- a step still owed before the session reaches anything but its login pages
    pending          text CHECK (pending IN ('totp', 'enrol', 'password')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    end_reason       text,
    remote_addr      text NOT NULL DEFAULT '',
    user_agent       text NOT NULL DEFAULT '',
    CHECK ((kind = 'display') = (display_token_id IS NOT NULL)),
    CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
CREATE INDEX user_sessions_live_user_idx ON user_sessions (user_id) WHERE ended_at IS NULL;
CREATE INDEX user_sessions_live_token_idx ON user_sessions (display_token_id) WHERE ended_at IS NULL;

-- Failed logins per (name as typed, client address); username '' is the address's count across all names.
-- Unknown names are counted like known ones, so the answers never tell them apart.
CREATE TABLE login_throttle (
    username       text NOT NULL,
    remote_addr    text NOT NULL,
    failures       integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    first_failure_at timestamptz NOT NULL DEFAULT now(),
    last_failure_at  timestamptz NOT NULL DEFAULT now(),
    blocked_until  timestamptz,
    PRIMARY KEY (username, remote_addr)
);
CREATE INDEX login_throttle_user_idx ON login_throttle (username);

CREATE TABLE user_recovery_codes (
    id        bigserial PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash text NOT NULL,                       -- SHA-256 of the code; the codes are shown once
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at   timestamptz,
    UNIQUE (user_id, code_hash)
);

-- ------------------------------------------------------------------------------------------ field loop
-- Unknown codes asked for by a client address (the enterprise page and the scan/rating API): guessing is
-- rate-limited per address, since a wrong code has no row of its own to count attempts on.
CREATE TABLE visit_code_misses (
    id          bigserial PRIMARY KEY,
    remote_addr text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX visit_code_misses_addr_idx ON visit_code_misses (remote_addr, at DESC);

-- Evidence photos of an incident (field steps, remote closure) or a visit. The bytes live under the evidence
-- folder, content-addressed by the SHA-256 of the stored (EXIF-stripped, re-encoded) file:
-- <dir>/<sha256[0:2]>/<sha256>.<ext>, its thumbnail under <dir>/thumbs/. The database keeps the hash, what the
-- photo's EXIF said about time and place, and who uploaded it. The same photo sent twice for one incident is one row.
CREATE TABLE evidence_files (
    id             bigserial PRIMARY KEY,
    county_code    text NOT NULL REFERENCES counties (code),
    township_code  text REFERENCES townships (code),
    incident_id    bigint REFERENCES incidents (id) ON DELETE CASCADE,
    visit_id       bigint REFERENCES visits (id) ON DELETE CASCADE,
    sha256         text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type     text NOT NULL CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes          integer NOT NULL CHECK (bytes > 0),
    width          integer NOT NULL CHECK (width > 0),
    height         integer NOT NULL CHECK (height > 0),
    original_name  text NOT NULL DEFAULT '' CHECK (length(original_name) <= 200),
    taken_at       timestamptz,                      -- EXIF DateTimeOriginal (Asia/Shanghai when no offset)
    geom           geometry(Point, 4326),            -- EXIF GPS position (WGS-84)
    client_id      uuid UNIQUE,                      -- the sender's id of this upload (offline queues)
    uploaded_by    text NOT NULL,
    uploaded_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (incident_id IS NOT NULL OR visit_id IS NOT NULL)
);
CREATE UNIQUE INDEX evidence_files_incident_sha_key ON evidence_files (incident_id, sha256) WHERE incident_id IS NOT NULL;
CREATE INDEX evidence_files_visit_idx ON evidence_files (visit_id) WHERE visit_id IS NOT NULL;
CREATE INDEX evidence_files_sha_idx ON evidence_files (sha256);
-- Where photos were taken: every geometry has its GiST index (a map of evidence near a place).
CREATE INDEX evidence_files_geom_gix ON evidence_files USING gist (geom);

-- Every step an inspector sent from the field app, keyed by the phone's id of it (a UUID made when the person
-- tapped): a resend from the offline queue finds its row and gets the same answer, nothing happens twice.
-- ``at`` is the phone's time of the tap (what the timeline and the measures show), ``received_at`` the server's.
CREATE TABLE field_steps (
    client_id    uuid PRIMARY KEY,
    county_code  text NOT NULL REFERENCES counties (code),
    user_id      bigint NOT NULL REFERENCES users (id),
    team_id      bigint NOT NULL REFERENCES teams (id),
    incident_id  bigint,
    dispatch_id  bigint,
    visit_id     bigint REFERENCES visits (id) ON DELETE CASCADE,
    step         text NOT NULL CHECK (step IN ('accepted', 'en_route', 'on_site', 'resolved', 'visit_result')),
    at           timestamptz NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    geom         geometry(Point, 4326),
    accuracy_m   real,
    note         text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    answer       jsonb NOT NULL DEFAULT '{}'::jsonb,
    CHECK ((step = 'visit_result') = (visit_id IS NOT NULL)),
    CHECK (step = 'visit_result' OR incident_id IS NOT NULL)
);
CREATE INDEX field_steps_incident_idx ON field_steps (incident_id) WHERE incident_id IS NOT NULL;
-- Where each step was taken: every geometry has its GiST index.
CREATE INDEX field_steps_geom_gix ON field_steps USING gist (geom);

-- What the inspectors found on a visit (taken on site in the field app): items checked, problem or none,
-- follow-up. One per visit; the visit becomes 'done'.
CREATE TABLE visit_results (
    visit_id      bigint PRIMARY KEY REFERENCES visits (id) ON DELETE CASCADE,
    county_code   text NOT NULL REFERENCES counties (code),
    items_checked text[] NOT NULL DEFAULT '{}',
    problem_found boolean NOT NULL,
    follow_up     text NOT NULL DEFAULT 'none' CHECK (follow_up IN ('none', 'rectify', 'recheck', 'case')),
    note          text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    at            timestamptz NOT NULL,
    recorded_by   text NOT NULL,
    client_id     uuid UNIQUE
);

-- ---------------------------------------------------------------------------------- visit planning
-- Plans and their joint visits (综合查一次), quotas (无事不扰), 双随机 draws, routing jobs and inspection codes
-- (行政行为码). See docs/planning.md.

-- Most on-site visits per enterprise per calendar year by risk × credit. Rows with county_code NULL are the
-- defaults; a county may override any cell with its own row.
CREATE TABLE quota_matrix (
    id          bigserial PRIMARY KEY,
    county_code text REFERENCES counties (code) ON DELETE CASCADE,
    risk        text NOT NULL CHECK (risk IN ('high', 'elevated', 'general', 'low')),
    credit      text NOT NULL CHECK (credit IN ('A', 'B', 'C', 'D')),
    max_visits  smallint NOT NULL CHECK (max_visits BETWEEN 0 AND 52),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX quota_matrix_cell_uq ON quota_matrix (coalesce(county_code, ''), risk, credit);
INSERT INTO quota_matrix (county_code, risk, credit, max_visits) VALUES
    (NULL, 'high', 'A', 2), (NULL, 'high', 'B', 3), (NULL, 'high', 'C', 4), (NULL, 'high', 'D', 6),
    (NULL, 'elevated', 'A', 1), (NULL, 'elevated', 'B', 2), (NULL, 'elevated', 'C', 3), (NULL, 'elevated', 'D', 4),
    (NULL, 'general', 'A', 1), (NULL, 'general', 'B', 1), (NULL, 'general', 'C', 2), (NULL, 'general', 'D', 3),
    (NULL, 'low', 'A', 0), (NULL, 'low', 'B', 1), (NULL, 'low', 'C', 1), (NULL, 'low', 'D', 2);

-- Recusal: an inspector may never be drawn for an enterprise listed here.
CREATE TABLE inspector_conflicts (
    inspector_id  bigint NOT NULL REFERENCES inspectors (id) ON DELETE CASCADE,
    enterprise_id bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    reason        text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (inspector_id, enterprise_id)
);

CREATE TABLE draws (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL REFERENCES counties (code),
    department_code text NOT NULL REFERENCES departments (code),
    items           text[] NOT NULL CHECK (cardinality(items) > 0),
    period_start    date NOT NULL,
    period_end      date NOT NULL,
    seed            bigint NOT NULL CHECK (seed >= 0),
    params          jsonb NOT NULL,               -- proportions, filters, algorithm version: enough to redo it
    register_size   integer NOT NULL CHECK (register_size >= 0),
    register_digest text NOT NULL,                -- sha256 of the canonical register (ids, strata) drawn from
    target_count    integer NOT NULL CHECK (target_count >= 0),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (period_start <= period_end)
);
CREATE INDEX draws_county_idx ON draws (county_code, created_at DESC);

CREATE TABLE draw_targets (
    draw_id       bigint NOT NULL REFERENCES draws (id) ON DELETE CASCADE,
    enterprise_id bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    stratum       text NOT NULL,
    position      integer NOT NULL,               -- order of drawing (for the published list)
    task_id       bigint REFERENCES inspection_tasks (id) ON DELETE SET NULL,
    PRIMARY KEY (draw_id, enterprise_id)
);

CREATE TABLE draw_inspectors (
    draw_id       bigint NOT NULL,
    enterprise_id bigint NOT NULL,
    slot          smallint NOT NULL CHECK (slot BETWEEN 1 AND 4),
    inspector_id  bigint REFERENCES inspectors (id) ON DELETE SET NULL,
    note          text NOT NULL DEFAULT '',       -- e.g. why a slot stayed empty
    PRIMARY KEY (draw_id, enterprise_id, slot),
    FOREIGN KEY (draw_id, enterprise_id) REFERENCES draw_targets (draw_id, enterprise_id) ON DELETE CASCADE
);
CREATE INDEX draw_inspectors_inspector_idx ON draw_inspectors (inspector_id);

CREATE TABLE visit_plans (
    id            bigserial PRIMARY KEY,
    county_code   text NOT NULL REFERENCES counties (code),
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'approved', 'superseded')),
    task_count    integer NOT NULL DEFAULT 0,
    visit_count   integer NOT NULL DEFAULT 0,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    approved_by   text,
    approved_at   timestamptz,
    CHECK (period_start <= period_end)
);
CREATE INDEX visit_plans_county_idx ON visit_plans (county_code, period_start);

-- One proposed enterprise visit (joint when it carries tasks of several departments).
CREATE TABLE plan_visits (
    id               bigserial PRIMARY KEY,
    plan_id          bigint NOT NULL REFERENCES visit_plans (id) ON DELETE CASCADE,
    county_code      text NOT NULL REFERENCES counties (code),
    township_code    text REFERENCES townships (code),
    enterprise_id    bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    lead_department  text NOT NULL REFERENCES departments (code),
    departments      text[] NOT NULL CHECK (cardinality(departments) > 0),
    items            text[] NOT NULL CHECK (cardinality(items) > 0),
    reasons          text[] NOT NULL DEFAULT '{}',
    earliest         date NOT NULL,
    latest           date NOT NULL,
    -- proposed: will be routed; held: quota/no-visit flag, not routed unless the planner accepts it;
    -- remote: turned into a remote (non-site) check
    status           text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'held', 'remote')),
    apart_reason     text NOT NULL DEFAULT '',    -- why tasks of this enterprise were not merged into it
    quota_flag       text NOT NULL DEFAULT '',    -- reason the visit breaks a quota ('' = none)
    quota_alternative text NOT NULL DEFAULT '',
    quota_exceeded_allowed boolean NOT NULL DEFAULT false,  -- complaint/alert: may exceed, recorded
    team_id          bigint REFERENCES teams (id) ON DELETE SET NULL,
    visit_date       date,
    route_seq        smallint,
    start_min        real,                        -- planned on-site start, minutes from midnight
    unassigned_reason text NOT NULL DEFAULT '',
    code             text UNIQUE,
    visit_id         bigint REFERENCES visits (id) ON DELETE SET NULL,
    -- joint crew (联合检查组): a township team joined by department squads
    crew_team_ids    bigint[] NOT NULL DEFAULT '{}',
    CHECK (earliest <= latest),
    CHECK (lead_department = ANY (departments))
);
CREATE INDEX plan_visits_plan_idx ON plan_visits (plan_id);
CREATE INDEX plan_visits_enterprise_idx ON plan_visits (enterprise_id);

CREATE TABLE plan_visit_tasks (
    plan_id       bigint NOT NULL REFERENCES visit_plans (id) ON DELETE CASCADE,
    plan_visit_id bigint NOT NULL REFERENCES plan_visits (id) ON DELETE CASCADE,
    task_id       bigint NOT NULL REFERENCES inspection_tasks (id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, task_id)
);
CREATE INDEX plan_visit_tasks_visit_idx ON plan_visit_tasks (plan_visit_id);

-- Team-day summaries of the routed plan.
CREATE TABLE plan_team_days (
    plan_id    bigint NOT NULL REFERENCES visit_plans (id) ON DELETE CASCADE,
    team_id    bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    visit_date date NOT NULL,
    depart_min real NOT NULL,
    return_min real NOT NULL,
    travel_min real NOT NULL,
    work_min   real NOT NULL,
    stops      integer NOT NULL,
    crew_team_ids bigint[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (plan_id, team_id, visit_date)
);

-- Background routing solves: progress kept here so any page (or process) can show it.
CREATE TABLE route_jobs (
    id          bigserial PRIMARY KEY,
    county_code text NOT NULL REFERENCES counties (code),
    plan_id     bigint NOT NULL REFERENCES visit_plans (id) ON DELETE CASCADE,
    status      text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress    real NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    message     text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX route_jobs_plan_idx ON route_jobs (plan_id, created_at DESC);

CREATE TABLE visit_codes (
    code           text PRIMARY KEY CHECK (code ~ '^ZJ[0-9]{6}[0-9]{8}[A-Z2-7]{10}$'),
    county_code    text NOT NULL REFERENCES counties (code),
    plan_visit_id  bigint REFERENCES plan_visits (id) ON DELETE SET NULL,
    visit_id       bigint REFERENCES visits (id) ON DELETE CASCADE,
    enterprise_id  bigint NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    team_id        bigint REFERENCES teams (id) ON DELETE SET NULL,
    visit_date     date NOT NULL,
    inspector_ids  bigint[] NOT NULL DEFAULT '{}',
    items          text[] NOT NULL CHECK (cardinality(items) > 0),
    created_at     timestamptz NOT NULL DEFAULT now(),
    scanned_at     timestamptz,
    scan_geom      geometry(Point, 4326),
    scan_distance_m real,
    rating         smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment text,
    rated_at       timestamptz
);
CREATE INDEX visit_codes_enterprise_idx ON visit_codes (enterprise_id, visit_date);

-- Attempts per code (accepted or refused), for rate limiting and review.
CREATE TABLE visit_code_attempts (
    id       bigserial PRIMARY KEY,
    code     text NOT NULL,
    kind     text NOT NULL CHECK (kind IN ('scan', 'rating')),
    at       timestamptz NOT NULL DEFAULT now(),
    accepted boolean NOT NULL,
    reason   text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX visit_code_attempts_code_idx ON visit_code_attempts (code, at DESC);

-- --------------------------------------------------------------------------- measures and coverage
-- Definitions: docs/measures.md, enforcement/measures.py. The pre-aggregates below keep the KPI panel within 1 s
-- on 1M enterprises / 2M visits (bench/kpis.py); statement triggers keep them current (schema/triggers/), and
-- bulk loads may defer them and rebuild a county once (measure_preaggregates_rebuild).

-- Remote monitoring coverage (非现场监管覆盖): H3 res-9 cells seen by a drone flight track (buffered) or an AI
-- camera's field of view, over a validity period. Imported by `gridcommand import coverage`.
CREATE TABLE monitoring_coverage (
    id          bigserial PRIMARY KEY,
    cell        bigint NOT NULL,                       -- H3 res 9
    county_code text NOT NULL REFERENCES counties (code) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('drone_track', 'camera_fov')),
    source      text NOT NULL CHECK (length(source) BETWEEN 1 AND 200),   -- file / feature that produced it
    valid_from  date NOT NULL,
    valid_to    date,                                  -- NULL: still valid
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to IS NULL OR valid_from <= valid_to),
    UNIQUE (county_code, kind, source, cell, valid_from)
);
CREATE INDEX monitoring_coverage_county_cell_idx ON monitoring_coverage (county_code, cell)
    INCLUDE (valid_from, valid_to);

-- Enterprises per (county, township, res-7/8/9 cells, risk): the denominators of coverage without scanning the
-- register (an industry filter reads the register).
CREATE TABLE enterprise_counts (
    county_code   text NOT NULL,
    township_code text,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    risk          text NOT NULL,
    n             integer NOT NULL CHECK (n >= 0),
    -- all three cells: a point's res-8 cell is not always the parent of its res-9 cell (H3 does not nest exactly)
    CONSTRAINT enterprise_counts_cells_key UNIQUE NULLS NOT DISTINCT (county_code, h3_r9, h3_r8, h3_r7, township_code, risk)
);
CREATE INDEX enterprise_counts_county_idx ON enterprise_counts (county_code)
    INCLUDE (township_code, h3_r7, h3_r8, h3_r9, risk, n);
CREATE INDEX enterprise_counts_empty_idx ON enterprise_counts (county_code) WHERE n = 0;
CREATE INDEX enterprise_counts_h3_r7_idx ON enterprise_counts (h3_r7);
CREATE INDEX enterprise_counts_h3_r8_idx ON enterprise_counts (h3_r8);
CREATE INDEX enterprise_counts_h3_r9_idx ON enterprise_counts (h3_r9);

-- One row per enterprise and calendar month (Asia/Shanghai) in which it had a done visit (departments listed) or
-- a linked alert / incident (remote), with the enterprise's attributes copied so a month-aligned coverage count
-- is one index-only scan. measure_coverage_months.sql reads it; non-aligned periods use measure_coverage.sql.
CREATE TABLE coverage_touch (
    enterprise_id bigint NOT NULL,
    month         date NOT NULL CHECK (extract(day FROM month) = 1),
    county_code   text NOT NULL,
    township_code text,
    industry_code text,
    risk          text NOT NULL,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    remote        boolean NOT NULL,
    departments   text[] NOT NULL,
    PRIMARY KEY (enterprise_id, month)
);
CREATE INDEX coverage_touch_county_month_idx ON coverage_touch (county_code, month)
    INCLUDE (enterprise_id, township_code, industry_code, risk, h3_r7, h3_r8, h3_r9, remote, departments);
CREATE INDEX coverage_touch_h3_r7_idx ON coverage_touch (h3_r7);
CREATE INDEX coverage_touch_h3_r8_idx ON coverage_touch (h3_r8);
CREATE INDEX coverage_touch_h3_r9_idx ON coverage_touch (h3_r9);
