-- Teams that could take an incident: active, idle or out, no active dispatch, qualified for the type
-- (any team when the type names no department); with where they are relative to the incident's township
-- (same / neighbour: a township whose outline touches the incident's / county), their distance,
-- today's workload and their nearest planned visit today. Neighbours are read from the townships as they are
-- now (one township against its county's others through the GiST index), never from a cache that an import of
-- townships could leave stale.
WITH inc AS (
    SELECT i.id, i.county_code, i.township_code, i.geom, t.departments
    FROM incidents i JOIN alert_types t ON t.code = i.type_code
    WHERE i.id = %(incident_id)s
), nb AS (
    SELECT coalesce(array_agg(b.code), '{}') AS codes
    FROM inc
    JOIN townships a ON a.code = inc.township_code
    JOIN townships b ON b.county_code = a.county_code AND b.code <> a.code AND ST_Touches(a.geom, b.geom)
)
SELECT tm.id, tm.name, tm.township_code, tw.name AS township_name, tm.kind, tm.status, tm.qualifications,
       ST_X(coalesce(tm.position, tm.base)) AS lng, ST_Y(coalesce(tm.position, tm.base)) AS lat,
       ST_Distance(coalesce(tm.position, tm.base)::geography, inc.geom::geography) AS distance_m,
       CASE WHEN tm.township_code = inc.township_code THEN 'same'
            WHEN tm.township_code = ANY(nb.codes) THEN 'neighbour'
            ELSE 'county' END AS relation,
       (SELECT count(*) FROM dispatches d
        WHERE d.team_id = tm.id AND d.assigned_at >= %(day_start)s)::int AS dispatches_today,
       pv.planned_today, pv.nearest_planned_m
FROM teams tm
CROSS JOIN inc
CROSS JOIN nb
LEFT JOIN townships tw ON tw.code = tm.township_code
LEFT JOIN LATERAL (
    SELECT count(*)::int AS planned_today,
           min(ST_Distance(v.geom::geography, inc.geom::geography)) AS nearest_planned_m
    FROM visits v WHERE v.team_id = tm.id AND v.visit_date = %(today)s AND v.status = 'planned'
) pv ON true
WHERE tm.county_code = inc.county_code
  AND tm.active
  AND tm.status IN ('idle', 'out')
  AND (cardinality(inc.departments) = 0 OR tm.qualifications && inc.departments)
  AND NOT EXISTS (SELECT 1 FROM dispatches d WHERE d.team_id = tm.id
                  AND d.status IN ('assigned', 'accepted', 'en_route', 'on_site'))
