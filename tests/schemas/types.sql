-- Enums, domains (default, NOT NULL, checks, over an enum), composite and
-- range types, and tables and functions that use them.
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN email AS text CHECK (VALUE ~ '@') CONSTRAINT email_length CHECK (length(VALUE) < 255);
CREATE DOMAIN positive_int AS integer NOT NULL DEFAULT 1 CHECK (VALUE > 0);
CREATE DOMAIN cheerful AS mood CHECK (VALUE <> 'sad');
CREATE DOMAIN short_code AS varchar(8) COLLATE "C";
CREATE TYPE address AS (street text, city text, zip short_code);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
CREATE TABLE people (
    id int PRIMARY KEY,
    contact email NOT NULL,
    visits positive_int,
    feeling mood DEFAULT 'ok',
    outlook cheerful,
    home address,
    tolerance floatrange
);
CREATE FUNCTION city_of(a address) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT a.city $$;
