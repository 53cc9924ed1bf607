-- Indexes: unique, partial, expression, INCLUDE, methods, NULLS NOT DISTINCT,
-- descending and collated keys, in another schema.
CREATE SCHEMA search;
CREATE TABLE search.documents (id int, body text, tsv tsvector, a int, b int, created date, point_at point);
CREATE UNIQUE INDEX documents_a ON search.documents (a) WHERE a > 0;
CREATE INDEX documents_lower ON search.documents (lower(body));
CREATE INDEX documents_tsv ON search.documents USING gin (tsv);
CREATE INDEX documents_a_inc ON search.documents (a) INCLUDE (b);
CREATE INDEX documents_hash ON search.documents USING hash (id);
CREATE INDEX documents_brin ON search.documents USING brin (created);
CREATE INDEX documents_gist ON search.documents USING gist (point_at);
CREATE UNIQUE INDEX documents_ab ON search.documents (a, b) NULLS NOT DISTINCT;
CREATE INDEX documents_desc ON search.documents (created DESC NULLS LAST, body COLLATE "C");
CREATE INDEX documents_fill ON search.documents (b) WITH (fillfactor = 70);
