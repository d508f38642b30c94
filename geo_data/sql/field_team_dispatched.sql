-- Whether the incident was ever dispatched to the team (its inspectors may add photos to it).
SELECT 1 AS ok FROM dispatches WHERE incident_id = %(incident_id)s AND team_id = %(team_id)s LIMIT 1
