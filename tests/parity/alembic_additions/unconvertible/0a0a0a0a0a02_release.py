"""release

Revision ID: 0a0a0a0a0a02
Revises: 0a0a0a0a0a01
Create Date: 2024-06-02 00:00:00

"""
revision = '0a0a0a0a0a02'
down_revision = '0a0a0a0a0a01'
branch_labels = ('release-2',)
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
