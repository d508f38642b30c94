-- Raise foreign_key_violation (23503) as a foreign key named <table>_<column>_fkey would.
CREATE OR REPLACE FUNCTION reference_missing(tbl text, col text, ref_table text, val text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    RAISE foreign_key_violation USING
        MESSAGE = format('insert or update on table "%s" violates foreign key constraint "%s_%s_fkey"', tbl, tbl, col),
        DETAIL = format('Key (%s)=(%s) is not present in table "%s".', col, val, ref_table),
        TABLE = tbl, CONSTRAINT = format('%s_%s_fkey', tbl, col), COLUMN = col;
END $$;
