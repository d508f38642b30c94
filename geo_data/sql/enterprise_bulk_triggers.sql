-- Enabled statement triggers of the enterprises table among those named (the measure pre-aggregate
-- triggers a bulk load replaces by one rebuild): disabled for the load, enabled again before commit.
SELECT tgname AS name
FROM pg_trigger
WHERE tgrelid = 'enterprises'::regclass AND NOT tgisinternal AND tgenabled <> 'D'
  AND tgname = ANY (%(names)s::text[])
ORDER BY tgname
