// schema::diff's dependency order and markings, on models built by hand:
// what must come before what (the failures issue 12 found: a serial column's
// sequence, an index on a materialized view), and drops in the reverse.
// The round trips against PostgreSQL are tests/roundtrip.

#include "schema/diff.hpp"

#include <catch2/catch_test_macros.hpp>

#include <algorithm>
#include <string>

using namespace lockstep;

namespace {

// The position of the first statement containing `text`; fails when none does.
size_t at(const schema::Changes& changes, const std::string& text)
{
  auto it = std::find_if(changes.statements.begin(), changes.statements.end(),
                         [&](const std::string& s) { return s.find(text) != std::string::npos; });
  INFO("looking for: " << text);
  REQUIRE(it != changes.statements.end());
  return static_cast<size_t>(it - changes.statements.begin());
}

schema::Model shop()
{
  schema::Model m;
  schema::Table orders;
  orders.column_order = {"id", "total"};
  orders.columns["id"] = schema::Column{"integer", "", true, "nextval('orders_id_seq'::regclass)", "", {}, ""};
  orders.columns["total"] = schema::Column{"numeric", "", false, "", "", {}, ""};
  orders.constraints["orders_pkey"] = schema::Constraint{'p', "PRIMARY KEY (id)"};
  m.tables["orders"] = orders;
  m.sequences["orders_id_seq"] = schema::Sequence{"AS integer", "orders.id", "orders", "id"};
  schema::Table events;
  events.column_order = {"at"};
  events.columns["at"] = schema::Column{"date", "", true, "", "", {}, ""};
  events.partition_key = "RANGE (at)";
  m.tables["events"] = events;
  schema::Table events_2024;
  events_2024.parent = "events";
  events_2024.bound = "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')";
  m.tables["events_2024"] = events_2024;
  m.views["totals"] = schema::View{" SELECT sum(total) AS s FROM orders;", "", true, {"orders"}};
  m.views["a_view_on_totals"] = schema::View{" SELECT s FROM totals;", "", false, {"totals"}};
  m.indexes["totals_s"] = schema::Index{"totals", "CREATE INDEX totals_s ON public.totals USING btree (s)"};
  m.indexes["orders_total"] = schema::Index{"orders", "CREATE INDEX orders_total ON public.orders USING btree (total)"};
  m.domains["positive"] = schema::Domain{"integer", "", false, {{"positive_check", "CHECK ((VALUE > 0))"}}};
  m.functions["touch()"] = schema::Function{"CREATE OR REPLACE FUNCTION public.touch()\n RETURNS trigger ...", "trigger",
                                            false, false};
  m.functions["double_it(positive)"] = schema::Function{"CREATE OR REPLACE FUNCTION public.double_it(x positive) ...",
                                                       "integer", false, false, true};
  m.triggers["orders_touch on orders"] =
    schema::Trigger{"orders", "CREATE TRIGGER orders_touch BEFORE UPDATE ON public.orders FOR EACH ROW EXECUTE "
                              "FUNCTION touch()"};
  m.comments["TABLE public.orders"] = schema::Comment{"TABLE public.orders", "the orders", "orders", ""};
  return m;
}

} // namespace

TEST_CASE("diff from empty: everything in dependency order", "[schema][diff]")
{
  const schema::Changes up = schema::diff(schema::Model{}, shop());
  // A function that needs nothing of the user's comes before the types (a
  // domain's CHECK may call it); one on a user type after them.
  CHECK(at(up, "CREATE OR REPLACE FUNCTION public.touch()") < at(up, "CREATE DOMAIN positive"));
  CHECK(at(up, "CREATE DOMAIN positive") < at(up, "CREATE OR REPLACE FUNCTION public.double_it"));
  CHECK(at(up, "CREATE SEQUENCE orders_id_seq") < at(up, "CREATE TABLE orders"));
  CHECK(at(up, "CREATE TABLE orders") < at(up, "ALTER SEQUENCE orders_id_seq OWNED BY orders.id"));
  CHECK(at(up, "CREATE TABLE events ") < at(up, "CREATE TABLE events_2024 PARTITION OF events FOR VALUES"));
  CHECK(at(up, "ADD CONSTRAINT orders_pkey") < at(up, "CREATE INDEX orders_total"));
  CHECK(at(up, "CREATE MATERIALIZED VIEW totals") < at(up, "CREATE VIEW a_view_on_totals"));
  CHECK(at(up, "CREATE MATERIALIZED VIEW totals") < at(up, "CREATE INDEX totals_s"));
  CHECK(at(up, "CREATE OR REPLACE FUNCTION public.touch()") < at(up, "CREATE TRIGGER orders_touch"));
  CHECK(at(up, "CREATE TRIGGER orders_touch") < at(up, "COMMENT ON TABLE public.orders IS 'the orders'"));
  CHECK(up.warnings.empty());
}

