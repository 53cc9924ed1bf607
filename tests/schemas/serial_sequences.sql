-- Serial and bigserial keys (sequences owned by their columns), a sequence
-- owned by a column explicitly, and free sequences.
CREATE TABLE orders (
    id bigserial PRIMARY KEY,
    number serial NOT NULL,
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE small_counter (id smallserial PRIMARY KEY, label text);
CREATE SEQUENCE invoice_no AS integer START WITH 1000 INCREMENT BY 5 MINVALUE 1000 MAXVALUE 999999 CACHE 10 CYCLE;
CREATE SEQUENCE ticket_seq;
CREATE TABLE tickets (id integer NOT NULL DEFAULT nextval('ticket_seq'), invoice integer DEFAULT nextval('invoice_no'));
ALTER SEQUENCE ticket_seq OWNED BY tickets.id;
CREATE SEQUENCE descending_seq INCREMENT BY -1 MINVALUE -1000 MAXVALUE -1 START WITH -1;
