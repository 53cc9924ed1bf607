# Online mode only: the test runs `alembic upgrade` on a scratch database named by
# ALEMBIC_TEST_URL, one transaction per revision (lockstep's model).
import os

from alembic import context
from sqlalchemy import create_engine

engine = create_engine(os.environ["ALEMBIC_TEST_URL"])
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
