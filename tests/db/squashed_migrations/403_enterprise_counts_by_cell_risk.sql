-- enterprise_counts at the grain (county, township, res-7/8/9 cells, risk): industry made it ~10x larger than the
-- register's cells (560k rows for 1M enterprises in bench/kpis.py); an industry filter now reads the register.
DROP TRIGGER enterprise_counts_ins ON enterprises;
DROP TRIGGER enterprise_counts_upd ON enterprises;
DROP TRIGGER enterprise_counts_del ON enterprises;
DROP FUNCTION enterprise_counts_after_change();
DROP TABLE enterprise_counts;

CREATE TABLE enterprise_counts (
    county_code   text NOT NULL,
    township_code text,
    h3_r7         bigint NOT NULL,
    h3_r8         bigint NOT NULL,
    h3_r9         bigint NOT NULL,
    risk          text NOT NULL,
    n             integer NOT NULL CHECK (n >= 0),
    -- all three cells: a point's res-8 cell is not always the parent of its res-9 cell (H3 does not nest exactly)
    CONSTRAINT enterprise_counts_cells_key UNIQUE NULLS NOT DISTINCT (county_code, h3_r9, h3_r8, h3_r7, township_code, risk)
);
CREATE INDEX enterprise_counts_county_idx ON enterprise_counts (county_code)
    INCLUDE (township_code, h3_r7, h3_r8, h3_r9, risk, n);
CREATE INDEX enterprise_counts_empty_idx ON enterprise_counts (county_code) WHERE n = 0;
CREATE INDEX enterprise_counts_h3_r7_idx ON enterprise_counts (h3_r7);
CREATE INDEX enterprise_counts_h3_r8_idx ON enterprise_counts (h3_r8);
CREATE INDEX enterprise_counts_h3_r9_idx ON enterprise_counts (h3_r9);

CREATE FUNCTION enterprise_counts_after_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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

CREATE TRIGGER enterprise_counts_ins AFTER INSERT ON enterprises REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE TRIGGER enterprise_counts_upd AFTER UPDATE ON enterprises REFERENCING OLD TABLE AS old_rows
    NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();
CREATE TRIGGER enterprise_counts_del AFTER DELETE ON enterprises REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION enterprise_counts_after_change();

INSERT INTO enterprise_counts (county_code, township_code, h3_r7, h3_r8, h3_r9, risk, n)
SELECT county_code, township_code, h3_r7, h3_r8, h3_r9, risk, count(*)
FROM enterprises GROUP BY county_code, township_code, h3_r7, h3_r8, h3_r9, risk;
