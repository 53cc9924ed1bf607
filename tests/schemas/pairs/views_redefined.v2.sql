CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(12,2), category text);
CREATE VIEW priced AS SELECT id, name, price, price * 1.2 AS gross FROM items WHERE price IS NOT NULL;
CREATE VIEW cheap AS SELECT id, name FROM priced WHERE price < 20;
CREATE MATERIALIZED VIEW by_category AS SELECT category, count(*) AS n, avg(price) AS mean FROM items GROUP BY category;
CREATE UNIQUE INDEX by_category_category ON by_category (category);
CREATE INDEX by_category_mean ON by_category (mean);
CREATE VIEW untouched AS SELECT id FROM items;
CREATE VIEW expensive AS SELECT id FROM priced WHERE gross > 100;
COMMENT ON VIEW cheap IS 'under ten';
