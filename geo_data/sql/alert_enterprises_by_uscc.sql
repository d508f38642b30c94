-- Enterprises of a county by USCC (for alerts that name the enterprise they concern).
SELECT uscc, id FROM enterprises WHERE county_code = %(county_code)s AND uscc = ANY(%(usccs)s::text[])
