"""quizzes.practice: site-wide practice or class-only

Revision ID: b7d41c2e9a10
Revises: efaf782f0cc1
Create Date: 2026-12-03 19:40:00.000000

Written by hand. Every existing instructor quiz becomes class-only (practice false): a published quiz is
no longer open to any student who guesses its id. Site quizzes (source_path set) stay open whatever this says.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7d41c2e9a10'
down_revision = 'efaf782f0cc1'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('practice', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('quizzes', schema=None) as batch_op:
        batch_op.drop_column('practice')
