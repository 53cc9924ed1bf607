CREATE TABLE items (id int PRIMARY KEY, name text, price numeric(8,2), category text);
CREATE VIEW priced AS SELECT id, name, price FROM items WHERE price IS NOT NULL;
CREATE VIEW cheap AS SELECT id, name FROM priced WHERE price < 10;
CREATE MATERIALIZED VIEW by_category AS SELECT category, count(*) AS n FROM items GROUP BY category;
CREATE UNIQUE INDEX by_category_category ON by_category (category);
CREATE VIEW untouched AS SELECT id FROM items;
COMMENT ON VIEW cheap IS 'under ten';
