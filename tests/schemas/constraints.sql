-- Primary keys, unique (also NULLS NOT DISTINCT and composite), checks,
-- exclusion, foreign keys with actions and deferrability, NOT VALID.
CREATE TABLE accounts (id int PRIMARY KEY, email text NOT NULL, handle text, CONSTRAINT accounts_email_key UNIQUE (email));
CREATE TABLE handles (handle text, domain text, CONSTRAINT handles_unique UNIQUE NULLS NOT DISTINCT (handle, domain));
CREATE TABLE bookings (
    id int NOT NULL,
    account_id int NOT NULL,
    room int NOT NULL,
    during tsrange NOT NULL,
    seats int CHECK (seats > 0),
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&),
    CONSTRAINT bookings_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE ON UPDATE RESTRICT
        DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE invoices (
    id int PRIMARY KEY,
    booking_id int,
    account_id int,
    amount numeric NOT NULL,
    CONSTRAINT invoices_booking_fk FOREIGN KEY (booking_id) REFERENCES bookings (id) ON DELETE SET NULL,
    CONSTRAINT invoices_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) MATCH FULL DEFERRABLE
);
ALTER TABLE invoices ADD CONSTRAINT invoices_positive CHECK (amount >= 0) NOT VALID;
ALTER TABLE invoices ADD CONSTRAINT invoices_booking_late FOREIGN KEY (booking_id) REFERENCES bookings (id) NOT VALID;
CREATE TABLE tree (id int PRIMARY KEY, parent_id int REFERENCES tree (id) ON DELETE SET DEFAULT);
