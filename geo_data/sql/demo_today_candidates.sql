-- The demo's plan of today: per township, up to %(per_township)s enterprises that may still be visited on site
-- this year (not on the no-visit list, fewer done visits since %(year_start)s than the default quota of their
-- risk × credit), in a seeded order (the same seed picks the same enterprises).
SELECT id, township_code, industry_code
FROM (SELECT e.id, e.township_code, e.industry_code,
             row_number() OVER (PARTITION BY e.township_code
                                ORDER BY md5(e.id::text || ':' || %(seed)s::text)) AS k
      FROM enterprises e
      JOIN quota_matrix q ON q.county_code IS NULL AND q.risk = e.risk AND q.credit = e.credit
      WHERE e.county_code = %(county_code)s AND e.township_code IS NOT NULL AND NOT e.no_visit
        AND e.risk IN ('high', 'elevated', 'general')
        AND (SELECT count(*) FROM visits v
              WHERE v.enterprise_id = e.id AND v.status = 'done' AND v.visit_date >= %(year_start)s)
            < q.max_visits) c
WHERE k <= %(per_township)s
ORDER BY township_code, k;
