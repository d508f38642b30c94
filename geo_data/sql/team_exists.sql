-- A team by id (county and township), active or not.
SELECT id, county_code, township_code, name, active FROM teams WHERE id = %(id)s
