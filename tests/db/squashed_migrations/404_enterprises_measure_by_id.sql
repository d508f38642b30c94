-- Coverage joins the enterprises touched in a period (up to ~150k for a 1M-enterprise county-month) by id in id
-- order; this covering index makes that an index-only walk instead of hashing the whole register.
CREATE INDEX enterprises_id_measure_idx ON enterprises (id)
    INCLUDE (county_code, township_code, industry_code, risk, h3_r7, h3_r8, h3_r9);
