-- Storage parameters on tables, an unlogged table, and options on an index.
CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb)
    WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.01, autovacuum_analyze_threshold = 500,
          toast_tuple_target = 256);
CREATE TABLE hot_counters (id int PRIMARY KEY, n bigint) WITH (autovacuum_enabled = false, toast.autovacuum_enabled = false);
CREATE UNLOGGED TABLE scratch_cache (key text PRIMARY KEY, value bytea, expires timestamptz);
CREATE INDEX events_payload ON events USING gin (payload jsonb_path_ops) WITH (fastupdate = off);
