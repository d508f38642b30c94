-- The register's attributes copied into coverage_touch follow the enterprise (update), or go with it (delete).
CREATE OR REPLACE FUNCTION coverage_touch_after_enterprise() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF measures_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        DELETE FROM coverage_touch t USING old_rows o WHERE t.enterprise_id = o.id;
    ELSE
        UPDATE coverage_touch t
        SET county_code = n.county_code, township_code = n.township_code, industry_code = n.industry_code,
            risk = n.risk, h3_r7 = n.h3_r7, h3_r8 = n.h3_r8, h3_r9 = n.h3_r9
        FROM new_rows n
        WHERE t.enterprise_id = n.id
          AND (t.county_code, t.township_code, t.industry_code, t.risk, t.h3_r7, t.h3_r8, t.h3_r9)
              IS DISTINCT FROM (n.county_code, n.township_code, n.industry_code, n.risk, n.h3_r7, n.h3_r8, n.h3_r9);
    END IF;
    RETURN NULL;
END $$;
