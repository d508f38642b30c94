-- The field app's device row of an inspector (see field_phone_device.sql).
SELECT id, team_id, revoked_at FROM devices WHERE identifier = %(identifier)s
