-- The referenced side of check_intake_references: a county, township or alert type still referred to by an alert
-- or incident cannot go or change its code (dynamic SQL: a rare admin change, not a hot path).
CREATE OR REPLACE FUNCTION intake_referenced_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text := CASE TG_TABLE_NAME WHEN 'counties' THEN 'county_code' WHEN 'townships' THEN 'township_code'
                                   ELSE 'type_code' END;
    tbl text;
    used boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.code IS NOT DISTINCT FROM OLD.code THEN
        RETURN NULL;
    END IF;
    FOREACH tbl IN ARRAY ARRAY['alerts', 'incidents'] LOOP  -- dynamic SQL: a rare admin change, not a hot path
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I = $1)', tbl, col) INTO used USING OLD.code;
        IF used THEN
            RAISE foreign_key_violation USING
                MESSAGE = format('update or delete on table "%s" violates foreign key constraint "%s_%s_fkey" on table "%s"',
                                 TG_TABLE_NAME, tbl, col, tbl),
                DETAIL = format('Key (code)=(%s) is still referenced from table "%s".', OLD.code, tbl),
                TABLE = tbl, CONSTRAINT = format('%s_%s_fkey', tbl, col);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
