-- One draw of the caller's county.
SELECT * FROM draws WHERE id = %(draw_id)s AND county_code = %(county_code)s;
