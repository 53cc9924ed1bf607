CREATE TYPE state AS ENUM ('draft', 'live');
CREATE DOMAIN score AS int CHECK (VALUE BETWEEN 0 AND 10);
CREATE TYPE pair AS (a int, b int);
CREATE SEQUENCE ticket_no START 100;
CREATE TABLE posts (id int PRIMARY KEY, state state NOT NULL DEFAULT 'draft', rating score, author text)
    WITH (fillfactor = 90);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
CREATE POLICY posts_read ON posts FOR SELECT USING (state = 'live');
COMMENT ON TABLE posts IS 'blog posts';
COMMENT ON COLUMN posts.author IS 'who wrote it';
