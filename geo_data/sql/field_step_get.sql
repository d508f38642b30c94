-- A field step already received under this phone id (a resend from the offline queue), with who sent it.
SELECT client_id, user_id, step, incident_id, dispatch_id, visit_id, at, answer
FROM field_steps WHERE client_id = %(client_id)s
