-- Alerts and visits in [%(since)s, %(until)s) as time-stamped points for playback, scoped, oldest first.
(SELECT 'alert' AS kind, a.id, a.observed_at AS at, a.severity, a.source_kind,
        round(ST_X(a.geom)::numeric, 6)::float8 AS lng, round(ST_Y(a.geom)::numeric, 6)::float8 AS lat
 FROM alerts a
 WHERE a.county_code = %(county_code)s
   AND (%(township_code)s::text IS NULL OR a.township_code = %(township_code)s)
   AND a.observed_at >= %(since)s AND a.observed_at < %(until)s
 ORDER BY a.observed_at LIMIT %(limit)s)
UNION ALL
(SELECT 'visit', v.id, coalesce(v.started_at, v.visit_date::timestamptz + interval '9 hours'), NULL, NULL,
        round(ST_X(v.geom)::numeric, 6)::float8, round(ST_Y(v.geom)::numeric, 6)::float8
 FROM visits v
 WHERE v.county_code = %(county_code)s
   AND (%(township_code)s::text IS NULL OR v.township_code = %(township_code)s)
   AND v.status = 'done'
   AND v.visit_date BETWEEN (%(since)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
                        AND (%(until)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date
 ORDER BY v.visit_date LIMIT %(limit)s)
ORDER BY at;
