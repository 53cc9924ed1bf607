// A migration bundle: a whole migrations folder as one file.
//
// `lockstep bundle` writes it; load_directory() reads it wherever a folder
// is accepted, telling the two apart by content (the magic line below), not
// by name. One file is one read on every pod start instead of three system
// calls per revision, and fits a ConfigMap as one binaryData key.
//
// Layout (format 3; integers little-endian, "varint" is LEB128):
//
//   offset  size  field
//   0       16    magic "LOCKSTEP-BUNDLE\n"
//   16      4     format version (kBundleVersion; at this offset in every format)
//   20      4     compression: 1 = raw deflate (zlib, RFC 1951)
//   24      4     revision count
//   28      4     chunk count
//   32      4     index size, uncompressed
//   36      4     index size, compressed
//   40      4     CRC-32 (zlib's polynomial, computed by libdeflate) of every byte after the header
//   44      12*C  chunk table: per chunk its compressed size, uncompressed
//                 size and number of revisions
//   ...           the index, compressed
//   ...           the chunks, each compressed on its own
//
// The index starts with the graph `lockstep bundle` built from the
// revisions (graph::RevisionGraph, so every check the folder gets): a flag,
// 0 when it did not build, else the heads in node order, each as the offset
// of its entry and whether a revision depends on it. `heads` reads those
// entries and nothing else. Then every revision's header, in file-name
// order: file name
// (or a flag when it is "<id>.sql"), id, parents (as indices of earlier
// entries or ids), dependencies, branch labels, lint ignores, message, date,
// transactional, the lines the sections start on, the sections' sizes and
// the size of their statement facts. A chunk holds, for a run of revisions,
// each one's upgrade checksum (64 hex digits), upgrade section, downgrade
// section and the sections' statement facts (script/statement_facts: each
// statement's place, line and transaction verdict, or the syntax error, as
// `lockstep bundle` derived them with the parser), so that planning from a
// bundle never parses SQL. Format 3 added the facts; format 2 had none. Loading reads the
// file, checks the CRC and inflates the index only: the chunks are inflated
// when a command first reads a section or a checksum (script/lazy_text), so
// `heads` or `history` never inflate SQL. Loading neither parses nor
// hashes. The same folder always gives the same bytes (no timestamps), so
// content-addressed ConfigMaps keep their names.
//
// Reading checks, in this order, each failing with Error(usage) naming the
// file: the magic, the version (an older or newer format says so), the
// sizes against the file's length (truncation), the CRC, inflating the
// index, every length inside it and the chunks' sizes against the sections
// they hold; a chunk that does not inflate (possible only for a crafted file
// whose CRC matches) fails when it is first read.
#pragma once

#include "script/revision_file.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::script {

inline constexpr std::string_view kBundleMagic = "LOCKSTEP-BUNDLE\n";
inline constexpr uint32_t kBundleVersion = 3;

// The bytes of a bundle holding `revisions` (their `path` names them: the
// part after the last '/' is stored as the file name).
std::string encode_bundle(const std::vector<Revision>& revisions);

// The revisions in `bytes`, each with path "<bundle_path>/<file name>", so
// messages read like the folder's; their sections and checksums read from
// `bytes`, which the revisions keep alive. Throws Error(usage) naming
// bundle_path.
std::vector<Revision> decode_bundle(std::string bytes, const std::string& bundle_path);

// What `heads` prints of a head, from the graph a bundle stores.
struct BundleHead {
  std::string id;
  std::vector<std::string> branch_labels;
  size_t parents = 0;
  bool has_dependents = false;  // a revision elsewhere depends on it: Alembic's "effective head"
};

// The heads of the bundle at `path`, in node order, as `lockstep bundle`
// found them with graph::RevisionGraph, reading only their index entries
// (no revision, graph or chunk is built). nullopt when `path` is not a
// bundle file, or when its revisions did not make a graph (load it whole:
// that says why, as the folder does). A damaged bundle is Error(usage), as
// from load_bundle (its layout and CRC are checked the same way; only the
// entries of the heads are read).
std::optional<std::vector<BundleHead>> read_bundle_heads(const std::string& path);

// Reads the bundle file at `path` (decode_bundle of its bytes).
std::vector<Revision> load_bundle(const std::string& path);

// True when `bytes` start like a bundle (enough to choose the reader).
bool looks_like_bundle(std::string_view bytes);

struct BundleWritten {
  size_t revisions = 0;
  size_t bytes = 0;         // the file's size
  size_t uncompressed = 0;  // the index and chunks before compression
};

// Loads `migrations` (a folder or a bundle) and writes it to `output` as a
// bundle, atomically (a temporary file beside it, then rename). Throws
// Error(usage) for unreadable input or an unwritable output.
BundleWritten write_bundle(const std::string& migrations, const std::string& output);

} // namespace lockstep::script
