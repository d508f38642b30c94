-- Insert one inspector (执法人员) of a team with badge number, department and qualifications.
INSERT INTO inspectors (county_code, team_id, name, badge_no, department_code, qualifications)
VALUES (%(county_code)s, %(team_id)s, %(name)s, %(badge_no)s, %(department_code)s, %(qualifications)s);
