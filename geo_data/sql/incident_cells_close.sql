-- An incident left the open set: its alerts no longer count as open in their grid cells (locked in order).
WITH d AS (
    SELECT v.cell, count(*)::int AS n
    FROM alerts a, LATERAL (VALUES (a.h3_r7), (a.h3_r8), (a.h3_r9)) AS v(cell)
    WHERE a.incident_id = %(id)s
    GROUP BY v.cell
), locked AS (
    SELECT c.cell FROM h3_cells c JOIN d ON d.cell = c.cell ORDER BY c.cell FOR UPDATE OF c
)
UPDATE h3_cells c
SET alerts_open = GREATEST(c.alerts_open - d.n, 0), updated_at = now()
FROM d
WHERE c.cell = d.cell AND c.cell IN (SELECT cell FROM locked)
