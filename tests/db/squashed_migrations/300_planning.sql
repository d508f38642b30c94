-- Visit planning (综合查一次): plans and their joint visits, quotas (无事不扰), 双随机 draws, routing jobs and
-- inspection codes (行政行为码). See docs/planning.md.

-- ------------------------------------------------------------------------------------------ quotas
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

-- ------------------------------------------------------------------------------------------- draws
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

-- ------------------------------------------------------------------------------------------- plans
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

-- ------------------------------------------------------------------------------ inspection codes
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
