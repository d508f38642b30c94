-- The draw already committed from a preview, if any.
SELECT * FROM draws WHERE preview_token = %(token)s AND county_code = %(county_code)s;
