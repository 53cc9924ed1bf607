CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL, name varchar(50), legacy_code text);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id),
    total numeric(10,2) NOT NULL DEFAULT 0,
    status text DEFAULT 'new',
    note text,
    CONSTRAINT orders_total_check CHECK (total >= 0)
);
CREATE INDEX orders_status ON orders (status);
CREATE UNIQUE INDEX customers_email ON customers (lower(email));
CREATE TABLE obsolete (id int PRIMARY KEY, customer_id int REFERENCES customers (id));
