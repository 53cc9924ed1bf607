-- A large, realistic e-commerce schema (generated once, then kept as written): 50+ tables across
-- schemas, with every kind of object lockstep manages mixed together.
CREATE SCHEMA catalog;
CREATE SCHEMA sales;
CREATE SCHEMA inventory;
CREATE SCHEMA auth;
CREATE EXTENSION pg_trgm;
CREATE EXTENSION citext;
CREATE TYPE sales.order_state AS ENUM ('cart', 'placed', 'paid', 'shipped', 'delivered', 'cancelled');
CREATE TYPE inventory.movement_kind AS ENUM ('receipt', 'pick', 'adjust', 'return');
CREATE DOMAIN sales.money_cents AS bigint NOT NULL DEFAULT 0 CHECK (VALUE >= 0);
CREATE DOMAIN auth.email AS citext CONSTRAINT email_has_at CHECK (VALUE ~ '@');
CREATE DOMAIN catalog.sku AS varchar(32) COLLATE "C" CHECK (VALUE ~ '^[A-Z0-9-]+$');
CREATE TYPE sales.address AS (line1 text, line2 text, city text, postcode varchar(12), country char(2));
CREATE TYPE catalog.price_band AS RANGE (subtype = numeric);
CREATE FUNCTION public.set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;
CREATE FUNCTION public.slugify(value text) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT trim(both '-' FROM regexp_replace(lower(value), '[^a-z0-9]+', '-', 'g'))
$$;
CREATE SEQUENCE sales.invoice_number AS bigint START WITH 100000 INCREMENT BY 1 CACHE 20;
CREATE TABLE auth.users (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email auth.email NOT NULL UNIQUE,
    display_name text NOT NULL,
    password_hash text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    disabled boolean NOT NULL DEFAULT false
);
CREATE TABLE auth.roles (id serial PRIMARY KEY, name text NOT NULL UNIQUE, description text);
CREATE TABLE auth.user_roles (
    user_id bigint NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role_id int NOT NULL REFERENCES auth.roles (id),
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role_id)
);
CREATE TABLE auth.sessions (
    token uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id bigint NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    expires_at timestamptz NOT NULL,
    ip inet
) WITH (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.02);
CREATE INDEX sessions_user ON auth.sessions (user_id, expires_at DESC);
CREATE UNLOGGED TABLE auth.login_attempts (email citext NOT NULL, at timestamptz NOT NULL DEFAULT now(), ok boolean);
CREATE INDEX login_attempts_email ON auth.login_attempts (email, at);
CREATE TABLE auth.api_keys (
    id serial PRIMARY KEY, user_id bigint NOT NULL REFERENCES auth.users (id), prefix char(8) NOT NULL,
    hash bytea NOT NULL, scopes text[] NOT NULL DEFAULT '{}', revoked_at timestamptz,
    CONSTRAINT api_keys_prefix UNIQUE (prefix)
);
CREATE INDEX api_keys_active ON auth.api_keys (user_id) WHERE revoked_at IS NULL;
CREATE TABLE catalog.brands (id serial PRIMARY KEY, name text NOT NULL, slug text GENERATED ALWAYS AS (public.slugify(name)) STORED);
CREATE UNIQUE INDEX brands_slug ON catalog.brands (slug);
CREATE TABLE catalog.categories (
    id serial PRIMARY KEY, parent_id int REFERENCES catalog.categories (id) ON DELETE SET NULL,
    name text NOT NULL, position smallint NOT NULL DEFAULT 0
);
CREATE TABLE catalog.products (
    id bigserial PRIMARY KEY,
    sku catalog.sku NOT NULL UNIQUE,
    brand_id int REFERENCES catalog.brands (id),
    category_id int REFERENCES catalog.categories (id),
    name text NOT NULL,
    description text,
    price sales.money_cents,
    band catalog.price_band,
    attributes jsonb NOT NULL DEFAULT '{}',
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', coalesce(name, '') || ' ' || coalesce(description, ''))) STORED,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_search ON catalog.products USING gin (search);
CREATE INDEX products_name_trgm ON catalog.products USING gin (name gin_trgm_ops);
CREATE INDEX products_attributes ON catalog.products USING gin (attributes jsonb_path_ops);
CREATE INDEX products_category ON catalog.products (category_id) INCLUDE (price);
CREATE TRIGGER products_updated BEFORE UPDATE ON catalog.products FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TABLE catalog.product_images (
    id bigserial PRIMARY KEY, product_id bigint NOT NULL REFERENCES catalog.products (id) ON DELETE CASCADE,
    url text NOT NULL, position smallint NOT NULL DEFAULT 0, alt text
);
CREATE TABLE catalog.variants (
    id bigserial PRIMARY KEY, product_id bigint NOT NULL REFERENCES catalog.products (id) ON DELETE CASCADE,
    sku catalog.sku NOT NULL UNIQUE, size text, color text, extra_price sales.money_cents
);
CREATE TABLE catalog.tags (id serial PRIMARY KEY, name text NOT NULL UNIQUE);
CREATE TABLE catalog.product_tags (
    product_id bigint REFERENCES catalog.products (id) ON DELETE CASCADE,
    tag_id int REFERENCES catalog.tags (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, tag_id)
);
CREATE TABLE catalog.reviews (
    id bigserial PRIMARY KEY, product_id bigint NOT NULL REFERENCES catalog.products (id),
    user_id bigint REFERENCES auth.users (id) ON DELETE SET NULL,
    stars smallint NOT NULL CHECK (stars BETWEEN 1 AND 5), body text, created_at timestamptz DEFAULT now()
);
CREATE INDEX reviews_product ON catalog.reviews (product_id, created_at DESC);
CREATE TABLE catalog.price_history (
    product_id bigint NOT NULL REFERENCES catalog.products (id), valid tstzrange NOT NULL, price bigint NOT NULL,
    CONSTRAINT price_history_no_overlap EXCLUDE USING gist (valid WITH &&)
);
CREATE TABLE inventory.warehouses (id serial PRIMARY KEY, code char(4) NOT NULL UNIQUE, name text, address sales.address);
CREATE TABLE inventory.bins (
    id serial PRIMARY KEY, warehouse_id int NOT NULL REFERENCES inventory.warehouses (id), label text NOT NULL,
    UNIQUE (warehouse_id, label)
);
CREATE TABLE inventory.stock (
    variant_id bigint NOT NULL REFERENCES catalog.variants (id), bin_id int NOT NULL REFERENCES inventory.bins (id),
    quantity int NOT NULL DEFAULT 0 CHECK (quantity >= 0), PRIMARY KEY (variant_id, bin_id)
) WITH (fillfactor = 80);
CREATE TABLE inventory.movements (
    id bigint GENERATED BY DEFAULT AS IDENTITY, at timestamptz NOT NULL DEFAULT now(),
    kind inventory.movement_kind NOT NULL, variant_id bigint NOT NULL, bin_id int NOT NULL, delta int NOT NULL,
    PRIMARY KEY (id, at)
) PARTITION BY RANGE (at);
CREATE TABLE inventory.movements_2024 PARTITION OF inventory.movements FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE inventory.movements_2025 PARTITION OF inventory.movements FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE inventory.movements_2026 PARTITION OF inventory.movements FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE inventory.movements_default PARTITION OF inventory.movements DEFAULT;
CREATE INDEX movements_variant ON inventory.movements (variant_id, at);
CREATE TABLE inventory.suppliers (id serial PRIMARY KEY, name text NOT NULL, email auth.email, country char(2));
CREATE TABLE inventory.purchase_orders (
    id serial PRIMARY KEY, supplier_id int NOT NULL REFERENCES inventory.suppliers (id), ordered_on date NOT NULL DEFAULT current_date,
    expected_on date, CHECK (expected_on IS NULL OR expected_on >= ordered_on)
);
CREATE TABLE inventory.purchase_order_lines (
    purchase_order_id int REFERENCES inventory.purchase_orders (id) ON DELETE CASCADE, line smallint,
    variant_id bigint NOT NULL REFERENCES catalog.variants (id), quantity int NOT NULL, PRIMARY KEY (purchase_order_id, line)
);
CREATE TABLE sales.customers (
    id bigserial PRIMARY KEY, user_id bigint UNIQUE REFERENCES auth.users (id), email auth.email NOT NULL,
    billing sales.address, shipping sales.address, tenant text NOT NULL DEFAULT 'main', created_at timestamptz DEFAULT now()
);
ALTER TABLE sales.customers ENABLE ROW LEVEL SECURITY;
CREATE POLICY customers_tenant ON sales.customers USING (tenant = current_setting('app.tenant', true));
CREATE TABLE sales.orders (
    id bigint NOT NULL, placed_on date NOT NULL, customer_id bigint NOT NULL REFERENCES sales.customers (id),
    state sales.order_state NOT NULL DEFAULT 'cart', total sales.money_cents, region text NOT NULL DEFAULT 'eu',
    PRIMARY KEY (id, placed_on)
) PARTITION BY RANGE (placed_on);
CREATE SEQUENCE sales.orders_id_seq OWNED BY sales.orders.id;
ALTER TABLE sales.orders ALTER COLUMN id SET DEFAULT nextval('sales.orders_id_seq');
CREATE TABLE sales.orders_p0 PARTITION OF sales.orders FOR VALUES FROM ('2025-01-01') TO ('2025-07-01');
CREATE TABLE sales.orders_p1 PARTITION OF sales.orders FOR VALUES FROM ('2025-07-01') TO ('2026-01-01');
CREATE TABLE sales.orders_p2 PARTITION OF sales.orders FOR VALUES FROM ('2026-01-01') TO ('2026-07-01');
CREATE INDEX orders_customer ON sales.orders (customer_id, placed_on DESC);
CREATE INDEX orders_open ON sales.orders (state) WHERE state IN ('placed', 'paid');
CREATE TABLE sales.order_lines (
    order_id bigint NOT NULL, placed_on date NOT NULL, line smallint NOT NULL, variant_id bigint NOT NULL REFERENCES catalog.variants (id),
    quantity int NOT NULL CHECK (quantity > 0), unit_price sales.money_cents,
    PRIMARY KEY (order_id, placed_on, line),
    FOREIGN KEY (order_id, placed_on) REFERENCES sales.orders (id, placed_on) ON DELETE CASCADE
);
CREATE TABLE sales.payments (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(), order_id bigint NOT NULL, placed_on date NOT NULL,
    amount sales.money_cents, provider text NOT NULL, captured_at timestamptz,
    FOREIGN KEY (order_id, placed_on) REFERENCES sales.orders (id, placed_on) DEFERRABLE INITIALLY DEFERRED
);
CREATE TABLE sales.invoices (
    number bigint PRIMARY KEY DEFAULT nextval('sales.invoice_number'), order_id bigint NOT NULL, placed_on date NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now(), pdf_url text
);
ALTER TABLE sales.invoices ADD CONSTRAINT invoices_order FOREIGN KEY (order_id, placed_on) REFERENCES sales.orders (id, placed_on) NOT VALID;
CREATE TABLE sales.refunds (id serial PRIMARY KEY, payment_id uuid NOT NULL REFERENCES sales.payments (id), amount sales.money_cents, reason text);
CREATE TABLE sales.coupons (code text PRIMARY KEY, percent_off smallint CHECK (percent_off BETWEEN 1 AND 100), valid daterange NOT NULL, max_uses int);
CREATE TABLE sales.coupon_uses (code text REFERENCES sales.coupons (code), customer_id bigint REFERENCES sales.customers (id), used_at timestamptz DEFAULT now(), UNIQUE NULLS NOT DISTINCT (code, customer_id));
CREATE TABLE sales.carts (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), customer_id bigint REFERENCES sales.customers (id), updated_at timestamptz DEFAULT now()) WITH (autovacuum_enabled = true, fillfactor = 60);
CREATE TRIGGER carts_updated BEFORE UPDATE ON sales.carts FOR EACH ROW EXECUTE FUNCTION public.set_updated_at();
CREATE TABLE sales.cart_items (cart_id uuid REFERENCES sales.carts (id) ON DELETE CASCADE, variant_id bigint REFERENCES catalog.variants (id), quantity int DEFAULT 1, PRIMARY KEY (cart_id, variant_id));
CREATE TABLE sales.shipments (
    id serial PRIMARY KEY, order_id bigint NOT NULL, placed_on date NOT NULL, carrier text, tracking text,
    shipped_at timestamptz, delivered_at timestamptz, CHECK (delivered_at IS NULL OR delivered_at >= shipped_at)
);
CREATE TABLE sales.events (id bigserial, customer_id bigint, kind text NOT NULL, payload jsonb, at timestamptz DEFAULT now(), PRIMARY KEY (id, kind)) PARTITION BY LIST (kind);
CREATE TABLE sales.events_view PARTITION OF sales.events FOR VALUES IN ('view', 'search');
CREATE TABLE sales.events_buy PARTITION OF sales.events FOR VALUES IN ('buy');
CREATE TABLE sales.events_other PARTITION OF sales.events DEFAULT;
CREATE TABLE sales.recommendations (customer_id bigint NOT NULL, product_id bigint NOT NULL, score real, PRIMARY KEY (customer_id, product_id)) PARTITION BY HASH (customer_id);
CREATE TABLE sales.recommendations_0 PARTITION OF sales.recommendations FOR VALUES WITH (MODULUS 4, REMAINDER 0);
CREATE TABLE sales.recommendations_1 PARTITION OF sales.recommendations FOR VALUES WITH (MODULUS 4, REMAINDER 1);
CREATE TABLE sales.recommendations_2 PARTITION OF sales.recommendations FOR VALUES WITH (MODULUS 4, REMAINDER 2);
CREATE TABLE sales.recommendations_3 PARTITION OF sales.recommendations FOR VALUES WITH (MODULUS 4, REMAINDER 3);
CREATE TABLE public.audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text NOT NULL, op char(1) NOT NULL,
    row_data jsonb, at timestamptz NOT NULL DEFAULT now()
) WITH (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 10000);
CREATE FUNCTION public.audit() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    INSERT INTO public.audit_log (table_name, op, row_data)
    VALUES (TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, left(TG_OP, 1), to_jsonb(coalesce(NEW, OLD)));
    RETURN NULL;
