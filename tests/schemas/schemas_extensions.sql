-- Schemas, extensions and objects across schemas that refer to each other.
CREATE SCHEMA app;
CREATE SCHEMA "Reporting";
CREATE EXTENSION pg_trgm;
CREATE EXTENSION citext;
CREATE SCHEMA ext;
CREATE EXTENSION hstore WITH SCHEMA ext;
CREATE TABLE app.users (id int PRIMARY KEY, email citext UNIQUE, name text, extra ext.hstore);
CREATE INDEX users_name_trgm ON app.users USING gin (name gin_trgm_ops);
CREATE TABLE "Reporting"."Daily Stats" ("Day" date PRIMARY KEY, "User Count" int, user_id int REFERENCES app.users (id));
CREATE VIEW "Reporting".user_names AS SELECT u.id, u.name, s."Day" FROM app.users u JOIN "Reporting"."Daily Stats" s ON s.user_id = u.id;
