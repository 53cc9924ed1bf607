"""merge roles and publishing

Revision ID: f0a2c4e6b8d1
Revises: c4e6a8b0d2f1, d9f1b3c5e7a2
Create Date: 2024-04-01 12:00:00.000000

"""


# revision identifiers, used by Alembic.
revision = 'f0a2c4e6b8d1'
down_revision = ('c4e6a8b0d2f1', 'd9f1b3c5e7a2')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
