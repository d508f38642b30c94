-- Pairs of townships of a county that share a border (for spill-over in team recommendation).
SELECT a.code AS township_code, b.code AS neighbour_code
FROM townships a
JOIN townships b ON b.county_code = a.county_code AND b.code <> a.code AND ST_Touches(a.geom, b.geom)
WHERE a.county_code = %(county_code)s
