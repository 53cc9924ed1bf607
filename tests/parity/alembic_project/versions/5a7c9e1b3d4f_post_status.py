"""post status

Revision ID: 5a7c9e1b3d4f
Revises: 8b2d4f6a1c3e
Create Date: 2024-03-19 08:12:55.337900

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '5a7c9e1b3d4f'
down_revision = '8b2d4f6a1c3e'
branch_labels = ('publishing',)
depends_on = None

post_status = postgresql.ENUM('draft', 'published', 'archived', name='post_status')


def upgrade() -> None:
    post_status.create(op.get_bind())
    op.add_column('posts', sa.Column('status', post_status, server_default='draft', nullable=False))
    op.create_check_constraint('ck_posts_title_not_blank', 'posts', "btrim(title) <> ''")


def downgrade() -> None:
    op.drop_constraint('ck_posts_title_not_blank', 'posts', type_='check')
    op.drop_column('posts', 'status')
    post_status.drop(op.get_bind())
