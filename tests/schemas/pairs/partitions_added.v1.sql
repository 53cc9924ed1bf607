CREATE TABLE logs (id bigint NOT NULL, at date NOT NULL, line text) PARTITION BY RANGE (at);
CREATE TABLE logs_2024 PARTITION OF logs FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX logs_at ON logs (at);
CREATE TABLE tenants (id int NOT NULL, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE tenants_eu PARTITION OF tenants FOR VALUES IN ('eu');
CREATE TABLE tenants_old PARTITION OF tenants FOR VALUES IN ('old');
