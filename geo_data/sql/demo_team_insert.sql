-- Insert one team with its base (WGS-84 point) and base cell; returns its id.
INSERT INTO teams (county_code, township_code, name, kind, department_code, qualifications, members, base,
                   base_h3_r9, status, position, position_h3_r9, position_at)
VALUES (%(county_code)s, %(township_code)s, %(name)s, %(kind)s, %(department_code)s, %(qualifications)s,
        %(members)s, ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(base_h3_r9)s, 'idle',
        ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326), %(base_h3_r9)s, now())
RETURNING id;