END
$$;
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON auth.users FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER user_roles_audit AFTER INSERT OR UPDATE OR DELETE ON auth.user_roles FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER customers_audit AFTER INSERT OR UPDATE OR DELETE ON sales.customers FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER payments_audit AFTER INSERT OR UPDATE OR DELETE ON sales.payments FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER refunds_audit AFTER INSERT OR UPDATE OR DELETE ON sales.refunds FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TRIGGER products_audit AFTER INSERT OR UPDATE OR DELETE ON catalog.products FOR EACH ROW EXECUTE FUNCTION public.audit();
CREATE TABLE public.countries (code char(2) PRIMARY KEY, name text NOT NULL, eu boolean DEFAULT false);
CREATE TABLE public.currencies (code char(3) PRIMARY KEY, symbol text, decimals smallint DEFAULT 2);
CREATE TABLE public.exchange_rates (currency char(3) REFERENCES public.currencies (code), day date, rate numeric(18,8) NOT NULL, PRIMARY KEY (currency, day));
CREATE TABLE public.feature_flags (name text PRIMARY KEY, enabled boolean NOT NULL DEFAULT false, rollout real DEFAULT 0 CHECK (rollout BETWEEN 0 AND 1));
CREATE TABLE public.settings (key text PRIMARY KEY, value jsonb);
CREATE TABLE public.email_templates (id serial PRIMARY KEY, name text UNIQUE NOT NULL, subject text, body text);
CREATE TABLE public.outbox (id bigserial PRIMARY KEY, topic text NOT NULL, payload jsonb NOT NULL, created_at timestamptz DEFAULT now(), sent_at timestamptz);
CREATE TABLE public.jobs (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, queue text NOT NULL DEFAULT 'default', run_at timestamptz NOT NULL DEFAULT now(), attempts int DEFAULT 0, last_error text);
CREATE TABLE public.webhooks (id serial PRIMARY KEY, url text NOT NULL, secret text, events text[] DEFAULT '{}');
CREATE TABLE public.webhook_deliveries (id bigserial PRIMARY KEY, webhook_id int REFERENCES public.webhooks (id) ON DELETE CASCADE, status smallint, at timestamptz DEFAULT now());
CREATE TABLE catalog.collections (id serial PRIMARY KEY, name text NOT NULL, starts date, ends date);
CREATE TABLE catalog.collection_products (collection_id int REFERENCES catalog.collections (id) ON DELETE CASCADE, product_id bigint REFERENCES catalog.products (id), PRIMARY KEY (collection_id, product_id));
CREATE TABLE catalog.attributes (id serial PRIMARY KEY, code text UNIQUE NOT NULL, label text);
CREATE TABLE catalog.attribute_values (attribute_id int REFERENCES catalog.attributes (id), value text, PRIMARY KEY (attribute_id, value));
CREATE TABLE inventory.carriers (id serial PRIMARY KEY, name text NOT NULL, tracking_url text);
CREATE TABLE inventory.counts (id serial PRIMARY KEY, bin_id int REFERENCES inventory.bins (id), counted_at timestamptz DEFAULT now(), quantity int);
CREATE TABLE sales.wishlists (customer_id bigint REFERENCES sales.customers (id) ON DELETE CASCADE, product_id bigint REFERENCES catalog.products (id), added_at timestamptz DEFAULT now(), PRIMARY KEY (customer_id, product_id));
CREATE TABLE sales.gift_cards (code text PRIMARY KEY, balance sales.money_cents, expires date);
CREATE TABLE sales.tax_rates (country char(2) REFERENCES public.countries (code), category_id int REFERENCES catalog.categories (id), rate numeric(5,4) NOT NULL, PRIMARY KEY (country, category_id));
CREATE TABLE sales.notes (id serial PRIMARY KEY, customer_id bigint REFERENCES sales.customers (id), body text NOT NULL);
CREATE VIEW catalog.active_products AS SELECT p.id, p.sku, p.name, p.price, b.name AS brand FROM catalog.products p LEFT JOIN catalog.brands b ON b.id = p.brand_id WHERE p.price > 0;
CREATE VIEW catalog.cheap_products AS SELECT id, sku, name FROM catalog.active_products WHERE price < 1000;
CREATE VIEW sales.open_orders WITH (security_barrier = true) AS SELECT id, placed_on, customer_id, total FROM sales.orders WHERE state IN ('placed', 'paid');
CREATE MATERIALIZED VIEW sales.daily_revenue AS SELECT placed_on, count(*) AS orders, sum(total) AS revenue FROM sales.orders WHERE state <> 'cancelled' GROUP BY placed_on;
CREATE UNIQUE INDEX daily_revenue_day ON sales.daily_revenue (placed_on);
CREATE MATERIALIZED VIEW catalog.product_ratings AS SELECT product_id, avg(stars)::numeric(3,2) AS rating, count(*) AS reviews FROM catalog.reviews GROUP BY product_id;
CREATE UNIQUE INDEX product_ratings_product ON catalog.product_ratings (product_id);
CREATE INDEX product_ratings_rating ON catalog.product_ratings (rating DESC);
CREATE VIEW catalog.top_products AS SELECT a.id, a.name, r.rating FROM catalog.active_products a JOIN catalog.product_ratings r ON r.product_id = a.id WHERE r.reviews >= 10;
CREATE FUNCTION sales.customer_lifetime_value(c sales.customers) RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT coalesce(sum(total), 0)::bigint FROM sales.orders WHERE customer_id = c.id $$;
CREATE PROCEDURE sales.refresh_reports() LANGUAGE plpgsql AS $$ BEGIN REFRESH MATERIALIZED VIEW sales.daily_revenue; REFRESH MATERIALIZED VIEW catalog.product_ratings; END $$;
COMMENT ON SCHEMA sales IS 'orders, payments and customers';
COMMENT ON TABLE catalog.products IS 'everything we sell';
COMMENT ON COLUMN catalog.products.price IS 'in cents, before tax';
COMMENT ON TYPE sales.order_state IS 'the life of an order';
COMMENT ON MATERIALIZED VIEW sales.daily_revenue IS 'refreshed nightly by sales.refresh_reports()';
COMMENT ON FUNCTION public.audit() IS 'writes one audit_log row per change';
COMMENT ON INDEX catalog.products_search IS 'full-text search';
