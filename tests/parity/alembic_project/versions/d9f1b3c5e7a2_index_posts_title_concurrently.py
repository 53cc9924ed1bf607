"""index posts title concurrently

Revision ID: d9f1b3c5e7a2
Revises: 5a7c9e1b3d4f
Create Date: 2024-03-25 17:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd9f1b3c5e7a2'
down_revision = '5a7c9e1b3d4f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index('ix_posts_title', 'posts', ['title'], postgresql_concurrently=True)
        op.execute("ALTER TYPE post_status ADD VALUE 'scheduled'")


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index('ix_posts_title', table_name='posts', postgresql_concurrently=True)
