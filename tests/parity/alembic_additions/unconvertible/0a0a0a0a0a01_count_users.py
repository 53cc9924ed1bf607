"""count users

Revision ID: 0a0a0a0a0a01
Revises: 2c4e6a8c0e1f
Create Date: 2024-06-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0a0a0a0a0a01'
down_revision = '2c4e6a8c0e1f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    users = op.get_bind().execute(sa.text("SELECT count(*) FROM users")).scalar()
    if users:
        op.execute("ANALYZE users")


def downgrade() -> None:
    pass
