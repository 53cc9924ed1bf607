-- Revision ID: c93d07b5e218
-- Revises: 8e4a61f0c2d3
-- Message: add full-text search on messages
-- Create Date: 2026-11-12T16:45:00Z
-- Branch Labels: search
-- Lint Ignore: volatile-default, create-index-not-concurrently
-- (deliberate: messages is still small when search ships, so the table rewrite
-- of a stored generated column and a plain CREATE INDEX are accepted)

-- +upgrade
ALTER TABLE messages
    ADD COLUMN body_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED;
CREATE INDEX messages_body_tsv ON messages USING gin (body_tsv);

-- +downgrade
DROP INDEX messages_body_tsv;
ALTER TABLE messages DROP COLUMN body_tsv;
