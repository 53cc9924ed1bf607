-- Partitioned tables: range (with a default and a sub-partitioned
-- partition), list, hash; keys, indexes and foreign keys on the parent,
-- a partition's own check, serial keys on a partitioned table.
CREATE TABLE measurements (
    id bigserial,
    city_id int NOT NULL,
    taken_on date NOT NULL,
    reading numeric,
    PRIMARY KEY (id, taken_on)
) PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE measurements_2024 PARTITION OF measurements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')
    PARTITION BY RANGE (taken_on);
CREATE TABLE measurements_2024_h1 PARTITION OF measurements_2024 FOR VALUES FROM ('2024-01-01') TO ('2024-07-01');
CREATE TABLE measurements_2024_rest PARTITION OF measurements_2024 DEFAULT;
CREATE TABLE measurements_other PARTITION OF measurements DEFAULT;
CREATE INDEX measurements_city ON measurements (city_id, taken_on);
ALTER TABLE measurements_2023 ADD CONSTRAINT measurements_2023_positive CHECK (reading >= 0);
CREATE TABLE regions (code text NOT NULL, name text) PARTITION BY LIST (code);
CREATE TABLE regions_eu PARTITION OF regions FOR VALUES IN ('de', 'fr', 'it');
CREATE TABLE regions_us PARTITION OF regions FOR VALUES IN ('us');
ALTER TABLE regions ADD CONSTRAINT regions_pkey PRIMARY KEY (code);
CREATE TABLE sessions (id uuid NOT NULL, user_id int, region text REFERENCES regions (code)) PARTITION BY HASH (id);
CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE sessions_1 PARTITION OF sessions FOR VALUES WITH (MODULUS 2, REMAINDER 1);
CREATE UNIQUE INDEX sessions_id ON sessions (id);
