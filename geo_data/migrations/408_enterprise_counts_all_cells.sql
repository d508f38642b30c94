-- enterprise_counts kept one res-7/res-8 cell per (res-9 cell, township, risk) group, but an enterprise's res-8
-- cell is the one holding its point, which is not always the parent of its res-9 cell (H3 children do not nest
-- exactly): coverage denominators filtered by a res-7/8 cell could be off. Each group now carries all three
-- cells of its enterprises, the trigger and the bulk rebuild group by them, and the table is recomputed.
DO $$
DECLARE c text;
BEGIN
    FOR c IN SELECT conname FROM pg_constraint
             WHERE conrelid = 'enterprise_counts'::regclass AND contype = 'u' LOOP
        EXECUTE format('ALTER TABLE enterprise_counts DROP CONSTRAINT %I', c);
    END LOOP;
END $$;
ALTER TABLE enterprise_counts ADD CONSTRAINT enterprise_counts_cells_key
    UNIQUE NULLS NOT DISTINCT (county_code, h3_r9, h3_r8, h3_r7, township_code, risk);

CREATE OR REPLACE FUNCTION enterprise_counts_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF measures_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE enterprise_counts c SET n = c.n - o.k
        FROM (SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*) AS k
              FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6) o
        WHERE c.county_code = o.county_code AND c.h3_r9 = o.h3_r9 AND c.h3_r8 = o.h3_r8 AND c.h3_r7 = o.h3_r7
          AND c.risk = o.risk
          AND c.township_code IS NOT DISTINCT FROM o.township_code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO enterprise_counts AS c (county_code, township_code, h3_r7, h3_r8, h3_r9, risk, n)
        SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*)
        FROM new_rows GROUP BY county_code, township_code, h3_r7, h3_r8, h3_r9, risk
        ON CONFLICT (county_code, h3_r9, h3_r8, h3_r7, township_code, risk) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM enterprise_counts WHERE n = 0;
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION measure_preaggregates_rebuild(county text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    before text := current_setting('gridcommand.defer_measures', true);
    lo date;
    hi date;
BEGIN
    PERFORM set_config('gridcommand.defer_measures', 'on', true);
    DELETE FROM enterprise_counts WHERE county_code = county;
    INSERT INTO enterprise_counts (county_code, township_code, h3_r7, h3_r8, h3_r9, risk, n)
    SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*)
    FROM enterprises WHERE county_code = county GROUP BY county_code, township_code, h3_r7, h3_r8, h3_r9, risk;

    UPDATE visits v SET is_repeat = x.flag
    FROM (SELECT v2.id, (v2.status = 'done' AND EXISTS (
                  SELECT 1 FROM visits w
                  WHERE w.enterprise_id = v2.enterprise_id AND w.status = 'done'
                    AND w.visit_date BETWEEN v2.visit_date - 30 AND v2.visit_date
                    AND (w.visit_date < v2.visit_date OR w.id < v2.id)
                    AND NOT (v2.departments <@ w.departments))) AS flag
          FROM visits v2 WHERE v2.county_code = county) x
    WHERE v.id = x.id AND v.is_repeat IS DISTINCT FROM x.flag;

    DELETE FROM coverage_touch WHERE county_code = county;
    SELECT least(min(v.lo), min(a.lo), min(i.lo)), greatest(max(v.hi), max(a.hi), max(i.hi)) INTO lo, hi
    FROM (SELECT min(visit_date) AS lo, max(visit_date) AS hi FROM visits WHERE county_code = county) v,
         (SELECT min((observed_at AT TIME ZONE 'Asia/Shanghai')::date) AS lo,
                 max((observed_at AT TIME ZONE 'Asia/Shanghai')::date) AS hi FROM alerts WHERE county_code = county) a,
         (SELECT min((first_seen AT TIME ZONE 'Asia/Shanghai')::date) AS lo,
                 max((first_seen AT TIME ZONE 'Asia/Shanghai')::date) AS hi FROM incidents WHERE county_code = county) i;
    IF lo IS NOT NULL THEN
        PERFORM coverage_touch_refresh(ARRAY(SELECT id FROM enterprises WHERE county_code = county), lo, hi);
    END IF;
    PERFORM set_config('gridcommand.defer_measures', coalesce(before, ''), true);
END $$;

DELETE FROM enterprise_counts;
INSERT INTO enterprise_counts (county_code, township_code, h3_r7, h3_r8, h3_r9, risk, n)
SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*)
FROM enterprises GROUP BY county_code, township_code, h3_r7, h3_r8, h3_r9, risk;
