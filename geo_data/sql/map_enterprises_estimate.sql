-- How many enterprises a view holds, from the pre-aggregated res-9 cells touching it (an upper bound: cells
-- on the edge count whole), scoped.
SELECT coalesce(sum(c.ent_total), 0)::bigint AS n
FROM h3_cells c
WHERE c.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR c.township_code = %(township_code)s)
  AND c.res = 9
  AND c.geom && ST_MakeEnvelope(%(min_lng)s, %(min_lat)s, %(max_lng)s, %(max_lat)s, 4326);
