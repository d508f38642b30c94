-- Core schema. Coordinates: geometry(…, 4326) in WGS-84 (CGCS2000 treated as equal); H3 cells as bigint
-- at resolutions 7, 8 and 9. Times are timestamptz (shown in Asia/Shanghai). Every large table carries
-- county_code.

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
);
CREATE INDEX h3_cells_county_res_idx ON h3_cells (county_code, res);
CREATE INDEX h3_cells_township_idx ON h3_cells (township_code, res);
CREATE INDEX h3_cells_geom_gix ON h3_cells USING gist (geom);

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
    uscc          text NOT NULL CHECK (uscc ~ '^[0-9A-HJ-NP-RTUW-Y]{18}$'),
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

CREATE TABLE team_positions (
    id          bigserial PRIMARY KEY,
    county_code text NOT NULL,
    team_id     bigint NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    geom        geometry(Point, 4326) NOT NULL,
    h3_r7       bigint NOT NULL,
    h3_r8       bigint NOT NULL,
    h3_r9       bigint NOT NULL,
    status      text NOT NULL
);
CREATE INDEX team_positions_team_at_idx ON team_positions (team_id, at DESC);
CREATE INDEX team_positions_geom_gix ON team_positions USING gist (geom);
CREATE INDEX team_positions_h3_r7_idx ON team_positions (h3_r7);
CREATE INDEX team_positions_h3_r8_idx ON team_positions (h3_r8);
CREATE INDEX team_positions_h3_r9_idx ON team_positions (h3_r9);

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
    CHECK (lead_department = ANY (departments))
);
CREATE INDEX visits_enterprise_date_idx ON visits (enterprise_id, visit_date);
CREATE INDEX visits_county_date_idx ON visits (county_code, visit_date);
CREATE INDEX visits_township_date_idx ON visits (township_code, visit_date);
CREATE INDEX visits_geom_gix ON visits USING gist (geom);
CREATE INDEX visits_h3_r7_idx ON visits (h3_r7);
CREATE INDEX visits_h3_r8_idx ON visits (h3_r8);
CREATE INDEX visits_h3_r9_idx ON visits (h3_r9);

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

CREATE TABLE incidents (
    id              bigserial PRIMARY KEY,
    county_code     text NOT NULL REFERENCES counties (code),
    township_code   text REFERENCES townships (code),
    type_code       text NOT NULL REFERENCES alert_types (code),
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
);
CREATE INDEX incidents_open_match_idx ON incidents (county_code, type_code, h3_r9) WHERE status IN ('open', 'dispatched');
CREATE INDEX incidents_township_status_idx ON incidents (township_code, status);
CREATE INDEX incidents_county_created_idx ON incidents (county_code, created_at);
CREATE INDEX incidents_geom_gix ON incidents USING gist (geom);
CREATE INDEX incidents_h3_r7_idx ON incidents (h3_r7);
CREATE INDEX incidents_h3_r8_idx ON incidents (h3_r8);
CREATE INDEX incidents_h3_r9_idx ON incidents (h3_r9);

CREATE TABLE alerts (
    id            bigserial PRIMARY KEY,
    county_code   text NOT NULL REFERENCES counties (code),
    township_code text REFERENCES townships (code),
    source        text NOT NULL CHECK (length(source) BETWEEN 1 AND 64),     -- the sending system
    source_id     text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 128), -- its own alert id
    source_kind   text NOT NULL CHECK (source_kind IN ('drone', 'ai_camera', 'sensor', 'complaint')),
    type_code     text NOT NULL REFERENCES alert_types (code),
    observed_at   timestamptz NOT NULL,
    received_at   timestamptz NOT NULL DEFAULT now(),
    confidence    real CHECK (confidence BETWEEN 0 AND 1),
    severity      text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'urgent')),
    evidence_url  text,
    description   text,
    enterprise_id bigint REFERENCES enterprises (id) ON DELETE SET NULL,
    incident_id   bigint REFERENCES incidents (id) ON DELETE SET NULL,
    geom          geometry(Point, 4326) NOT NULL,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    UNIQUE (source, source_id)
);
CREATE INDEX alerts_county_observed_idx ON alerts (county_code, observed_at);
CREATE INDEX alerts_incident_idx ON alerts (incident_id);
CREATE INDEX alerts_geom_gix ON alerts USING gist (geom);
CREATE INDEX alerts_h3_r7_idx ON alerts (h3_r7);
CREATE INDEX alerts_h3_r8_idx ON alerts (h3_r8);
CREATE INDEX alerts_h3_r9_idx ON alerts (h3_r9);

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

CREATE TABLE dispatch_events (
    id          bigserial PRIMARY KEY,
    county_code text NOT NULL,
    incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    dispatch_id bigint REFERENCES dispatches (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    event       text NOT NULL,   -- created, alert_joined, assigned, accepted, en_route, on_site, resolved, closed,
                                 -- remote_closed, reassigned, escalated
    note        text NOT NULL DEFAULT '',
    detail      jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX dispatch_events_incident_idx ON dispatch_events (incident_id, at);

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
    ('admin', '系统管理员', 'Administrator');

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
    CHECK (role <> 'township_dispatcher' OR township_code IS NOT NULL)
);

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

-- Append-only, hash-chained audit trail: hash = sha256(canonical row incl. prev_hash); the head (seq, hash)
-- is also kept in app_state so a deleted last row is detected.
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

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Key/value state of the installation (e.g. whether the demo was loaded).
CREATE TABLE app_state (
    key   text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
