"""seed roles

Revision ID: c4e6a8b0d2f1
Revises: 8b2d4f6a1c3e
Create Date: 2024-03-18 14:40:03.905112

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4e6a8b0d2f1'
down_revision = '8b2d4f6a1c3e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    roles = op.create_table(
        'roles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(roles, [
        {'id': 1, 'name': 'admin', 'note': 'may do anything'},
        {'id': 2, 'name': 'editor', 'note': "edits everyone's posts; 100% trusted"},
        {'id': 3, 'name': 'reader', 'note': None},
    ])
    op.add_column('users', sa.Column('role_id', sa.Integer(), sa.ForeignKey('roles.id'), nullable=True))
    op.execute("UPDATE users SET role_id = 3")


def downgrade() -> None:
    op.drop_column('users', 'role_id')
    op.drop_table('roles')
