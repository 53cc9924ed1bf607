-- Revision ID: e2b8f4a7d915
-- Revises: a41f9b3e6c70, c93d07b5e218
-- Message: merge reactions and search
-- Create Date: 2026-11-18T08:00:00Z

-- +upgrade

-- +downgrade
