-- Item codes of a department (to check a draw's items).
SELECT code FROM inspection_items WHERE department_code = %(department)s;
