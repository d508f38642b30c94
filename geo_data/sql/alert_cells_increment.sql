-- Count newly stored alerts into their grid cells (res 7, 8, 9): total and open. Cells are locked in
-- cell order first so concurrent writers never deadlock on them.
WITH d AS (
    SELECT v.cell, count(*)::int AS n
    FROM alerts a, LATERAL (VALUES (a.h3_r7), (a.h3_r8), (a.h3_r9)) AS v(cell)
    WHERE a.id = ANY(%(ids)s::bigint[])
    GROUP BY v.cell
), locked AS (
    SELECT c.cell FROM h3_cells c JOIN d ON d.cell = c.cell ORDER BY c.cell FOR UPDATE OF c
)
UPDATE h3_cells c
SET alerts = c.alerts + d.n, alerts_open = c.alerts_open + d.n, updated_at = now()
FROM d
WHERE c.cell = d.cell AND c.cell IN (SELECT cell FROM locked)
