#include "db/catalog_reader.hpp"

#include "db/session_connection.hpp"
#include "util/sql_quote.hpp"
#include "util/strings.hpp"

#include <algorithm>
#include <sstream>

namespace lockstep::db {

namespace {

std::string text_of(const pqxx::field& field)
{
  return field.is_null() ? std::string() : field.c_str();
}

// Namespaces that hold user objects.
const std::string user_ns =
  " IN (SELECT oid FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema')";

// Not created by an extension (those come with CREATE EXTENSION).
std::string not_in_extension(const std::string& catalog, const std::string& oid)
{
  return " NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = '" + catalog + "'::regclass AND x.objid = " + oid +
         " AND x.deptype = 'e') ";
}

// " COLLATE schema.name" for a collation that is not the type's default.
std::string collate_clause(const std::string& collation, const std::string& type_collation)
{
  return "CASE WHEN " + collation + " <> 0 AND " + collation + " <> " + type_collation +
         " THEN (SELECT quote_ident(cn.nspname) || '.' || quote_ident(co.collname) FROM pg_collation co JOIN "
         "pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = " + collation + ") END";
}

std::vector<std::pair<std::string, std::string>> parse_options(const std::string& lines)
{
  std::vector<std::pair<std::string, std::string>> options;
  std::istringstream in(lines);
  std::string line;
  while (std::getline(in, line)) {
    size_t eq = line.find('=');
    if (eq != std::string::npos) {
      options.emplace_back(line.substr(0, eq), line.substr(eq + 1));
    }
  }
  return options;
}

// What COMMENT ON names for an object pg_identify_object() describes.
std::string comment_target(const std::string& type, const std::string& identity)
{
  if (type.size() > 7 && type.compare(type.size() - 7, 7, " column") == 0) {
    return "COLUMN " + identity;
  }
  if (type == "table constraint") {
    return "CONSTRAINT " + identity;
  }
  if (type == "domain constraint") {
    size_t on = identity.find(" on ");
    return "CONSTRAINT " + identity.substr(0, on) + " ON DOMAIN " + identity.substr(on + 4);
  }
  if (type == "composite type") {
    return "TYPE " + identity;
  }
  std::string upper = type;
  for (char& c : upper) {
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return upper + " " + identity;
}

} // namespace

CatalogReader::CatalogReader(Session& session, TableNames own, bool ownership)
  : m_session(session), m_own(std::move(own)), m_ownership(ownership)
{
}

schema::Model CatalogReader::read()
try {
  // lockstep's own tables, by oid (0 when absent), and by name.
  std::string own_oids;
  for (const std::string& name : {m_own.version(), m_own.applied(), m_own.history(), m_own.dirty(), m_own.lease()}) {
    own_oids += (own_oids.empty() ? "" : ", ") + std::string("coalesce(to_regclass(") + util::quote_literal(name) +
                ")::oid, 0)";
  }
  auto not_own = [&](const std::string& rel) {
    return " " + rel + " NOT IN (" + own_oids + ") AND " + rel + "::regclass::text NOT LIKE 'lockstep\\_%' ";
  };
  using util::quote_ident;
  schema::Model model;
  pqxx::nontransaction tx(m_session.m_connection->conn);
  // Names print as the default search path makes them, whatever the SQL
  // that ran on this session set (a pg_dump file empties it).
  tx.exec("RESET search_path");

  for (const auto& r : tx.exec("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' AND nspname NOT IN "
                               "('information_schema', 'public') AND" + not_in_extension("pg_namespace", "oid") +
                               "ORDER BY 1")) {
    model.schemas.push_back(r[0].c_str());
  }
  for (const auto& r : tx.exec("SELECT e.extname, quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = "
                               "e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY 1")) {
    model.extensions.push_back(r[0].c_str());
    model.extension_schemas[r[0].c_str()] = r[1].c_str();
  }
  for (const auto& r : tx.exec("SELECT t.oid::regtype::text, e.enumlabel FROM pg_type t JOIN pg_enum e ON "
                               "e.enumtypid = t.oid WHERE t.typnamespace" + user_ns + " AND" +
                               not_in_extension("pg_type", "t.oid") + "ORDER BY 1, e.enumsortorder")) {
    model.enums[r[0].c_str()].push_back(r[1].c_str());
  }
  for (const auto& r : tx.exec(
         "SELECT t.oid::regtype::text, 'subtype = ' || format_type(r.rngsubtype, NULL) || "
         "CASE WHEN NOT opc.opcdefault THEN ', subtype_opclass = ' || quote_ident(opc.opcname) ELSE '' END || "
         "coalesce(', collation = ' || " + collate_clause("r.rngcollation", "st.typcollation") + ", '') || "
         "CASE WHEN r.rngsubdiff <> 0 THEN ', subtype_diff = ' || r.rngsubdiff::regproc::text ELSE '' END "
         "FROM pg_range r JOIN pg_type t ON t.oid = r.rngtypid JOIN pg_type st ON st.oid = r.rngsubtype "
         "JOIN pg_opclass opc ON opc.oid = r.rngsubopc WHERE t.typnamespace" + user_ns + " AND" +
         not_in_extension("pg_type", "t.oid"))) {
    model.ranges[r[0].c_str()] = r[1].c_str();
  }
  for (const auto& r : tx.exec(
         "SELECT t.oid::regtype::text, format_type(t.typbasetype, t.typtypmod) || coalesce(' COLLATE ' || " +
         collate_clause("t.typcollation", "bt.typcollation") + ", ''), t.typnotnull, pg_get_expr(t.typdefaultbin, 0) "
         "FROM pg_type t JOIN pg_type bt ON bt.oid = t.typbasetype WHERE t.typtype = 'd' AND t.typnamespace" + user_ns +
         " AND" + not_in_extension("pg_type", "t.oid"))) {
    schema::Domain& domain = model.domains[r[0].c_str()];
    domain.base = r[1].c_str();
    domain.not_null = r[2].as<bool>();
    domain.default_expr = text_of(r[3]);
  }
  for (const auto& r : tx.exec("SELECT k.contypid::regtype::text, k.conname, pg_get_constraintdef(k.oid) "
                               "FROM pg_constraint k WHERE k.contypid <> 0")) {
    auto domain = model.domains.find(r[0].c_str());
    if (domain != model.domains.end()) {
      domain->second.constraints[r[1].c_str()] = r[2].c_str();
    }
  }
  for (const auto& r : tx.exec(
         "SELECT t.oid::regtype::text, a.attname, format_type(a.atttypid, a.atttypmod) || coalesce(' COLLATE ' || " +
         collate_clause("a.attcollation", "at.typcollation") + ", '') FROM pg_type t JOIN pg_class c ON c.oid = "
         "t.typrelid AND c.relkind = 'c' LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT "
         "a.attisdropped LEFT JOIN pg_type at ON at.oid = a.atttypid WHERE t.typnamespace" + user_ns + " AND" +
         not_in_extension("pg_type", "t.oid") + "ORDER BY 1, a.attnum")) {
    schema::CompositeType& type = model.composites[r[0].c_str()];
    if (!r[1].is_null()) {
      type.attributes.emplace_back(r[1].c_str(), r[2].c_str());
    }
  }
  for (const auto& r : tx.exec(
         "SELECT c.oid::regclass::text, 'AS ' || format_type(s.seqtypid, NULL) || ' INCREMENT BY ' || s.seqincrement || "
         "' MINVALUE ' || s.seqmin || ' MAXVALUE ' || s.seqmax || ' START WITH ' || s.seqstart || ' CACHE ' || "
         "s.seqcache || CASE WHEN s.seqcycle THEN ' CYCLE' ELSE ' NO CYCLE' END, o.refobjid::regclass::text, "
         "a.attname FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid "
         "LEFT JOIN pg_depend o ON o.classid = 'pg_class'::regclass AND o.objid = c.oid AND o.refclassid = "
         "'pg_class'::regclass AND o.deptype = 'a' LEFT JOIN pg_attribute a ON a.attrelid = o.refobjid AND a.attnum = "
         "o.refobjsubid WHERE c.relnamespace" + user_ns + " AND" + not_in_extension("pg_class", "c.oid") +
         "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') AND" +
         not_own("c.oid") + "AND (o.refobjid IS NULL OR" + not_own("o.refobjid") + ")")) {
    schema::Sequence& sequence = model.sequences[r[0].c_str()];
    sequence.definition = r[1].c_str();
    if (!r[2].is_null()) {
      sequence.owner_table = r[2].c_str();
      sequence.owner_column = r[3].c_str();
      sequence.owned_by = sequence.owner_table + "." + util::quote_ident(sequence.owner_column);
    }
  }
  const std::string tables_where = " c.relkind IN ('r', 'p') AND c.relnamespace" + user_ns + " AND" +
                                   not_in_extension("pg_class", "c.oid") + "AND" + not_own("c.oid");
  for (const auto& r : tx.exec(
         "SELECT c.oid::regclass::text, c.relpersistence = 'u', c.relrowsecurity, c.relforcerowsecurity, "
         "array_to_string(c.reloptions, E'\\n'), CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END, "
         "CASE WHEN c.relispartition THEN (SELECT i.inhparent::regclass::text FROM pg_inherits i WHERE i.inhrelid = "
         "c.oid) END, CASE WHEN c.relispartition THEN pg_get_expr(c.relpartbound, c.oid) END FROM pg_class c WHERE" +
         tables_where)) {
    schema::Table& table = model.tables[r[0].c_str()];
    table.unlogged = r[1].as<bool>();
    table.row_security = r[2].as<bool>();
    table.force_row_security = r[3].as<bool>();
    table.options = parse_options(text_of(r[4]));
    table.partition_key = text_of(r[5]);
    table.parent = text_of(r[6]);
    table.bound = text_of(r[7]);
  }
  for (const auto& r : tx.exec(
         "SELECT c.oid::regclass::text, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
         "CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END, "
         "CASE a.attidentity WHEN 'a' THEN 'ALWAYS' WHEN 'd' THEN 'BY DEFAULT' ELSE '' END, "
         "CASE WHEN a.attgenerated = 's' THEN pg_get_expr(d.adbin, d.adrelid) END, " +
         collate_clause("a.attcollation", "t.typcollation") + ", (SELECT concat_ws(E'\\n', 'INCREMENT BY ' || "
         "s.seqincrement, 'MINVALUE ' || s.seqmin, 'MAXVALUE ' || s.seqmax, 'START WITH ' || s.seqstart, 'CACHE ' || "
         "s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) FROM pg_sequence s WHERE a.attidentity <> "
         "'' AND s.seqrelid = pg_get_serial_sequence(c.oid::regclass::text, a.attname)::regclass)" +
         " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
         "JOIN pg_type t ON t.oid = a.atttypid LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
         "WHERE NOT c.relispartition AND" + tables_where + "ORDER BY 1, a.attnum")) {
    schema::Table& table = model.tables[r[0].c_str()];
    schema::Column column;
    column.type = r[2].c_str();
    column.not_null = r[3].as<bool>();
    column.default_expr = text_of(r[4]);
    column.identity = text_of(r[5]);
    column.generated = text_of(r[6]);
    column.collation = text_of(r[7]);
    for (const auto& option : util::split_list(text_of(r[8]), '\n')) {
      column.identity_options.push_back(option);
    }
    table.column_order.push_back(r[1].c_str());
    table.columns[r[1].c_str()] = column;
  }
  // Local constraints only: a partition's copies of its parent's keys
  // (conparentid) and inherited checks (NOT conislocal) come with it.
  for (const auto& r : tx.exec("SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM "
                               "pg_constraint WHERE conrelid <> 0 AND conislocal AND conparentid = 0 AND contype <> 't' "
                               "AND connamespace" + user_ns)) {
    auto table = model.tables.find(r[0].c_str());
    if (table != model.tables.end()) {
      table->second.constraints[r[1].c_str()] = schema::Constraint{r[2].c_str()[0], r[3].c_str()};
    }
  }
  for (const auto& r : tx.exec(
         "SELECT i.indexrelid::regclass::text, replace(pg_get_indexdef(i.indexrelid), ' ON ONLY ', ' ON '), "
         "i.indrelid::regclass::text FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace" +
         user_ns + " AND NOT c.relispartition AND" + not_in_extension("pg_class", "c.oid") + "AND" +
         not_own("i.indrelid") + "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid "
         "AND k.contype IN ('p', 'u', 'x'))")) {
    model.indexes[r[0].c_str()] = schema::Index{r[2].c_str(), r[1].c_str()};
  }
  for (const auto& r : tx.exec("SELECT c.oid::regclass::text, pg_get_viewdef(c.oid), c.relkind = 'm', "
                               "array_to_string(c.reloptions, ', ') FROM pg_class c WHERE c.relkind IN ('v', 'm') AND "
                               "c.relnamespace" + user_ns + " AND" + not_in_extension("pg_class", "c.oid"))) {
    schema::View& view = model.views[r[0].c_str()];
    view.definition = r[1].c_str();
    view.materialized = r[2].as<bool>();
    view.options = text_of(r[3]);
  }
  for (const auto& r : tx.exec(
         "SELECT DISTINCT r.ev_class::regclass::text, d.refobjid::regclass::text FROM pg_rewrite r JOIN pg_depend d ON "
         "d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass AND "
         "d.refobjid <> r.ev_class ORDER BY 1, 2")) {
    auto view = model.views.find(r[0].c_str());
    if (view != model.views.end()) {
      view->second.uses.push_back(r[1].c_str());
    }
  }
  for (const auto& r : tx.exec(
         "SELECT p.oid::regprocedure::text, pg_get_functiondef(p.oid), pg_get_function_result(p.oid), p.prokind = 'p', "
         "EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = "
         "'n' AND (d.refclassid = 'pg_class'::regclass OR (d.refclassid = 'pg_type'::regclass AND EXISTS (SELECT 1 "
         "FROM pg_type t JOIN pg_class tc ON tc.oid = t.typrelid WHERE t.oid = d.refobjid AND tc.relkind <> 'c')))), "
         "EXISTS (SELECT 1 FROM pg_depend d JOIN pg_type t ON t.oid = d.refobjid WHERE d.classid = 'pg_proc'::regclass "
         "AND d.objid = p.oid AND d.refclassid = 'pg_type'::regclass AND t.typnamespace" + user_ns + ") "
         "FROM pg_proc p WHERE p.prokind IN ('f', 'p') AND p.pronamespace" + user_ns + " AND" +
         not_in_extension("pg_proc", "p.oid") + "AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = "
         "'pg_proc'::regclass AND i.objid = p.oid AND i.deptype = 'i')")) {
    schema::Function& function = model.functions[r[0].c_str()];
    function.definition = r[1].c_str();
    function.result = text_of(r[2]);
    function.procedure = r[3].as<bool>();
    function.uses_tables = r[4].as<bool>();
    function.uses_types = r[5].as<bool>();
  }
  for (const auto& r : tx.exec("SELECT quote_ident(t.tgname) || ' on ' || t.tgrelid::regclass::text, "
                               "t.tgrelid::regclass::text, pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c "
                               "ON c.oid = t.tgrelid WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND c.relnamespace" +
                               user_ns + " AND" + not_own("c.oid"))) {
    model.triggers[r[0].c_str()] = schema::Trigger{r[1].c_str(), r[2].c_str()};
  }
  for (const auto& r : tx.exec(
         "SELECT quote_ident(p.polname) || ' on ' || p.polrelid::regclass::text, p.polrelid::regclass::text, "
         "'CREATE POLICY ' || quote_ident(p.polname) || ' ON ' || p.polrelid::regclass::text || ' AS ' || CASE WHEN "
         "p.polpermissive THEN 'PERMISSIVE' ELSE 'RESTRICTIVE' END || ' FOR ' || CASE p.polcmd WHEN 'r' THEN 'SELECT' "
         "WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END || ' TO ' || (SELECT "
         "string_agg(CASE WHEN r = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(r)) END, ', ' ORDER BY r) FROM "
         "unnest(p.polroles) r) || coalesce(' USING (' || pg_get_expr(p.polqual, p.polrelid) || ')', '') || "
         "coalesce(' WITH CHECK (' || pg_get_expr(p.polwithcheck, p.polrelid) || ')', '') FROM pg_policy p")) {
    model.policies[r[0].c_str()] = schema::Policy{r[1].c_str(), r[2].c_str()};
  }
  // Comments on every kind the model holds; `object` is the model key of
  // what carries the comment, so a recreated object gets its comments back.
  for (const auto& r : tx.exec(
         "SELECT o.type, o.identity, d.description, CASE d.classoid "
         "WHEN 'pg_class'::regclass THEN d.objoid::regclass::text "
         "WHEN 'pg_proc'::regclass THEN d.objoid::regprocedure::text "
         "WHEN 'pg_type'::regclass THEN d.objoid::regtype::text "
         "WHEN 'pg_constraint'::regclass THEN (SELECT CASE WHEN k.conrelid <> 0 THEN k.conrelid::regclass::text ELSE "
         "k.contypid::regtype::text END FROM pg_constraint k WHERE k.oid = d.objoid) "
         "WHEN 'pg_trigger'::regclass THEN (SELECT t.tgrelid::regclass::text FROM pg_trigger t WHERE t.oid = d.objoid) "
         "WHEN 'pg_policy'::regclass THEN (SELECT p.polrelid::regclass::text FROM pg_policy p WHERE p.oid = d.objoid) "
         "ELSE o.identity END, CASE "
         "WHEN d.objsubid > 0 THEN 'column:' || (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = d.objoid AND "
         "a.attnum = d.objsubid) "
         "WHEN d.classoid = 'pg_constraint'::regclass THEN 'constraint:' || (SELECT k.conname FROM pg_constraint k "
         "WHERE k.oid = d.objoid) "
         "WHEN d.classoid = 'pg_trigger'::regclass THEN 'trigger:' || (SELECT quote_ident(t.tgname) || ' on ' || "
         "t.tgrelid::regclass::text FROM pg_trigger t WHERE t.oid = d.objoid) "
         "WHEN d.classoid = 'pg_policy'::regclass THEN 'policy:' || (SELECT quote_ident(p.polname) || ' on ' || "
         "p.polrelid::regclass::text FROM pg_policy p WHERE p.oid = d.objoid) "
         "ELSE '' END FROM pg_description d, LATERAL pg_identify_object(d.classoid, d.objoid, d.objsubid) o "
         "WHERE d.classoid IN ('pg_class'::regclass, 'pg_proc'::regclass, 'pg_type'::regclass, "
         "'pg_constraint'::regclass, 'pg_trigger'::regclass, 'pg_policy'::regclass, 'pg_namespace'::regclass) AND "
         "NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = d.classoid AND x.objid = d.objoid AND x.deptype = "
         "'e') AND CASE WHEN d.classoid = 'pg_namespace'::regclass THEN o.identity NOT LIKE 'pg\\_%' AND o.identity NOT "
         "IN ('information_schema', 'public') ELSE coalesce(o.schema, '') NOT LIKE 'pg\\_%' AND coalesce(o.schema, '') <> 'information_schema' END")) {
    const std::string target = comment_target(r[0].c_str(), r[1].c_str());
    const std::string object = text_of(r[3]);
    if (model.tables.count(object) != 0 || model.views.count(object) != 0 || model.indexes.count(object) != 0 ||
        model.sequences.count(object) != 0 || model.functions.count(object) != 0 || model.enums.count(object) != 0 ||
        model.domains.count(object) != 0 || model.composites.count(object) != 0 || model.ranges.count(object) != 0 ||
        std::string(r[0].c_str()) == "schema") {
      model.comments[target] = schema::Comment{target, r[2].c_str(), object, text_of(r[4])};
    }
  }
  if (m_ownership) {
    // Owners and grants; a NULL ACL is the default one, spelled out.
    auto acl = [](const std::string& acl_column, const std::string& kind, const std::string& owner) {
      return acl_column + " IS NULL, (SELECT string_agg(CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(a.grantee)) "
             "END || '=' || a.privilege_type || CASE WHEN a.is_grantable THEN '*' ELSE '' END, E'\\n') "
             "FROM aclexplode(coalesce(" + acl_column + ", acldefault('" + kind + "', " + owner + "))) a)";
    };
    for (const auto& r : tx.exec(
           "SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE "
           "'TABLE' END, CASE c.relkind WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.oid::regclass::text, "
           "quote_ident(pg_get_userbyid(c.relowner)), " + acl("c.relacl", "r", "c.relowner") +
           " FROM pg_class c WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND c.relnamespace" + user_ns + " AND" +
           not_in_extension("pg_class", "c.oid") + "AND" + not_own("c.oid") +
           "AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_class'::regclass AND i.objid = c.oid AND "
           "i.deptype = 'i') UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'PROCEDURE' ELSE 'FUNCTION' END, CASE p.prokind WHEN 'p' "
           "THEN 'PROCEDURE' ELSE 'FUNCTION' END, p.oid::regprocedure::text, quote_ident(pg_get_userbyid(p.proowner)), " +
           acl("p.proacl", "f", "p.proowner") + " FROM pg_proc p WHERE p.prokind IN ('f', 'p') AND p.pronamespace" +
           user_ns + " AND" + not_in_extension("pg_proc", "p.oid") +
           "AND NOT EXISTS (SELECT 1 FROM pg_depend i WHERE i.classid = 'pg_proc'::regclass AND i.objid = p.oid AND "
           "i.deptype = 'i')"
           " UNION ALL SELECT 'SCHEMA', 'SCHEMA', quote_ident(n.nspname), quote_ident(pg_get_userbyid(n.nspowner)), " +
           acl("n.nspacl", "n", "n.nspowner") + " FROM pg_namespace n WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname "
           "NOT IN ('information_schema', 'public') AND" + not_in_extension("pg_namespace", "n.oid") +
           " UNION ALL SELECT CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, CASE t.typtype WHEN 'd' THEN "
           "'DOMAIN' ELSE 'TYPE' END, t.oid::regtype::text, quote_ident(pg_get_userbyid(t.typowner)), " +
           acl("t.typacl", "T", "t.typowner") + " FROM pg_type t LEFT JOIN pg_class tc ON tc.oid = t.typrelid WHERE "
           "t.typtype IN ('e', 'd', 'r', 'c') AND coalesce(tc.relkind, 'c') = 'c' AND t.typnamespace" + user_ns +
           " AND" + not_in_extension("pg_type", "t.oid"))) {
      schema::Privileges p;
      p.kind = r[0].c_str();
      p.grant_kind = r[1].c_str();
      p.name = r[2].c_str();
      p.owner = r[3].c_str();
      p.default_grants = r[4].as<bool>();
      p.grants = util::split_list(text_of(r[5]), '\n');
      std::sort(p.grants.begin(), p.grants.end());
      model.privileges[p.kind + " " + p.name] = std::move(p);
    }
  }
  // Everything else a schema can hold: named, so nothing is dropped silently.
  for (const auto& r : tx.exec(
         "SELECT pg_describe_object(u.classid, u.objid, 0) || u.note, u.name FROM ("
         "SELECT 'pg_rewrite'::regclass AS classid, r.oid AS objid, r.rulename::text AS name, '' AS note FROM "
         "pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN' AND c.relnamespace" + user_ns +
         " UNION ALL SELECT 'pg_proc'::regclass, oid, proname::text, '' FROM pg_proc WHERE prokind IN ('a', 'w') AND "
         "pronamespace" + user_ns +
         " UNION ALL SELECT 'pg_operator'::regclass, oid, oprname::text, '' FROM pg_operator WHERE oprnamespace" + user_ns +
         " UNION ALL SELECT 'pg_opclass'::regclass, oid, opcname::text, '' FROM pg_opclass WHERE opcnamespace" + user_ns +
         " UNION ALL SELECT 'pg_opfamily'::regclass, oid, opfname::text, '' FROM pg_opfamily WHERE opfnamespace" + user_ns +
         " UNION ALL SELECT 'pg_collation'::regclass, oid, collname::text, '' FROM pg_collation WHERE collnamespace" +
         user_ns +
         " UNION ALL SELECT 'pg_conversion'::regclass, oid, conname::text, '' FROM pg_conversion WHERE connamespace" +
         user_ns +
         " UNION ALL SELECT 'pg_ts_config'::regclass, oid, cfgname::text, '' FROM pg_ts_config WHERE cfgnamespace" + user_ns +
         " UNION ALL SELECT 'pg_ts_dict'::regclass, oid, dictname::text, '' FROM pg_ts_dict WHERE dictnamespace" + user_ns +
         " UNION ALL SELECT 'pg_ts_parser'::regclass, oid, prsname::text, '' FROM pg_ts_parser WHERE prsnamespace" + user_ns +
         " UNION ALL SELECT 'pg_ts_template'::regclass, oid, tmplname::text, '' FROM pg_ts_template WHERE tmplnamespace" +
         user_ns +
         " UNION ALL SELECT 'pg_class'::regclass, oid, relname::text, '' FROM pg_class WHERE relkind = 'f' AND "
         "relnamespace" + user_ns +
         " UNION ALL SELECT 'pg_class'::regclass, c.oid, c.relname::text, ' (table inheritance, INHERITS)' FROM "
         "pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE NOT c.relispartition AND c.relkind IN ('r', 'p')"
         " UNION ALL SELECT 'pg_class'::regclass, oid, relname::text, ' (typed table, OF type)' FROM pg_class WHERE "
         "relkind = 'r' AND reloftype <> 0"
         " UNION ALL SELECT 'pg_type'::regclass, oid, typname::text, ' (base or shell type)' FROM pg_type WHERE typtype "
         "IN ('b', 'p') AND typcategory <> 'A' AND typnamespace" + user_ns +
         " UNION ALL SELECT 'pg_statistic_ext'::regclass, oid, stxname::text, '' FROM pg_statistic_ext WHERE "
         "stxnamespace" + user_ns +
         " UNION ALL SELECT 'pg_foreign_server'::regclass, oid, srvname::text, '' FROM pg_foreign_server"
         " UNION ALL SELECT 'pg_foreign_data_wrapper'::regclass, oid, fdwname::text, '' FROM pg_foreign_data_wrapper"
         " UNION ALL SELECT 'pg_event_trigger'::regclass, oid, evtname::text, '' FROM pg_event_trigger"
         " UNION ALL SELECT 'pg_publication'::regclass, oid, pubname::text, '' FROM pg_publication"
         " UNION ALL SELECT 'pg_cast'::regclass, oid, format_type(castsource, NULL), '' FROM pg_cast WHERE oid >= 16384"
         " UNION ALL SELECT 'pg_transform'::regclass, oid, format_type(trftype, NULL), '' FROM pg_transform WHERE oid >= "
         "16384) u WHERE NOT EXISTS (SELECT 1 FROM pg_depend x WHERE x.classid = u.classid AND x.objid = u.objid AND "
         "x.deptype IN ('e', 'i')) ORDER BY 1")) {
    model.unsupported.push_back(schema::Unsupported{r[0].c_str(), r[1].c_str()});
  }
  return model;
} catch (const pqxx::broken_connection& e) {
  m_session.lost(e);
}

} // namespace lockstep::db
