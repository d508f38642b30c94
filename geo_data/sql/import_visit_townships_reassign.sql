-- Visits follow their enterprise's township.
UPDATE visits v SET township_code = e.township_code
FROM enterprises e
WHERE v.enterprise_id = e.id AND v.county_code = %(county_code)s
  AND v.township_code IS DISTINCT FROM e.township_code
