-- Recompute the pre-aggregated counts of every cell of the county after a bulk load, taking the enterprise
-- counts from the measures' pre-aggregate ``enterprise_counts`` (per township, res-9 cell and risk; migration
-- 403, just rebuilt by measure_preaggregates_rebuild) instead of grouping every enterprise row again.
-- Same result as cell_counts_refresh.sql with all_cells (tests compare them).
WITH ent AS (
    SELECT coalesce(h3_r9, h3_r8, h3_r7) AS cell,
           sum(n) AS total,
           coalesce(sum(n) FILTER (WHERE risk = 'high'), 0) AS high,
           coalesce(sum(n) FILTER (WHERE risk = 'elevated'), 0) AS elevated,
           coalesce(sum(n) FILTER (WHERE risk = 'general'), 0) AS general,
           coalesce(sum(n) FILTER (WHERE risk = 'low'), 0) AS low
    FROM enterprise_counts
    WHERE county_code = %(county_code)s
    GROUP BY GROUPING SETS ((h3_r7), (h3_r8), (h3_r9))
), vis AS (
    SELECT coalesce(h3_r9, h3_r8, h3_r7) AS cell, count(*) AS n
    FROM visits
    WHERE county_code = %(county_code)s AND status = 'done'
    GROUP BY GROUPING SETS ((h3_r7), (h3_r8), (h3_r9))
), al AS (
    SELECT coalesce(a.h3_r9, a.h3_r8, a.h3_r7) AS cell,
           count(*) AS n,
           count(*) FILTER (WHERE i.status IN ('open', 'dispatched')) AS open
    FROM alerts a LEFT JOIN incidents i ON i.id = a.incident_id
    WHERE a.county_code = %(county_code)s
    GROUP BY GROUPING SETS ((a.h3_r7), (a.h3_r8), (a.h3_r9))
), target AS (
    SELECT c.cell
    FROM h3_cells c
    WHERE c.county_code = %(county_code)s
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
