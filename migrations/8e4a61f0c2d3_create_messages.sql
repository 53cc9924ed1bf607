-- Revision ID: 8e4a61f0c2d3
-- Revises: 5b7e2d4c9a01
-- Message: create messages
-- Create Date: 2026-11-09T11:05:00Z

-- +upgrade
CREATE TABLE messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL CHECK (length(body) <= 10000),
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_sent_at ON messages (conversation_id, sent_at DESC);

-- +downgrade
DROP TABLE messages;
