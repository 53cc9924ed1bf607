-- Functions (SQL, PL/pgSQL, SQL-standard body), a procedure, functions used
-- by a column default, a check constraint and an index, a function on a
-- table's row type, trigger functions and triggers (row, statement,
-- constraint trigger, WHEN, columns).
CREATE FUNCTION next_code() RETURNS text LANGUAGE sql VOLATILE AS $$ SELECT md5(random()::text) $$;
CREATE FUNCTION is_slug(value text) RETURNS boolean LANGUAGE sql IMMUTABLE STRICT AS $$ SELECT value ~ '^[a-z0-9-]+$' $$;
CREATE FUNCTION normalized(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN lower(trim(value));
CREATE DOMAIN slug AS text CHECK (is_slug(VALUE));
CREATE TABLE articles (
    id int PRIMARY KEY,
    code text NOT NULL DEFAULT next_code(),
    slug text NOT NULL CHECK (is_slug(slug)),
    canonical slug,
    title text NOT NULL,
    updated_at timestamptz,
    revision int NOT NULL DEFAULT 0
);
CREATE INDEX articles_title ON articles (normalized(title));
CREATE TABLE article_log (article_id int, action text, at timestamptz DEFAULT now());
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    NEW.revision := OLD.revision + 1;
    RETURN NEW;
END
$$;
CREATE FUNCTION log_change() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
BEGIN
    INSERT INTO article_log (article_id, action) VALUES (coalesce(NEW.id, OLD.id), TG_OP);
    RETURN NULL;
END
$$;
CREATE FUNCTION headline(a articles) RETURNS text LANGUAGE sql STABLE AS $$ SELECT a.title || ' (' || a.slug || ')' $$;
CREATE FUNCTION article_count() RETURNS bigint LANGUAGE sql STABLE BEGIN ATOMIC SELECT count(*) FROM articles; END;
CREATE PROCEDURE purge_log(keep interval DEFAULT '30 days') LANGUAGE sql AS $$ DELETE FROM article_log WHERE at < now() - keep $$;
CREATE FUNCTION sum_ints(VARIADIC xs int[]) RETURNS int LANGUAGE sql IMMUTABLE AS $$ SELECT sum(x)::int FROM unnest(xs) x $$;
CREATE FUNCTION split_pair(text, OUT a text, OUT b text) LANGUAGE sql AS $$ SELECT split_part($1, ',', 1), split_part($1, ',', 2) $$;
CREATE FUNCTION recent_articles(since timestamptz) RETURNS SETOF articles LANGUAGE sql STABLE AS $$ SELECT * FROM articles WHERE updated_at > since $$;
CREATE TRIGGER articles_touch BEFORE UPDATE ON articles FOR EACH ROW WHEN (OLD.title IS DISTINCT FROM NEW.title) EXECUTE FUNCTION touch();
CREATE TRIGGER articles_log AFTER INSERT OR DELETE OR UPDATE OF title, slug ON articles FOR EACH ROW EXECUTE FUNCTION log_change();
CREATE TRIGGER articles_truncate AFTER TRUNCATE ON articles FOR EACH STATEMENT EXECUTE FUNCTION log_change();
CREATE CONSTRAINT TRIGGER articles_deferred AFTER INSERT ON articles DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION log_change();
