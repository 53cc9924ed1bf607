-- Revision ID: a41f9b3e6c70
-- Revises: 8e4a61f0c2d3
-- Message: add message reactions
-- Create Date: 2026-11-12T10:30:00Z
-- Branch Labels: reactions

-- +upgrade
CREATE TABLE message_reactions (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 16),
    reacted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);

-- +downgrade
DROP TABLE message_reactions;
