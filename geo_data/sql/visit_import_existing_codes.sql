-- Which of the given inspection codes (行政行为码) are already used by a visit.
SELECT code FROM visits WHERE code = ANY (%(codes)s::text[])
