-- Incident measures (remote closure; response time median/p90; SLA compliance) per group.
-- Closure counts incidents closed in the period; response counts incidents created in the period.
-- Industry / risk filters follow the incident's linked enterprise (incidents without one drop out).
-- Department filter: the incident type's departments contain it.
WITH i AS MATERIALIZED (
    SELECT i.id, i.status, i.created_at, i.closed_at, i.sla_due_at,
           coalesce(i.on_site_at, (SELECT min(de.at) FROM dispatch_events de
                                   WHERE de.incident_id = i.id AND de.event = 'on_site')) AS on_site,
           CASE %(group_by)s::text
               WHEN 'township' THEN i.township_code
               WHEN 'r7' THEN i.h3_r7::text
               WHEN 'r8' THEN i.h3_r8::text
               WHEN 'r9' THEN i.h3_r9::text
               WHEN 'month' THEN to_char(i.created_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
               ELSE '' END AS grp_created,
           CASE WHEN %(group_by)s::text = 'month' THEN to_char(i.closed_at AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM')
               ELSE NULL END AS grp_closed_month,
           (i.closed_at >= %(ts_from)s AND i.closed_at < %(ts_to)s
            AND i.status IN ('closed', 'remote_closed')) AS closed_in,
           (i.created_at >= %(ts_from)s AND i.created_at < %(ts_to)s) AS created_in
    FROM incidents i
    WHERE i.county_code = %(county_code)s
      AND (%(township_code)s::text IS NULL OR i.township_code = %(township_code)s::text)
      AND ((i.created_at >= %(ts_from)s AND i.created_at < %(ts_to)s)
           OR (i.closed_at >= %(ts_from)s AND i.closed_at < %(ts_to)s))
      AND (%(cell_r7)s::bigint IS NULL OR i.h3_r7 = %(cell_r7)s::bigint)
      AND (%(cell_r8)s::bigint IS NULL OR i.h3_r8 = %(cell_r8)s::bigint)
      AND (%(cell_r9)s::bigint IS NULL OR i.h3_r9 = %(cell_r9)s::bigint)
      AND (%(department)s::text IS NULL OR EXISTS (
              SELECT 1 FROM alert_types t WHERE t.code = i.type_code AND %(department)s::text = ANY (t.departments)))
      AND ((%(industry)s::text IS NULL AND %(risk)s::text IS NULL) OR EXISTS (
              SELECT 1 FROM enterprises e
              WHERE e.id = i.enterprise_id
                AND (%(industry)s::text IS NULL OR e.industry_code = %(industry)s::text)
                AND (%(risk)s::text IS NULL OR e.risk = %(risk)s::text)))
), r AS (
    SELECT i.*, extract(epoch FROM (i.on_site - i.created_at)) / 60.0 AS response_min FROM i
)
-- Closure is grouped by the closing month, response by the creating month (only differs for group_by month).
, closed AS (
    SELECT coalesce(r.grp_closed_month, r.grp_created, '') AS grp,
           count(*) AS closed,
           count(*) FILTER (WHERE r.status = 'remote_closed') AS remote_closed
    FROM r WHERE r.closed_in GROUP BY 1
), created AS (
    SELECT coalesce(r.grp_created, '') AS grp,
           count(*) FILTER (WHERE r.on_site IS NOT NULL) AS reached,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY r.response_min) FILTER (WHERE r.on_site IS NOT NULL)
               AS response_median_min,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY r.response_min) FILTER (WHERE r.on_site IS NOT NULL)
               AS response_p90_min,
           count(*) FILTER (WHERE r.on_site IS NOT NULL
                            OR (r.status <> 'remote_closed' AND r.sla_due_at < %(as_of)s)) AS sla_due,
           count(*) FILTER (WHERE r.on_site IS NOT NULL AND r.on_site <= r.sla_due_at) AS sla_met
    FROM r WHERE r.created_in GROUP BY 1
)
SELECT coalesce(c.grp, n.grp) AS grp,
       coalesce(c.closed, 0) AS closed, coalesce(c.remote_closed, 0) AS remote_closed,
       coalesce(n.reached, 0) AS reached, n.response_median_min, n.response_p90_min,
       coalesce(n.sla_due, 0) AS sla_due, coalesce(n.sla_met, 0) AS sla_met
FROM closed c FULL JOIN created n ON n.grp = c.grp
ORDER BY 1
