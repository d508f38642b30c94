-- Store a device's (tracker's or field app's: source) fix once (unique device + time) and, when it is to be followed, move the team (newer only);
-- the teams row trigger (migration 100) announces the move (NOTIFY kind team).
WITH ins AS (
    INSERT INTO team_positions (county_code, team_id, at, geom, h3_r7, h3_r8, h3_r9, status, device_id, source,
                                speed_kmh, bearing, altitude_m, accuracy_m, battery_pct, flag)
    VALUES (%(county_code)s, %(team_id)s, %(at)s, ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326),
            %(h3_r7)s, %(h3_r8)s, %(h3_r9)s, %(status)s, %(device_id)s, %(source)s,
            %(speed_kmh)s, %(bearing)s, %(altitude_m)s, %(accuracy_m)s, %(battery_pct)s, %(flag)s)
    ON CONFLICT (device_id, at) WHERE device_id IS NOT NULL DO NOTHING
    RETURNING id
), moved AS (
    UPDATE teams
    SET position = ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), position_h3_r9 = %(h3_r9)s,
        position_at = %(at)s
    WHERE id = %(team_id)s AND %(follow)s AND EXISTS (SELECT 1 FROM ins)
      AND (position_at IS NULL OR position_at < %(at)s)
    RETURNING id
), touched AS (
    UPDATE devices SET last_fix_at = greatest(coalesce(last_fix_at, %(at)s), %(at)s)
    WHERE id = %(device_id)s AND EXISTS (SELECT 1 FROM ins)
)
SELECT (SELECT id FROM ins) AS position_id, EXISTS (SELECT 1 FROM moved) AS moved
