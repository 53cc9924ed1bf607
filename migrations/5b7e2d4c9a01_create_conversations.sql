-- Revision ID: 5b7e2d4c9a01
-- Revises: 1c0d3e5f7a9b
-- Message: create conversations and their members
-- Create Date: 2026-11-05T15:40:00Z

-- +upgrade
CREATE TYPE conversation_kind AS ENUM ('direct', 'group');

CREATE TABLE conversations (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind conversation_kind NOT NULL DEFAULT 'direct',
    title text,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE conversation_members (
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_user_id ON conversation_members (user_id);

-- +downgrade
DROP TABLE conversation_members;
DROP TABLE conversations;
DROP TYPE conversation_kind;
