-- Count newly stored alerts into their grid cells (all resolutions; cells and counts as parallel arrays):
-- total and open. Cells are locked in cell order first so concurrent writers never deadlock on them.
WITH d AS (
    SELECT cell, n FROM unnest(%(cells)s::bigint[], %(counts)s::int[]) AS u(cell, n)
), locked AS (
    SELECT c.cell FROM h3_cells c JOIN d ON d.cell = c.cell ORDER BY c.cell FOR UPDATE OF c
)
UPDATE h3_cells c
SET alerts = c.alerts + d.n, alerts_open = c.alerts_open + d.n, updated_at = now()
FROM d
WHERE c.cell = d.cell AND c.cell IN (SELECT cell FROM locked)
