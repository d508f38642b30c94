-- Which of the given cells have no row in h3_cells yet.
SELECT c AS cell FROM unnest(%(cells)s::bigint[]) AS c
WHERE NOT EXISTS (SELECT 1 FROM h3_cells h WHERE h.cell = c)
