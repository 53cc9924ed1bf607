-- Revision ID: 1c0d3e5f7a9b
-- Revises:
-- Message: create users
-- Create Date: 2026-11-02T09:14:00Z

-- +upgrade
CREATE TABLE users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email text NOT NULL,
    display_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);

-- +downgrade
DROP TABLE users;
