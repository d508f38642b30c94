-- The device's fix just before this one in time (for the implied speed), any flag.
SELECT at, ST_X(geom) AS lng, ST_Y(geom) AS lat
FROM team_positions
WHERE device_id = %(device_id)s AND at < %(at)s
ORDER BY at DESC
LIMIT 1
