-- Bulk loads (imports, the demo) may defer the measure pre-aggregate triggers (401, 403, 405) for their
-- transaction and rebuild once at the end, instead of paying the statement triggers per COPY chunk:
--     SET LOCAL gridcommand.defer_measures = 'on';
--     COPY ...;  INSERT ...;
--     SELECT measure_preaggregates_rebuild('330702');   -- same transaction
CREATE FUNCTION measures_deferred() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('gridcommand.defer_measures', true), '') = 'on' $$;

CREATE OR REPLACE FUNCTION visits_repeat_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
BEGIN
    IF pg_trigger_depth() > 1 OR measures_deferred() THEN  -- our own UPDATE of is_repeat, or a bulk load
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

CREATE OR REPLACE FUNCTION coverage_touch_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    ents bigint[];
    lo date;
    hi date;
    expr text := CASE TG_TABLE_NAME
        WHEN 'visits' THEN 'visit_date'
        WHEN 'alerts' THEN '(observed_at AT TIME ZONE ''Asia/Shanghai'')::date'
        ELSE '(first_seen AT TIME ZONE ''Asia/Shanghai'')::date' END;
    src text;
BEGIN
    IF (TG_TABLE_NAME = 'visits' AND pg_trigger_depth() > 1) OR measures_deferred() THEN
        RETURN NULL;
    END IF;
    src := CASE TG_OP
        WHEN 'INSERT' THEN format('SELECT enterprise_id, %s AS d FROM new_rows', expr)
        WHEN 'DELETE' THEN format('SELECT enterprise_id, %s AS d FROM old_rows', expr)
        ELSE format('SELECT enterprise_id, %1$s AS d FROM new_rows UNION ALL SELECT enterprise_id, %1$s FROM old_rows',
                    expr) END;
    EXECUTE format('SELECT array_agg(DISTINCT enterprise_id), min(d), max(d) FROM (%s) x WHERE enterprise_id IS NOT NULL',
                   src) INTO ents, lo, hi;
    IF ents IS NOT NULL THEN
        PERFORM coverage_touch_refresh(ents, lo, hi);
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION coverage_touch_after_enterprise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF measures_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM coverage_touch t USING old_rows o WHERE t.enterprise_id = o.id;
    ELSE
        UPDATE coverage_touch t
        SET county_code = n.county_code, township_code = n.township_code, industry_code = n.industry_code,
            risk = n.risk, h3_r7 = n.h3_r7, h3_r8 = n.h3_r8, h3_r9 = n.h3_r9
        FROM new_rows n
        WHERE t.enterprise_id = n.id
          AND (t.county_code, t.township_code, t.industry_code, t.risk, t.h3_r7, t.h3_r8, t.h3_r9)
              IS DISTINCT FROM (n.county_code, n.township_code, n.industry_code, n.risk, n.h3_r7, n.h3_r8, n.h3_r9);
    END IF;
    RETURN NULL;
END $$;

-- Recompute every measure pre-aggregate of one county from the source tables (after a deferred bulk load).
CREATE FUNCTION measure_preaggregates_rebuild(county text) RETURNS void
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
