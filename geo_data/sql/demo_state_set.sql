-- Record that the demo was loaded, with its summary.
INSERT INTO app_state (key, value, updated_at) VALUES (%(key)s, %(value)s::jsonb, now())
ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now();
