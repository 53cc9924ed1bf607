CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0, updated_at timestamptz);
CREATE FUNCTION fee(amount numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT greatest(amount * 0.02, 1) $$;
CREATE FUNCTION label(a accounts) RETURNS text LANGUAGE sql AS $$ SELECT 'acct #' || a.id $$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := clock_timestamp(); RETURN NEW; END $$;
CREATE TRIGGER accounts_stamp BEFORE INSERT OR UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE FUNCTION version() RETURNS text LANGUAGE sql AS $$ SELECT '2' $$;
CREATE PROCEDURE reset_balances(to_value numeric DEFAULT 0) LANGUAGE sql AS $$ UPDATE accounts SET balance = to_value $$;
CREATE FUNCTION positive(x numeric) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT x >= 0 $$;
ALTER TABLE accounts ADD CONSTRAINT accounts_positive CHECK (positive(balance));
