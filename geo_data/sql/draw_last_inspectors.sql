-- The inspectors of each enterprise's last inspection before the period a draw is for (a drawn one or a coded
-- visit): the one the new inspection follows. Inspections planned for later periods do not count, so a draw
-- recomputed from its seed later (redo) meets the same recusals as when it was made.
WITH drawn AS (
    SELECT di.enterprise_id, di.inspector_id, d.period_start AS day, d.created_at AS at
    FROM draw_inspectors di JOIN draws d ON d.id = di.draw_id
    WHERE di.enterprise_id = ANY (%(ids)s::bigint[]) AND di.inspector_id IS NOT NULL
      AND d.period_start < %(before)s
), coded AS (
    SELECT c.enterprise_id, unnest(c.inspector_ids) AS inspector_id, c.visit_date AS day, c.created_at AS at
    FROM visit_codes c WHERE c.enterprise_id = ANY (%(ids)s::bigint[]) AND c.visit_date < %(before)s
), allv AS (SELECT * FROM drawn UNION ALL SELECT * FROM coded),
latest AS (
    SELECT DISTINCT ON (enterprise_id) enterprise_id, day, at FROM allv ORDER BY enterprise_id, day DESC, at DESC
)
SELECT a.enterprise_id, array_agg(DISTINCT a.inspector_id) AS inspector_ids
FROM allv a JOIN latest l ON l.enterprise_id = a.enterprise_id AND l.day = a.day AND l.at = a.at
GROUP BY a.enterprise_id;
