-- Materialized views with indexes (created after the view), a view on a
-- view, a materialized view on a view.
CREATE TABLE sales (id int PRIMARY KEY, region text NOT NULL, amount numeric(12,2) NOT NULL, sold_on date NOT NULL);
CREATE VIEW sales_2024 AS SELECT * FROM sales WHERE sold_on >= '2024-01-01';
CREATE VIEW big_sales_2024 AS SELECT id, region, amount FROM sales_2024 WHERE amount > 1000;
CREATE MATERIALIZED VIEW region_totals AS SELECT region, sum(amount) AS total, count(*) AS n FROM sales GROUP BY region;
CREATE UNIQUE INDEX region_totals_region ON region_totals (region);
CREATE INDEX region_totals_total ON region_totals (total DESC);
CREATE MATERIALIZED VIEW big_regions AS SELECT region, count(*) AS n FROM big_sales_2024 GROUP BY region WITH NO DATA;
CREATE INDEX big_regions_n ON big_regions (n);
CREATE VIEW guarded WITH (security_barrier = true) AS SELECT id, region FROM sales WHERE region <> 'secret';
CREATE VIEW checked AS SELECT id, region, amount, sold_on FROM sales WHERE amount > 0 WITH LOCAL CHECK OPTION;
