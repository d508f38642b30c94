-- The recorded state of the demo load (app_state key), if any.
SELECT value, updated_at FROM app_state WHERE key = %(key)s;
