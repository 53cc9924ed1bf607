-- Revision ID: 3f2a9c1e7b4d
-- Revises: e2b8f4a7d915
-- Message: add edited_at to messages
-- Create Date: 2026-11-24T12:00:00Z

-- +upgrade
ALTER TABLE messages ADD COLUMN edited_at timestamptz;
COMMENT ON COLUMN messages.edited_at IS 'set when the author edits the body';

-- +downgrade
ALTER TABLE messages DROP COLUMN edited_at;
