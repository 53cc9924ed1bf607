"""drop the reader role

Revision ID: 0b0b0b0b0b01
Revises: 2c4e6a8c0e1f
Create Date: 2024-06-01 00:00:00

"""
from alembic import op

revision = '0b0b0b0b0b01'
down_revision = '2c4e6a8c0e1f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("UPDATE users SET role_id = NULL WHERE role_id = 3")
    op.execute("DELETE FROM roles WHERE id = 3")


def downgrade() -> None:
    raise RuntimeError("Cannot undelete data!")
