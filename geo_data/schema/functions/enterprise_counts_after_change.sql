-- Keeps enterprise_counts (enterprises per county, township, res-7/8/9 cells and risk) current after a
-- statement on enterprises, unless a bulk load deferred it (measures_deferred).
CREATE OR REPLACE FUNCTION enterprise_counts_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF measures_deferred() THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE enterprise_counts c SET n = c.n - o.k
        FROM (SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*) AS k
              FROM old_rows GROUP BY 1, 2, 3, 4, 5, 6) o
        WHERE c.county_code = o.county_code AND c.h3_r9 = o.h3_r9 AND c.h3_r8 = o.h3_r8 AND c.h3_r7 = o.h3_r7
          AND c.risk = o.risk
          AND c.township_code IS NOT DISTINCT FROM o.township_code;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO enterprise_counts AS c (county_code, township_code, h3_r7, h3_r8, h3_r9, risk, n)
        SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*)
        FROM new_rows GROUP BY county_code, township_code, h3_r7, h3_r8, h3_r9, risk
        ON CONFLICT (county_code, h3_r9, h3_r8, h3_r7, township_code, risk) DO UPDATE SET n = c.n + EXCLUDED.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM enterprise_counts WHERE n = 0;
    END IF;
    RETURN NULL;
END $$;
