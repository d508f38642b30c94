-- Bulk loads (imports, the demo) may defer the measure pre-aggregate triggers for their transaction and rebuild
-- once at the end, instead of paying the statement triggers per COPY chunk:
--     SET LOCAL gridcommand.defer_measures = 'on';
--     COPY ...;  INSERT ...;
--     SELECT measure_preaggregates_rebuild('330702');   -- same transaction
CREATE OR REPLACE FUNCTION measures_deferred() RETURNS boolean
LANGUAGE sql STABLE AS $$ SELECT coalesce(current_setting('gridcommand.defer_measures', true), '') = 'on' $$;
