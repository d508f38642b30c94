-- H3 cells of one resolution in the view (bbox, WGS-84) with their pre-aggregated counts, scoped. The outline
-- is not sent: it is the cell's H3 boundary, computed (and cached) by layers.geojson.
SELECT c.cell, c.township_code,
       c.ent_total, c.ent_high, c.visits, c.alerts, c.alerts_open
FROM h3_cells c
WHERE c.county_code = %(county_code)s
  AND (%(township_code)s::text IS NULL OR c.township_code = %(township_code)s)
  AND c.res = %(res)s
  AND c.geom && ST_MakeEnvelope(%(min_lng)s, %(min_lat)s, %(max_lng)s, %(max_lat)s, 4326)
ORDER BY c.cell
LIMIT %(limit)s;
