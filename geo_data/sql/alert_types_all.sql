-- Every alert type with its de-duplication, dispatch and SLA configuration.
SELECT code, name, name_en, remote_closable, window_minutes, ring, departments, sla_minutes
FROM alert_types
ORDER BY code
