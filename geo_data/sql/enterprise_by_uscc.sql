-- One enterprise of a county by its 统一社会信用代码.
SELECT e.id, e.county_code, e.township_code, t.name AS township_name, e.uscc, e.name, e.address,
       e.industry_code, i.name AS industry_name, e.risk, e.credit, e.no_visit,
       ST_X(e.geom) AS lng, ST_Y(e.geom) AS lat, e.h3_r7, e.h3_r8, e.h3_r9
FROM enterprises e
LEFT JOIN townships t ON t.code = e.township_code
LEFT JOIN industries i ON i.code = e.industry_code
WHERE e.county_code = %(county_code)s AND e.uscc = %(uscc)s
