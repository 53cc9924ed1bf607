"""a revision id lockstep cannot store (33 characters and more)

Revision ID: 20240603_add_search_index_to_posts
Revises: 0a0a0a0a0a02
"""
revision = '20240603_add_search_index_to_posts'
down_revision = '0a0a0a0a0a02'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
