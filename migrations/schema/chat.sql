-- The chat app's schema as it should be after every migration: what
-- `lockstep check` compares the migrations against (schema: migrations/schema).
-- The migration loader reads only the *.sql files directly in migrations/,
-- so this folder is not a revision.

CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);

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

CREATE TABLE messages (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id bigint REFERENCES users (id) ON DELETE SET NULL,
    body text NOT NULL CHECK (length(body) <= 10000),
    sent_at timestamptz NOT NULL DEFAULT now(),
    body_tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', body)) STORED,
    edited_at timestamptz
);
CREATE INDEX messages_conversation_sent_at ON messages (conversation_id, sent_at DESC);
CREATE INDEX messages_body_tsv ON messages USING gin (body_tsv);
COMMENT ON COLUMN messages.edited_at IS 'set when the author edits the body';

CREATE TABLE message_reactions (
    message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    emoji text NOT NULL CHECK (length(emoji) BETWEEN 1 AND 16),
    reacted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (message_id, user_id, emoji)
);
