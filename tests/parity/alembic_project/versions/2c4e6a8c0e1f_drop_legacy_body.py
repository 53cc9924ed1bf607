"""drop post bodies, kept elsewhere now

Revision ID: 2c4e6a8c0e1f
Revises: 1b3d5f7a9c0e
Create Date: 2024-05-02 09:00:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '2c4e6a8c0e1f'
down_revision = '1b3d5f7a9c0e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column('posts', 'body')


def downgrade() -> None:
    # the data is gone; nothing to restore
    pass
