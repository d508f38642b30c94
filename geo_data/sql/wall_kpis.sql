-- Wall display counters, scoped: alerts observed today (%(day)s, Asia/Shanghai calendar date) and incidents
-- still open or dispatched. The rates come from geo_data.measures (one definition of each measure).
SELECT
    (SELECT count(*) FROM alerts a
      WHERE a.county_code = %(county_code)s
        AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
        AND a.observed_at >= (%(day)s::date)::timestamp AT TIME ZONE 'Asia/Shanghai'
        AND a.observed_at < (%(day)s::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai') AS alerts_today,
    (SELECT count(*) FROM incidents i
      WHERE i.county_code = %(county_code)s
        AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s)
        AND i.status IN ('open', 'dispatched')) AS incidents_open;
