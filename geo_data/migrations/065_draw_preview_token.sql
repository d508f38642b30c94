-- A draw committed from a preview carries the preview's token: the same preview committed twice (a double click,
-- a retried request) records one draw (geo_data.draws.create_draw). county_code in the key (docs/scale-out.md).
ALTER TABLE draws ADD COLUMN preview_token text;
CREATE UNIQUE INDEX draws_preview_token_key ON draws (preview_token, county_code) WHERE preview_token IS NOT NULL;
