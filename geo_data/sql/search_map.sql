-- Search box: townships by name and enterprises by USCC (exact) or name (prefix first, then substring),
-- scoped, at most %(limit)s of each. %(q)s is the raw text; %(like)s its LIKE-escaped form.
(SELECT 'township' AS kind, t.code AS key, t.name, NULL::text AS uscc,
        ST_X(coalesce(t.label_point, ST_PointOnSurface(t.geom))) AS lng,
        ST_Y(coalesce(t.label_point, ST_PointOnSurface(t.geom))) AS lat, 0 AS rank
 FROM townships t
 WHERE t.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR t.code = %(township_code)s)
   AND t.name LIKE '%%' || %(like)s || '%%'
 LIMIT %(limit)s)
UNION ALL
(SELECT 'enterprise', e.id::text, e.name, e.uscc, ST_X(e.geom), ST_Y(e.geom),
        CASE WHEN e.uscc = upper(%(q)s) THEN 0 WHEN e.name LIKE %(like)s || '%%' THEN 1 ELSE 2 END
 FROM enterprises e
 WHERE e.county_code = %(county_code)s AND (%(township_code)s::text IS NULL OR e.township_code = %(township_code)s)
   AND (e.uscc = upper(%(q)s) OR e.name LIKE %(like)s || '%%' OR e.name LIKE '%%' || %(like)s || '%%')
 ORDER BY 7, e.name
 LIMIT %(limit)s)
ORDER BY 7, 1 DESC, 3;
