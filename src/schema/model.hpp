// A schema as data: what `revision --autogenerate` compares. Filled from
// pg_catalog by db::Session::read_model(); diffed by schema/diff.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace lockstep::schema {

struct Column {
  std::string type;          // format_type(): "character varying(20)", "integer[]"
  bool not_null = false;
  std::string default_expr;  // pg_get_expr(); empty for none
  std::string identity;      // "", "ALWAYS" or "BY DEFAULT"
  std::string generated;     // the stored generation expression, or empty
  std::string comment;
};

struct Table {
  std::map<std::string, Column> columns;
  std::vector<std::string> column_order;        // as created, for CREATE TABLE
  std::map<std::string, std::string> constraints;  // name -> pg_get_constraintdef()
  std::map<std::string, char> constraint_types;    // name -> 'p', 'u', 'c', 'f', 'x'
  std::string comment;
};

struct Model {
  std::vector<std::string> schemas;                   // besides public
  std::vector<std::string> extensions;
  std::map<std::string, std::vector<std::string>> enums;  // qualified name -> labels in order
  std::map<std::string, std::string> sequences;       // standalone: qualified name -> definition
  std::map<std::string, Table> tables;                // qualified name (public. omitted)
  std::map<std::string, std::string> indexes;         // name -> pg_get_indexdef() (not constraint-backed)
  std::map<std::string, std::string> index_tables;    // name -> table
  std::map<std::string, std::string> views;           // qualified name -> definition
  std::map<std::string, std::string> matviews;
};

} // namespace lockstep::schema
