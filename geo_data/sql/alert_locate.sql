-- For WGS-84 points (parallel arrays), whether each lies in the county and in which of its townships.
SELECT p.ord::int AS ord,
       coalesce(ST_Intersects(c.geom, p.pt), false) AS in_county,
       t.code AS township_code
FROM (SELECT ord, ST_SetSRID(ST_MakePoint(lng, lat), 4326) AS pt
      FROM unnest(%(lng)s::float8[], %(lat)s::float8[]) WITH ORDINALITY AS u(lng, lat, ord)) p
LEFT JOIN counties c ON c.code = %(county_code)s
LEFT JOIN LATERAL (
    SELECT code FROM townships
    WHERE county_code = %(county_code)s AND ST_Intersects(geom, p.pt)
    ORDER BY code LIMIT 1
) t ON true
ORDER BY p.ord
