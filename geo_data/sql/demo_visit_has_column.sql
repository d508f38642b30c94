-- Whether the visits table has a column (later migrations add e.g. is_repeat).
SELECT EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'visits'
                 AND column_name = %(column)s) AS present;
