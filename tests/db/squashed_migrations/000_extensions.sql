-- PostGIS for geometries; pgcrypto for digests in the audit chain.
CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
