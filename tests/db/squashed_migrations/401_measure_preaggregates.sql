-- Pre-aggregates that keep the KPI panel within 1 s on 1M enterprises / 2M visits (bench/kpis.py):
-- 1. visits.is_repeat: the repeat-inspection rule (docs/measures.md; enforcement.measures.REPEAT_WINDOW_DAYS = 30)
--    evaluated once per visit and kept current by statement-level triggers, instead of a self-join per panel.
-- 2. enterprise_counts: enterprises per (county, township, res-9 cell, industry, risk) kept current by triggers,
--    the denominators of coverage without scanning the register.

-- ---------------------------------------------------------------------------------------- 1. repeat flag
ALTER TABLE visits ADD COLUMN is_repeat boolean NOT NULL DEFAULT false;

-- A done visit v is a repeat when an earlier done visit w of the same enterprise (earlier date, or same date
-- and smaller id) lies 0..30 days before it and v brought a department w did not cover.
CREATE FUNCTION visits_repeat_refresh(ents bigint[], lo date, hi date) RETURNS void
LANGUAGE sql AS $$
    UPDATE visits v SET is_repeat = c.flag
    FROM (
        SELECT v2.id, (v2.status = 'done' AND EXISTS (
                   SELECT 1 FROM visits w
                   WHERE w.enterprise_id = v2.enterprise_id AND w.status = 'done'
                     AND w.visit_date BETWEEN v2.visit_date - 30 AND v2.visit_date
                     AND (w.visit_date < v2.visit_date OR w.id < v2.id)
                     AND NOT (v2.departments <@ w.departments))) AS flag
        FROM visits v2
        WHERE v2.enterprise_id = ANY (ents) AND v2.visit_date BETWEEN lo AND hi + 30
    ) c
    WHERE v.id = c.id AND v.is_repeat IS DISTINCT FROM c.flag
$$;

CREATE FUNCTION visits_repeat_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
BEGIN
    IF pg_trigger_depth() > 1 THEN  -- our own UPDATE of is_repeat
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi FROM new_rows;
    ELSIF TG_OP = 'UPDATE' THEN
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi
        FROM (SELECT enterprise_id, visit_date FROM new_rows UNION ALL
              SELECT enterprise_id, visit_date FROM old_rows) x;
    ELSE
        SELECT array_agg(DISTINCT enterprise_id), min(visit_date), max(visit_date) INTO ents, lo, hi FROM old_rows;
    END IF;
    IF ents IS NOT NULL THEN
        PERFORM visits_repeat_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER visits_repeat_ins AFTER INSERT ON visits REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();
CREATE TRIGGER visits_repeat_upd AFTER UPDATE ON visits REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();
CREATE TRIGGER visits_repeat_del AFTER DELETE ON visits REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION visits_repeat_after_change();

UPDATE visits v SET is_repeat = true
WHERE v.status = 'done' AND EXISTS (
    SELECT 1 FROM visits w
    WHERE w.enterprise_id = v.enterprise_id AND w.status = 'done'
      AND w.visit_date BETWEEN v.visit_date - 30 AND v.visit_date
      AND (w.visit_date < v.visit_date OR w.id < v.id)
      AND NOT (v.departments <@ w.departments));

DROP INDEX visits_measure_idx;
CREATE INDEX visits_measure_idx ON visits (county_code, visit_date)
    INCLUDE (township_code, enterprise_id, departments, task_count, planned, from_draw, reason,
             code_scanned, rating, is_repeat, h3_r7, h3_r8, h3_r9)
    WHERE status = 'done';
DROP INDEX visits_repeat_idx;   -- the look-back now runs only in the trigger, on visits_enterprise_date_idx

-- -------------------------------------------------------------------------------- 2. enterprise counts
CREATE TABLE enterprise_counts (
    county_code   text NOT NULL,
    township_code text,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    industry_code text,
    risk          text NOT NULL,
    n             integer NOT NULL CHECK (n >= 0),
    UNIQUE NULLS NOT DISTINCT (county_code, h3_r9, township_code, industry_code, risk)
);
CREATE INDEX enterprise_counts_county_idx ON enterprise_counts (county_code)
    INCLUDE (township_code, h3_r7, h3_r8, h3_r9, industry_code, risk, n);
CREATE INDEX enterprise_counts_empty_idx ON enterprise_counts (county_code) WHERE n = 0;

CREATE FUNCTION enterprise_counts_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE enterprise_counts c SET n = c.n - o.k
        FROM (SELECT county_code, township_code, h3_r9, industry_code, risk, count(*) AS k FROM old_rows
              GROUP BY 1, 2, 3, 4, 5) o
        WHERE c.county_code = o.county_code AND c.h3_r9 = o.h3_r9 AND c.risk = o.risk
          AND c.township_code IS NOT DISTINCT FROM o.township_code
          AND c.industry_code IS NOT DISTINCT FROM o.industry_code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO enterprise_counts AS c (county_code, township_code, h3_r7, h3_r8, h3_r9, industry_code, risk, n)
        SELECT county_code, township_code, min(h3_r7), min(h3_r8), h3_r9, industry_code, risk, count(*)
        FROM new_rows GROUP BY county_code, township_code, h3_r9, industry_code, risk
        ON CONFLICT (county_code, h3_r9, township_code, industry_code, risk) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM enterprise_counts WHERE n = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER enterprise_counts_ins AFTER INSERT ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE TRIGGER enterprise_counts_upd AFTER UPDATE ON enterprises REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE TRIGGER enterprise_counts_del AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();

INSERT INTO enterprise_counts (county_code, township_code, h3_r7, h3_r8, h3_r9, industry_code, risk, n)
SELECT county_code, township_code, min(h3_r7), min(h3_r8), h3_r9, industry_code, risk, count(*)
FROM enterprises GROUP BY county_code, township_code, h3_r9, industry_code, risk;
