// A migration bundle: a whole migrations folder as one file.
//
// `lockstep bundle` writes it; load_directory() reads it wherever a folder
// is accepted, telling the two apart by content (the magic line below), not
// by name. One file is one read on every pod start instead of three system
// calls per revision, and fits a ConfigMap as one binaryData key.
//
// Layout (integers little-endian):
//
//   offset  size  field
//   0       16    magic "LOCKSTEP-BUNDLE\n"
//   16      4     format version (kBundleVersion)
//   20      4     compression: 1 = raw deflate (zlib, RFC 1951)
//   24      8     payload size, uncompressed
//   32      8     payload size, compressed
//   40      4     CRC-32 of the compressed payload
//   44      ...   the compressed payload
//
// The payload holds every revision, parsed, in file-name order: its file
// name, header fields, both sections with the lines they start on, and the
// upgrade checksum, so loading neither parses nor hashes. The same folder
// always gives the same bytes (no timestamps), so content-addressed
// ConfigMaps keep their names.
//
// Reading checks, in this order, each failing with Error(usage) naming the
// file: the magic, the version (a newer format says so), the sizes against
// the file's length (truncation), the checksum, inflation, and every length
// inside the payload.
#pragma once

#include "script/revision_file.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::script {

inline constexpr std::string_view kBundleMagic = "LOCKSTEP-BUNDLE\n";
inline constexpr uint32_t kBundleVersion = 1;

// The bytes of a bundle holding `revisions` (their `path` names them: the
// part after the last '/' is stored as the file name).
std::string encode_bundle(const std::vector<Revision>& revisions);

// The revisions in `bytes`, each with path "<bundle_path>/<file name>", so
// messages read like the folder's. Throws Error(usage) naming bundle_path.
std::vector<Revision> decode_bundle(std::string_view bytes, const std::string& bundle_path);

// Reads the bundle file at `path` (decode_bundle of its bytes).
std::vector<Revision> load_bundle(const std::string& path);

// True when `bytes` start like a bundle (enough to choose the reader).
bool looks_like_bundle(std::string_view bytes);

struct BundleWritten {
  size_t revisions = 0;
  size_t bytes = 0;         // the file's size
  size_t uncompressed = 0;  // the payload before compression
};

// Loads `migrations` (a folder or a bundle) and writes it to `output` as a
// bundle, atomically (a temporary file beside it, then rename). Throws
// Error(usage) for unreadable input or an unwritable output.
BundleWritten write_bundle(const std::string& migrations, const std::string& output);

} // namespace lockstep::script
