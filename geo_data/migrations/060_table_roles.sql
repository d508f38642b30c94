-- What each table would be on a Citus cluster distributed by county_code (docs/scale-out.md). Small tables that
-- every county reads, or that are looked up before the county is known (a login, a token), are reference tables
-- (a copy on every node); tables of the web tier's own bookkeeping (sessions, throttling) stay local to the
-- coordinator the web servers talk to;
-- every other table is distributed by county_code and must follow Citus's rules for that
-- (tests/db/test_scale_out.py checks the catalog).
COMMENT ON TABLE counties IS 'reference table: the counties (a few hundred per province), read by every county''s queries';
COMMENT ON TABLE townships IS 'reference table: the townships and their outlines (tens per county), read for scoping';
COMMENT ON TABLE departments IS 'reference table: the enforcement departments (code list)';
COMMENT ON TABLE inspection_items IS 'reference table: the inspection items of each department (code list)';
COMMENT ON TABLE industries IS 'reference table: the industries and their busy hours (code list)';
COMMENT ON TABLE alert_types IS 'reference table: the alert types and their rules (code list)';
COMMENT ON TABLE roles IS 'reference table: the roles of user accounts (code list)';
COMMENT ON TABLE quota_matrix IS 'reference table: visit quotas by risk and credit, defaults and county overrides (16 rows per county at most)';
COMMENT ON TABLE app_state IS 'reference table: key/value state of the installation (a handful of rows)';
COMMENT ON TABLE users IS 'reference table: the user accounts (thousands), found by user name at login, before the county is known';
COMMENT ON TABLE api_tokens IS 'reference table: machine tokens (hundreds), found by their hash before the county is known';
COMMENT ON TABLE user_sessions IS 'local table: login sessions, found by the cookie''s hash before the county is known and touched by every request';
COMMENT ON TABLE login_throttle IS 'local table: failed logins per name and address, counted before the county is known';
COMMENT ON TABLE user_recovery_codes IS 'reference table: second-factor recovery codes of the user accounts';
COMMENT ON TABLE visit_code_misses IS 'local table: unknown inspection codes asked for per client address (rate limiting, pruned)';
