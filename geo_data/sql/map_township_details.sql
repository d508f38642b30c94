-- One township in scope: enterprises by risk, open incidents, visits and alerts in the period.
SELECT t.code, t.name,
       (SELECT count(*) FROM enterprises e WHERE e.township_code = t.code) AS ent_total,
       (SELECT count(*) FROM enterprises e WHERE e.township_code = t.code AND e.risk = 'high') AS ent_high,
       (SELECT count(*) FROM incidents i WHERE i.township_code = t.code AND i.status IN ('open', 'dispatched'))
           AS incidents_open,
       (SELECT count(*) FROM visits v WHERE v.township_code = t.code AND v.status = 'done'
           AND v.visit_date BETWEEN %(date_from)s AND %(date_to)s) AS visits,
       (SELECT count(*) FROM alerts a WHERE a.township_code = t.code
           AND a.observed_at >= %(date_from)s::date AND a.observed_at < %(date_to)s::date + 1) AS alerts,
       (SELECT count(*) FROM teams tm WHERE tm.township_code = t.code AND tm.active) AS teams
FROM townships t
WHERE t.code = %(code)s AND t.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s);
