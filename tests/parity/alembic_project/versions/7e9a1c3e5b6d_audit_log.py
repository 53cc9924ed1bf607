"""audit log

Revision ID: 7e9a1c3e5b6d
Revises:
Create Date: 2024-04-15 16:20:31.007731

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '7e9a1c3e5b6d'
down_revision = None
branch_labels = ('audit',)
depends_on = '3e1a5c7b9d20'


def upgrade() -> None:
    op.create_table(
        'audit_log',
        sa.Column('id', sa.BigInteger(), sa.Identity(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL')),
        sa.Column('action', sa.Text(), nullable=False),
        sa.Column('detail', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb")),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        comment="who did what; rows are never updated",
    )
    op.create_index('ix_audit_log_at', 'audit_log', [sa.text('at DESC')])
    # the body keeps its blank line and the trailing spaces after `now();`
    op.execute("""
CREATE FUNCTION audit_log_stamp() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN

    NEW.at := now();   
    RETURN NEW;
END
$$""")
    op.execute("CREATE TRIGGER audit_log_stamp BEFORE INSERT ON audit_log "
               "FOR EACH ROW EXECUTE FUNCTION audit_log_stamp()")


def downgrade() -> None:
    op.drop_table('audit_log')
    op.execute("DROP FUNCTION audit_log_stamp()")
