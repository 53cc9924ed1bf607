CREATE TYPE state AS ENUM ('draft', 'live');
CREATE DOMAIN score AS int DEFAULT 5 CHECK (VALUE BETWEEN 0 AND 100) CONSTRAINT score_even CHECK (VALUE % 2 = 0);
CREATE TYPE pair AS (a int, b bigint, c text);
CREATE SEQUENCE ticket_no START 100 INCREMENT 2;
CREATE TABLE posts (id int PRIMARY KEY, state state NOT NULL DEFAULT 'draft', rating score, author text)
    WITH (fillfactor = 70, autovacuum_enabled = false);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
CREATE POLICY posts_read ON posts FOR SELECT USING (state = 'live' OR author = current_user);
CREATE POLICY posts_write ON posts FOR INSERT WITH CHECK (author = current_user);
COMMENT ON TABLE posts IS 'the blog''s posts';
