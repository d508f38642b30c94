-- Per-transaction staging table for imported visit records.
CREATE TEMP TABLE IF NOT EXISTS visit_stage (
    enterprise_id   bigint NOT NULL,
    visit_date      date NOT NULL,
    lead_department text NOT NULL,
    departments     text[] NOT NULL,
    items           text[] NOT NULL,
    code            text,
    code_scanned    boolean NOT NULL,
    rating          smallint,
    result          text NOT NULL
) ON COMMIT DROP
