-- Staging table for one coverage import (dropped at commit).
CREATE TEMP TABLE IF NOT EXISTS coverage_stage (
    cell bigint NOT NULL, source text NOT NULL, valid_from date NOT NULL, valid_to date
) ON COMMIT DROP
