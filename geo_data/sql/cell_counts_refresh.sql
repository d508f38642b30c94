-- Recompute the pre-aggregated counts of the county's cells: all of them (%(all_cells)s) or those listed
-- per resolution in %(r7)s / %(r8)s / %(r9)s. One scan per source table, grouped at the three resolutions
-- at once. alerts_open counts alerts whose incident is open or dispatched. Alerts are indexed by their res-9
-- cell only: %(alert_r9)s lists the res-9 cells of every listed cell.
WITH ent AS (
    SELECT coalesce(h3_r9, h3_r8, h3_r7) AS cell,
           count(*) AS total,
           count(*) FILTER (WHERE risk = 'high') AS high,
           count(*) FILTER (WHERE risk = 'elevated') AS elevated,
           count(*) FILTER (WHERE risk = 'general') AS general,
           count(*) FILTER (WHERE risk = 'low') AS low
    FROM enterprises
    WHERE county_code = %(county_code)s
      AND (%(all_cells)s OR h3_r7 = ANY (%(r7)s::bigint[]) OR h3_r8 = ANY (%(r8)s::bigint[]) OR h3_r9 = ANY (%(r9)s::bigint[]))
    GROUP BY GROUPING SETS ((h3_r7), (h3_r8), (h3_r9))
), vis AS (
    SELECT coalesce(h3_r9, h3_r8, h3_r7) AS cell, count(*) AS n
    FROM visits
    WHERE county_code = %(county_code)s AND status = 'done'
      AND (%(all_cells)s OR h3_r7 = ANY (%(r7)s::bigint[]) OR h3_r8 = ANY (%(r8)s::bigint[]) OR h3_r9 = ANY (%(r9)s::bigint[]))
    GROUP BY GROUPING SETS ((h3_r7), (h3_r8), (h3_r9))
), al AS (
    SELECT coalesce(a.h3_r9, a.h3_r8, a.h3_r7) AS cell,
           count(*) AS n,
           count(*) FILTER (WHERE i.status IN ('open', 'dispatched')) AS open
    FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id
    WHERE a.county_code = %(county_code)s
      AND (%(all_cells)s OR a.h3_r9 = ANY (%(alert_r9)s::bigint[]))  -- the listed cells' res-9 cells
    GROUP BY GROUPING SETS ((a.h3_r7), (a.h3_r8), (a.h3_r9))
), target AS (
    SELECT c.cell
    FROM h3_cells c
    WHERE c.county_code = %(county_code)s
      AND (%(all_cells)s OR c.cell = ANY (%(r7)s::bigint[]) OR c.cell = ANY (%(r8)s::bigint[]) OR c.cell = ANY (%(r9)s::bigint[]))
), fresh AS (
    SELECT t.cell,
           coalesce(e.total, 0) AS ent_total, coalesce(e.high, 0) AS ent_high,
           coalesce(e.elevated, 0) AS ent_elevated, coalesce(e.general, 0) AS ent_general,
           coalesce(e.low, 0) AS ent_low, coalesce(v.n, 0) AS visits,
           coalesce(a.n, 0) AS alerts, coalesce(a.open, 0) AS alerts_open
    FROM target t
    LEFT JOIN ent e ON e.cell = t.cell
    LEFT JOIN vis v ON v.cell = t.cell
    LEFT JOIN al a ON a.cell = t.cell
)
UPDATE h3_cells c
SET ent_total = f.ent_total, ent_high = f.ent_high, ent_elevated = f.ent_elevated,
    ent_general = f.ent_general, ent_low = f.ent_low, visits = f.visits, alerts = f.alerts,
    alerts_open = f.alerts_open, updated_at = now()
FROM fresh f
WHERE c.cell = f.cell
  AND (c.ent_total, c.ent_high, c.ent_elevated, c.ent_general, c.ent_low, c.visits, c.alerts, c.alerts_open)
      IS DISTINCT FROM
      (f.ent_total, f.ent_high, f.ent_elevated, f.ent_general, f.ent_low, f.visits, f.alerts, f.alerts_open)
