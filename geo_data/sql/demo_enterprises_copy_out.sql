COPY (SELECT id, township_code, industry_code, risk, credit, ST_X(geom), ST_Y(geom), h3_r7, h3_r8, h3_r9, geom
      FROM enterprises WHERE county_code = %s ORDER BY id) TO STDOUT WITH (FORMAT csv)
