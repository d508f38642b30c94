-- For WGS-84 points (parallel arrays), whether each lies in the county, in which of its townships, and the
-- nearest enterprise of the county within link_m metres (an incident the point opens concerns it unless the alert
-- names one by USCC). Runs before the intake takes its matching locks, so none of this is done under them.
SELECT p.ord::int AS ord,
       coalesce(ST_Intersects(c.geom, p.pt), false) AS in_county,
       t.code AS township_code,
       CASE WHEN ST_DWithin(near.geom::geography, p.pt::geography, %(link_m)s) THEN near.id END AS near_enterprise_id
FROM (SELECT ord, ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS pt
      FROM unnest(%(lng)s::float8[], %(lat)s::float8[]) WITH ORDINALITY AS u(lng, lat, ord)) p
LEFT JOIN counties c ON c.code = %(county_code)s
LEFT JOIN LATERAL (
    SELECT code FROM townships
    WHERE county_code = %(county_code)s AND ST_Intersects(geom, p.pt)
    ORDER BY code LIMIT 1
) t ON true
LEFT JOIN LATERAL (
    SELECT e.id, e.geom FROM enterprises e
    WHERE e.geom && ST_Expand(p.pt, %(link_m)s / 60000.0) AND e.county_code = %(county_code)s
    ORDER BY e.geom <-> p.pt
    LIMIT 1
) near ON true
ORDER BY p.ord
