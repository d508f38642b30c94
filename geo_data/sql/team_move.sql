-- Record a team's new live position (and status) and keep its track.
WITH t AS (
    UPDATE teams
    SET position = ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), position_h3_r9 = %(h3_r9)s,
        position_at = %(at)s, status = coalesce(%(status)s, status)
    WHERE id = %(id)s
    RETURNING id, county_code, township_code, status, position
)
INSERT INTO team_positions (county_code, team_id, at, geom, h3_r7, h3_r8, h3_r9, status)
SELECT county_code, id, %(at)s, position, %(h3_r7)s, %(h3_r8)s, %(h3_r9)s, status FROM t
RETURNING team_id, county_code
