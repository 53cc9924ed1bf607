"""index users by lower(email), concurrently

Revision ID: 0b0b0b0b0b02
Revises: 0b0b0b0b0b01
Create Date: 2024-06-02 00:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0b0b0b0b0b02'
down_revision = '0b0b0b0b0b01'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # SQLAlchemy 2: end the migration's transaction, then build the index outside one
    op.get_bind().commit()
    with op.get_context().autocommit_block():
        op.create_index('ix_users_email_lower', 'users', [sa.text('lower(email)')],
                        postgresql_concurrently=True)


def downgrade() -> None:
    op.drop_index('ix_users_email_lower', table_name='users')
