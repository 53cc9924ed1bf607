// A schema as data: the one model that both `check` and `revision
// --autogenerate` compare. Filled from pg_catalog by db::CatalogReader (the
// only code that reads the catalog); diffed by schema/diff; flattened to one
// line per object and property by schema/describe for what `check` prints.
//
// Names are as PostgreSQL's reg* casts print them with the default search
// path: quoted where needed, schema-qualified except for `public`. Every
// definition is the server's own rendering (format_type, pg_get_expr,
// pg_get_constraintdef, pg_get_indexdef, pg_get_viewdef,
// pg_get_functiondef, pg_get_triggerdef), so two databases built the same
// way hold equal models.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lockstep::schema {

struct Column {
  std::string type;          // format_type(): "character varying(20)", "integer[]"
  std::string collation;     // "pg_catalog.\"C\"" when not the type's default
  bool not_null = false;
  std::string default_expr;  // pg_get_expr(); empty for none
  std::string identity;      // "", "ALWAYS" or "BY DEFAULT"
  std::vector<std::string> identity_options;  // its sequence: "INCREMENT BY 1", "MINVALUE 1", ..., "NO CYCLE"
  std::string generated;     // the stored generation expression, or empty
};

struct Constraint {
  char type = 'c';           // 'p', 'u', 'c', 'f', 'x'
  std::string definition;    // pg_get_constraintdef(), "NOT VALID" included
};

struct Table {
  std::map<std::string, Column> columns;       // a partition's columns come from its parent: none here
  std::vector<std::string> column_order;       // as created, for CREATE TABLE
  std::map<std::string, Constraint> constraints;  // local ones only (not inherited by a partition)
  std::vector<std::pair<std::string, std::string>> options;  // storage parameters as stored: {fillfactor, 70}
  std::string partition_key;  // pg_get_partkeydef(): "RANGE (created_at)"; empty when not partitioned
  std::string parent;         // the partitioned table this one is a partition of
  std::string bound;          // "FOR VALUES FROM (...) TO (...)", "DEFAULT"
  bool unlogged = false;
  bool row_security = false;
  bool force_row_security = false;
};

struct Sequence {
  std::string definition;     // "AS bigint INCREMENT BY 1 MINVALUE 1 ... NO CYCLE"
  std::string owned_by;       // "orders.id" for a serial column's sequence; empty when free
  std::string owner_table;    // "orders"
  std::string owner_column;   // "id"
};

struct Domain {
  std::string base;           // "text COLLATE ..." (format_type and collation)
  std::string default_expr;
  bool not_null = false;
  std::map<std::string, std::string> constraints;  // name -> "CHECK (...)"
};

struct CompositeType {
  std::vector<std::pair<std::string, std::string>> attributes;  // name, type (with COLLATE)
};

struct Index {
  std::string table;          // the table or materialized view it is on
  std::string definition;     // pg_get_indexdef(), without ONLY
};

struct View {
  std::string definition;     // pg_get_viewdef()
  std::string options;        // "security_barrier=true" (WITH (...)); empty for none
  bool materialized = false;
  std::vector<std::string> uses;  // relations (tables, views) its query reads
};

struct Function {
  std::string definition;     // pg_get_functiondef(): "CREATE OR REPLACE FUNCTION ..."
  std::string result;         // pg_get_function_result(); a change needs DROP + CREATE
  bool procedure = false;
  bool uses_tables = false;   // its signature or SQL-standard body needs a table: create after tables
  bool uses_types = false;    // it needs a user type (enum, domain, composite, range): create after types;
                              // otherwise before them, so a domain's CHECK can call it
};

struct Trigger {
  std::string table;
  std::string definition;     // pg_get_triggerdef()
};

struct Policy {
  std::string table;
  std::string definition;     // "CREATE POLICY ... ON ... AS ... FOR ... TO ... USING (...) WITH CHECK (...)"
};

struct Comment {
  std::string target;         // what COMMENT ON names: "COLUMN public.t.c", "FUNCTION public.f(integer)"
  std::string text;
  std::string object;         // the model key of the object that carries it (table, view, function, type)
  std::string part;           // what of it: "column:name", "constraint:name", "trigger:key", "policy:key"; "" for itself
};

// Who owns an object and what is granted on it (read only when ownership
// is managed: the `schema_ownership` setting).
struct Privileges {
  std::string kind;        // ALTER's word: "TABLE", "VIEW", "MATERIALIZED VIEW", "SEQUENCE", "FUNCTION", ...
  std::string grant_kind;  // GRANT's word: "TABLE" for views too, "SEQUENCE", "FUNCTION", "SCHEMA", ...
  std::string name;        // as the statements name it
  std::string owner;       // quoted role
  std::vector<std::string> grants;  // sorted "grantee=PRIVILEGE" ("*" after it: WITH GRANT OPTION)
  bool default_grants = true;       // never granted or revoked: what the owner gets by default
};

// An object the catalog holds that lockstep cannot model (a rule, an
// aggregate, a foreign table...): never dropped silently, reported instead.
struct Unsupported {
  std::string description;    // pg_describe_object(): "rule r on table t"
  std::string name;           // the bare name, to find the statement that made it
};

struct Model {
  std::vector<std::string> schemas;                       // besides public
  std::vector<std::string> extensions;
  std::map<std::string, std::string> extension_schemas;   // extension -> the schema it is in (quoted)
  std::map<std::string, std::vector<std::string>> enums;  // name -> labels in order
  std::map<std::string, std::string> ranges;              // name -> "subtype = int4, ..."
  std::map<std::string, Domain> domains;
  std::map<std::string, CompositeType> composites;
  std::map<std::string, Sequence> sequences;              // owned (serial) and free; not identity ones
  std::map<std::string, Table> tables;
  std::map<std::string, Index> indexes;                   // not constraint-backed, not partition clones
  std::map<std::string, View> views;                      // views and materialized views
  std::map<std::string, Function> functions;              // key: regprocedure, "f(integer)"
  std::map<std::string, Trigger> triggers;                // key: "name on table"
  std::map<std::string, Policy> policies;                 // key: "name on table"
  std::map<std::string, Comment> comments;                // key: target
  std::map<std::string, Privileges> privileges;           // key: "<kind> <name>"; empty unless read
  std::vector<Unsupported> unsupported;
};

} // namespace lockstep::schema
