CREATE TABLE customers (id serial PRIMARY KEY, email text NOT NULL, name varchar(120) NOT NULL DEFAULT '', phone text);
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    total numeric(14,2) NOT NULL DEFAULT 0,
    status text DEFAULT 'open' NOT NULL,
    note text,
    shipped_at timestamptz,
    CONSTRAINT orders_total_check CHECK (total >= 0 AND total < 1000000),
    CONSTRAINT orders_status_known CHECK (status IN ('open', 'shipped')) NOT VALID
);
CREATE INDEX orders_status ON orders (status) WHERE status <> 'shipped';
CREATE INDEX orders_shipped ON orders (shipped_at) INCLUDE (total);
CREATE UNIQUE INDEX customers_email ON customers (lower(email));
CREATE TABLE invoices (id serial PRIMARY KEY, order_id bigint NOT NULL REFERENCES orders (id), issued date DEFAULT current_date);
CREATE TABLE tickets (id int GENERATED ALWAYS AS IDENTITY (START WITH 100 INCREMENT BY 5) PRIMARY KEY, title text COLLATE "POSIX");