TEST_CASE("diff to empty: drops in the reverse order, destructive ones marked, what goes with a table left to it",
          "[schema][diff]")
{
  const schema::Changes down = schema::diff(shop(), schema::Model{});
  CHECK(at(down, "DROP VIEW a_view_on_totals") < at(down, "DROP MATERIALIZED VIEW totals"));
  CHECK(at(down, "DROP MATERIALIZED VIEW totals") < at(down, "DROP TABLE orders"));
  CHECK(at(down, "DROP TABLE events_2024") < at(down, "DROP TABLE events;"));
  CHECK(at(down, "DROP TABLE orders") < at(down, "DROP FUNCTION touch()"));
  CHECK(at(down, "DROP TABLE orders") < at(down, "DROP DOMAIN positive"));
  CHECK(at(down, "DROP FUNCTION double_it(positive)") < at(down, "DROP DOMAIN positive"));
  CHECK(at(down, "DROP DOMAIN positive") < at(down, "DROP FUNCTION touch()"));
  CHECK(down.statements[at(down, "DROP TABLE orders") - 1].rfind("-- lockstep: destructive: drops table orders", 0) == 0);
  // What goes with its table or view is not dropped on its own: the serial
  // sequence, the trigger, the indexes.
  CHECK(std::none_of(down.statements.begin(), down.statements.end(), [](const std::string& s) {
    return s.find("DROP SEQUENCE") != std::string::npos || s.find("DROP INDEX") != std::string::npos ||
           s.find("DROP TRIGGER") != std::string::npos;
  }));
}

TEST_CASE("a redefined materialized view is created again with its indexes and comments; what reads it too",
          "[schema][diff]")
{
  schema::Model before = shop();
  schema::Model after = shop();
  after.views["totals"].definition = " SELECT sum(total) AS s, count(*) AS n FROM orders;";
  after.comments["MATERIALIZED VIEW public.totals"] =
    schema::Comment{"MATERIALIZED VIEW public.totals", "sums", "totals", ""};
  before.comments["MATERIALIZED VIEW public.totals"] = after.comments["MATERIALIZED VIEW public.totals"];
  const schema::Changes up = schema::diff(before, after);
  CHECK(at(up, "DROP VIEW a_view_on_totals") < at(up, "DROP MATERIALIZED VIEW totals"));
  CHECK(at(up, "CREATE MATERIALIZED VIEW totals") < at(up, "CREATE VIEW a_view_on_totals"));
  CHECK(at(up, "CREATE MATERIALIZED VIEW totals") < at(up, "CREATE INDEX totals_s"));
  CHECK(at(up, "CREATE INDEX totals_s") < at(up, "COMMENT ON MATERIALIZED VIEW public.totals IS 'sums'"));
  CHECK(schema::diff(after, after).empty());
}

TEST_CASE("column changes: retype marked destructive and the views on it recreated; storage parameters by key",
          "[schema][diff]")
{
  schema::Model before = shop();
  schema::Model after = shop();
  after.tables["orders"].columns["total"].type = "numeric(12,2)";
  before.tables["orders"].options = {{"fillfactor", "70"}, {"autovacuum_enabled", "false"}};
  after.tables["orders"].options = {{"autovacuum_enabled", "false"}, {"fillfactor", "80"}};
  const schema::Changes up = schema::diff(before, after);
  CHECK(at(up, "DROP MATERIALIZED VIEW totals") < at(up, "ALTER COLUMN total TYPE numeric(12,2)"));
  CHECK(up.statements[at(up, "ALTER COLUMN total TYPE") - 1].rfind("-- lockstep: destructive: changes the type", 0) == 0);
  CHECK(at(up, "ALTER TABLE orders SET (fillfactor=80);") > 0);
  CHECK(std::none_of(up.statements.begin(), up.statements.end(),
                     [](const std::string& s) { return s.find("RESET") != std::string::npos; }));
}
