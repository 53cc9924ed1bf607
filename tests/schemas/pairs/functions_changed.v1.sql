CREATE TABLE accounts (id int PRIMARY KEY, balance numeric NOT NULL DEFAULT 0, updated_at timestamptz);
CREATE FUNCTION fee(amount numeric) RETURNS numeric LANGUAGE sql IMMUTABLE AS $$ SELECT amount * 0.01 $$;
CREATE FUNCTION label(a accounts) RETURNS text LANGUAGE sql AS $$ SELECT 'account ' || a.id $$;
CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE TRIGGER accounts_stamp BEFORE UPDATE ON accounts FOR EACH ROW EXECUTE FUNCTION stamp();
CREATE FUNCTION version() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
CREATE PROCEDURE reset_balances() LANGUAGE sql AS $$ UPDATE accounts SET balance = 0 $$;
