-- Recompute every measure pre-aggregate of one county (enterprise_counts, visits.is_repeat, coverage_touch) from
-- the source tables, after a bulk load that deferred the triggers (measures_deferred), in the same transaction.
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
