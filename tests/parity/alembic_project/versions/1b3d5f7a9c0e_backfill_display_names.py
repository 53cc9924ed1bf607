"""backfill display names

Revision ID: 1b3d5f7a9c0e
Revises: f0a2c4e6b8d1
Create Date: 2024-04-08 11:45:10.556301

"""
from alembic import context, op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1b3d5f7a9c0e'
down_revision = 'f0a2c4e6b8d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    users = sa.table('users', sa.column('email', sa.String), sa.column('display_name', sa.String))
    if context.is_offline_mode():
        op.execute(users.update().where(users.c.display_name.is_(None))
                   .values(display_name=sa.func.split_part(users.c.email, '@', 1)))
    else:
        op.get_bind().execute(users.update().where(users.c.display_name.is_(None))
                              .values(display_name=sa.func.split_part(users.c.email, '@', 1)))
    op.alter_column('users', 'display_name', existing_type=sa.String(length=80), nullable=False,
                    server_default='')


def downgrade() -> None:
    op.alter_column('users', 'display_name', existing_type=sa.String(length=80), nullable=True,
                    server_default=None)
