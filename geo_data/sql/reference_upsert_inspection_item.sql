-- Insert or refresh one inspection item (检查事项) of a department.
INSERT INTO inspection_items (code, department_code, name, legal_basis, service_minutes)
VALUES (%(code)s, %(department_code)s, %(name)s, %(legal_basis)s, %(service_minutes)s)
ON CONFLICT (code) DO UPDATE
SET department_code = EXCLUDED.department_code, name = EXCLUDED.name, legal_basis = EXCLUDED.legal_basis,
    service_minutes = EXCLUDED.service_minutes;
