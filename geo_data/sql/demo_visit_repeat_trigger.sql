-- Whether the visits table has the statement trigger that keeps visits.is_repeat current (migration 401).
SELECT EXISTS (SELECT 1 FROM pg_trigger
               WHERE tgrelid = 'visits'::regclass AND tgname = 'visits_repeat_ins' AND NOT tgisinternal) AS present;
