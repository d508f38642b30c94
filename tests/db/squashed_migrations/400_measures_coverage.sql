-- Measures (KPIs) and remote-monitoring coverage. Definitions: docs/measures.md, enforcement/measures.py.

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

-- The panel reads one county's visits of one period: a covering index keeps it to an index-only scan.
CREATE INDEX visits_measure_idx ON visits (county_code, visit_date)
    INCLUDE (township_code, enterprise_id, status, departments, task_count, planned, from_draw, reason,
             code_scanned, rating, h3_r7, h3_r8, h3_r9, id)
    WHERE status = 'done';
-- The repeat-inspection look-back: earlier done visits of the same enterprise.
CREATE INDEX visits_repeat_idx ON visits (enterprise_id, visit_date) INCLUDE (id, departments)
    WHERE status = 'done';
-- Coverage counts one county's enterprises by risk grade.
CREATE INDEX enterprises_measure_idx ON enterprises (county_code, risk)
    INCLUDE (id, township_code, industry_code, h3_r7, h3_r8, h3_r9);
CREATE INDEX alerts_enterprise_measure_idx ON alerts (county_code, observed_at) INCLUDE (enterprise_id)
    WHERE enterprise_id IS NOT NULL;
CREATE INDEX incidents_closed_measure_idx ON incidents (county_code, closed_at) WHERE closed_at IS NOT NULL;
CREATE INDEX incidents_first_seen_measure_idx ON incidents (county_code, first_seen) INCLUDE (enterprise_id);
CREATE INDEX dispatch_events_on_site_idx ON dispatch_events (incident_id, at) WHERE event = 'on_site';
