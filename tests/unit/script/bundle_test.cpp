// The migration bundle (script/bundle): what goes in comes out, the folder
// loader reads it in place of a folder, and every way a bundle can be
// damaged is a usage error naming the file.

#include "script/bundle.hpp"
#include "script/directory.hpp"
#include "script/statement_facts.hpp"
#include "script/writer.hpp"
#include "util/error.hpp"

#include "temp_folder.hpp"

#include <catch2/catch_test_macros.hpp>
#include <catch2/generators/catch_generators.hpp>
#include <catch2/matchers/catch_matchers_string.hpp>

#include <zlib.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

using namespace lockstep;
using lockstep::test::TempFolder;
using Catch::Matchers::ContainsSubstring;
namespace fs = std::filesystem;

namespace {

// Files that use every header key and the odd corners of the format.
void write_sample(const TempFolder& folder)
{
  folder.write("0001_root.sql", "-- Revision ID: root\n-- Revises:\n-- Message: the first\n-- Create Date: 2026-01-01\n"
                                "\n-- +upgrade\nCREATE TABLE a (id int);\n\n-- +downgrade\nDROP TABLE a;\n");
  folder.write("0002_side.sql", "\xEF\xBB\xBF-- Revision ID: side\r\n-- Revises: root\r\n-- Branch Labels: feature, x.y\r\n"
                                "-- Lint Ignore: add-index-without-concurrently\r\n\r\n-- +upgrade\r\n"
                                "CREATE INDEX a_id ON a (id);   \r\n\r\n-- +downgrade\r\nDROP INDEX a_id;\r\n");
  folder.write("0003_main.sql", "-- Revision ID: main\n-- Revises: root\n-- Transactional: false\n"
                                "-- Depends On: side\n-- free text in the header\n\n-- +upgrade\n"
                                "CREATE INDEX CONCURRENTLY a_b ON a (id);\n-- +downgrade\n");
  folder.write("0004_merge.sql", "-- Revision ID: merge\n-- Revises: side, main\n-- Message: ünïcode ✓\n\n-- +upgrade\n");
  folder.write("README.md", "not a revision");
}

void check_same(const script::Revision& a, const script::Revision& b)
{
  CHECK(a.id == b.id);
  CHECK(a.parents == b.parents);
  CHECK(a.depends_on == b.depends_on);
  CHECK(a.branch_labels == b.branch_labels);
  CHECK(a.lint_ignore == b.lint_ignore);
  CHECK(a.message == b.message);
  CHECK(a.create_date == b.create_date);
  CHECK(a.transactional == b.transactional);
  CHECK(a.upgrade_sql == b.upgrade_sql);
  CHECK(a.downgrade_sql == b.downgrade_sql);
  CHECK(a.upgrade_line == b.upgrade_line);
  CHECK(a.downgrade_line == b.downgrade_line);
  CHECK(script::checksum_of(a) == script::checksum_of(b));
  // The plan check's facts: stored in a bundle, derived from a folder; the same either way.
  for (bool upgrade : {true, false}) {
    const script::SectionFacts fa = script::facts_of(a, upgrade);
    const script::SectionFacts fb = script::facts_of(b, upgrade);
    CHECK(script::encode_facts(fa, fa) == script::encode_facts(fb, fb));
  }
}

std::string decode_error(const std::string& bytes)
{
  try {
    script::decode_bundle(bytes, "/images/app.bundle");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring("/images/app.bundle"));
    return e.what();
  }
  return "";
}

void put_le(std::string& bytes, size_t offset, uint64_t value, int width)
{
  for (int i = 0; i < width; ++i) {
    bytes[offset + static_cast<size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

// CRC-32 (zlib's reflected polynomial 0xEDB88320), bit by bit: the bundle's
// checksum, computed here independently of the reader's (libdeflate).
uint32_t crc(const std::string& bytes)
{
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char byte : bytes) {
    c ^= byte;
    for (int k = 0; k < 8; ++k) {
      c = (c & 1) != 0 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
  }
  return ~c;
}

std::string le32(uint32_t v)
{
  std::string s(4, '\0');
  put_le(s, 0, v, 4);
  return s;
}

std::string deflated(const std::string& payload)
{
  z_stream z{};
  REQUIRE(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string compressed(deflateBound(&z, static_cast<uLong>(payload.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(compressed.data());
  z.avail_out = static_cast<uInt>(compressed.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  compressed.resize(z.total_out);
  deflateEnd(&z);
  return compressed;
}

struct Chunk {
  std::string compressed;
  uint32_t size = 0;
  uint32_t revisions = 0;
};

// A file of this format with a right CRC around an index and chunks (already
// compressed, or not): damage only a decoder past the CRC can catch.
std::string seal(uint32_t count, const std::string& compressed_index, uint32_t index_size,
                 const std::vector<Chunk>& chunks = {})
{
  std::string body;
  for (const auto& c : chunks) {
    body += le32(static_cast<uint32_t>(c.compressed.size())) + le32(c.size) + le32(c.revisions);
  }
  body += compressed_index;
  for (const auto& c : chunks) {
    body += c.compressed;
  }
  std::string bytes(script::kBundleMagic);
  bytes += le32(script::kBundleVersion) + le32(1) + le32(count) + le32(static_cast<uint32_t>(chunks.size())) +
           le32(index_size) + le32(static_cast<uint32_t>(compressed_index.size())) + le32(crc(body));
  return bytes + body;
}

// `index` after a graph part that says "no graph" (1 byte: 0), unless
// `graph` gives the part (its size first).
std::string wrap(uint32_t count, const std::string& index, const std::vector<Chunk>& chunks = {},
                 const std::string& graph = std::string("\x01\x00", 2))
{
  const std::string whole = graph + index;
  return seal(count, deflated(whole), static_cast<uint32_t>(whole.size()), chunks);
}

// One revision's index entry: file "<id>.sql", no parents, lines 1; no
// stored statement facts unless `facts_size` says so.
std::string entry(const std::string& id, uint32_t upgrade_size, uint32_t downgrade_size, uint32_t facts_size = 0)
{
  std::string e;
  e += '\x03';  // the file is <id>.sql; transactional
  e += static_cast<char>(id.size()) + id;
  e += std::string(6, '\0');  // parents, depends on, labels, lint ignore, message, date: all empty
  e += '\x01';
  e += '\x01';
  e += static_cast<char>(upgrade_size);
  e += static_cast<char>(downgrade_size);
  e += static_cast<char>(facts_size);
  return e;
}

} // namespace

TEST_CASE("a bundle gives back every revision of its folder, field for field", "[script][bundle]")
{
  TempFolder folder;
  write_sample(folder);
  const auto from_folder = script::load_directory(folder.path().string());
  REQUIRE(from_folder.size() == 4);

  const std::string bytes = script::encode_bundle(from_folder);
  CHECK(script::looks_like_bundle(bytes));
  const auto from_bundle = script::decode_bundle(bytes, "/images/app.bundle");
  REQUIRE(from_bundle.size() == from_folder.size());
  for (size_t i = 0; i < from_folder.size(); ++i) {
    check_same(from_bundle[i], from_folder[i]);
    // The checksum travels with the revision: loading does not hash.
    CHECK(from_bundle[i].checksum == script::upgrade_checksum(from_folder[i].upgrade_sql));
    CHECK(from_bundle[i].path == "/images/app.bundle/" + fs::path(from_folder[i].path).filename().string());
  }
  // The same folder always makes the same bytes (content-addressed ConfigMaps).
  CHECK(script::encode_bundle(script::load_directory(folder.path().string())) == bytes);
  // And a bundle of a bundle is the same bundle.
  CHECK(script::encode_bundle(from_bundle) == bytes);
}

TEST_CASE("load_directory reads a bundle where a folder is expected", "[script][bundle]")
{
  TempFolder folder("bundle-src");
  write_sample(folder);
  TempFolder out("bundle-out");
  const std::string file = (out.path() / "migrations").string();  // no telling name: detected by content
  script::BundleWritten written = script::write_bundle(folder.path().string(), file);
  CHECK(written.revisions == 4);
  CHECK(written.bytes == fs::file_size(file));
  CHECK(written.uncompressed > 0);

  const auto from_folder = script::load_directory(folder.path().string());
  const auto from_bundle = script::load_directory(file);
  REQUIRE(from_bundle.size() == from_folder.size());
  for (size_t i = 0; i < from_folder.size(); ++i) {
    check_same(from_bundle[i], from_folder[i]);
  }
  CHECK(from_bundle[0].path == file + "/0001_root.sql");

  // A ConfigMap key is a symlink into ..data/: followed, and named as given.
  const std::string link = (out.path() / "bundle-key").string();
  fs::create_symlink(file, link);
  const auto through_link = script::load_directory(link);
  REQUIRE(through_link.size() == 4);
  CHECK(through_link[3].path == link + "/0004_merge.sql");
  fs::remove(link);

  // Writing again replaces the file, leaving no temporary beside it.
  script::write_bundle(file, file);
  CHECK(std::distance(fs::directory_iterator(out.path()), fs::directory_iterator{}) == 1);
  CHECK(script::load_directory(file).size() == 4);
}

TEST_CASE("an empty folder makes an empty bundle", "[script][bundle]")
{
  TempFolder folder;
  CHECK(script::decode_bundle(script::encode_bundle({}), "x").empty());
}

TEST_CASE("a bundle is read-only to revision and merge", "[script][bundle]")
{
  TempFolder folder;
  write_sample(folder);
  TempFolder out("bundle-out");
  const std::string file = (out.path() / "app.bundle").string();
  script::write_bundle(folder.path().string(), file);
  script::Revision rev;
  rev.id = "next";
  rev.parents = {"merge"};
  try {
    script::write_new_revision(file, rev);
    FAIL("wrote into a bundle");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring(file) && ContainsSubstring("read-only"));
  }
}

TEST_CASE("an unwritable bundle path is a usage error naming it", "[script][bundle]")
{
  TempFolder folder;
  write_sample(folder);
  const std::string file = (folder.path() / "missing" / "app.bundle").string();
  try {
    script::write_bundle(folder.path().string(), file);
    FAIL("wrote into a missing folder");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring(file) && ContainsSubstring("cannot write"));
  }
}

TEST_CASE("every damaged bundle is a usage error that names the file and says what is wrong", "[script][bundle]")
{
  TempFolder folder;
  write_sample(folder);
  const std::string good = script::encode_bundle(script::load_directory(folder.path().string()));
  REQUIRE(decode_error(good).empty());

  SECTION("not a bundle at all")
  {
    CHECK_THAT(decode_error("-- Revision ID: a\n"), ContainsSubstring("not a migration bundle"));
    CHECK_THAT(decode_error(""), ContainsSubstring("not a migration bundle"));
  }
  SECTION("truncated anywhere")
  {
    for (size_t size : {size_t{16}, size_t{19}, size_t{30}, size_t{43}, size_t{44}, size_t{50}, good.size() / 2,
                        good.size() - 1}) {
      CAPTURE(size);
      CHECK_THAT(decode_error(good.substr(0, size)), ContainsSubstring("truncated"));
    }
  }
  SECTION("bytes appended")
  {
    CHECK_THAT(decode_error(good + "x"), ContainsSubstring("corrupt") && ContainsSubstring("header says"));
  }
  SECTION("a future format version")
  {
    std::string bytes = good;
    put_le(bytes, 16, script::kBundleVersion + 1, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("format 4 is newer than the format this lockstep reads (3)") &&
                                      ContainsSubstring("lockstep bundle"));
  }
  SECTION("an older format version: the first format, which kept the whole payload in one stream")
  {
    // Its 44-byte header: magic, version 1, compression, payload sizes, CRC.
    std::string v1(script::kBundleMagic);
    v1 += le32(1) + le32(1) + std::string(20, '\0') + deflated("");
    CHECK_THAT(decode_error(v1), ContainsSubstring("format 1 is older than the format this lockstep reads (3)"));
  }
  SECTION("an older format version: format 2, whose chunks held no statement facts")
  {
    std::string bytes = good;
    put_le(bytes, 16, 2, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("format 2 is older than the format this lockstep reads (3)") &&
                                      ContainsSubstring("bundle the folder again"));
  }
  SECTION("an unknown compression")
  {
    std::string bytes = good;
    put_le(bytes, 20, 7, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("unknown compression 7"));
  }
  SECTION("any flipped byte after the header, or of the CRC")
  {
    const size_t offset = GENERATE(size_t{40}, size_t{43}, size_t{60}, size_t{150}, size_t{0});
    std::string bytes = good;
    const size_t at = offset == 0 ? bytes.size() - 1 : offset;  // 0: the last byte, in the last chunk
    REQUIRE(at < bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ 0x20);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("checksum does not match"));
  }
  SECTION("an index size that lies")
  {
    std::string bytes = good;
    put_le(bytes, 32, 3, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("index size 3 for 4 revisions"));
    put_le(bytes, 32, 300000, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("cannot decompress its index"));
    put_le(bytes, 32, 0xFFFFFFFF, 4);
    CHECK_THAT(decode_error(bytes), ContainsSubstring("index size"));
  }
  SECTION("a CRC that matches an index that is not deflate")
  {
    CHECK_THAT(decode_error(seal(0, "\xff\xfenot deflate at all", 100)), ContainsSubstring("cannot decompress its index"));
  }
  SECTION("a well-sealed index whose contents are wrong")
  {
    CHECK_THAT(decode_error(wrap(1, "\x03")), ContainsSubstring("runs past the end"));
    CHECK_THAT(decode_error(wrap(0xFFFFFFFF, "x")), ContainsSubstring("for 4294967295 revisions"));
    CHECK_THAT(decode_error(wrap(0, "x")), ContainsSubstring("bytes after the last revision"));
    CHECK_THAT(decode_error(wrap(1, entry("a b!", 0, 0))), ContainsSubstring("not a revision id"));
    CHECK_THAT(decode_error(wrap(1, entry("a", 0, 0))), ContainsSubstring("revision a is in no chunk"));
    const std::string sections = std::string(64, 'f') + "SELECT 1;";
    CHECK_THAT(decode_error(wrap(1, entry("a", 9, 0), {{deflated(sections), 70, 1}})),
               ContainsSubstring("run past the end of chunk 0"));
    CHECK_THAT(decode_error(wrap(1, entry("a", 8, 0), {{deflated(sections), 73, 1}})),
               ContainsSubstring("chunk table does not match"));
    CHECK_THAT(decode_error(wrap(1, entry("a", 9, 0), {{deflated(sections), 73, 0}})),
               ContainsSubstring("holding 0 revisions"));
    CHECK(decode_error(wrap(1, entry("a", 9, 0), {{deflated(sections), 73, 1}})).empty());
    CHECK_THAT(decode_error(wrap(1, entry("a", 9, 0, 6), {{deflated(sections), 73, 1}})),
               ContainsSubstring("run past the end of chunk 0"));
  }
  SECTION("well-sealed statement facts that do not fit the SQL fail when the plan check reads them")
  {
    const std::string sections = std::string(64, 'f') + "SELECT 1;";
    const std::string rules(1, static_cast<char>(lockstep::script::kStatementRulesVersion));
    // kind 0 (parsed), one statement: at 0, 32 bytes long (the section has 9), line 0, fine.
    const std::string too_long = rules + std::string("\x00\x01\x00\x20\x00\x00\x00\x00", 8);
    // kind 7: no such kind.
    const std::string unknown_kind = rules + std::string("\x07\x00", 2);
    // one statement whose verdict is past the last there is
    const std::string bad_verdict = rules + std::string("\x00\x01\x00\x08\x00\x7f\x00\x00", 8);
    for (const std::string& facts : {too_long, unknown_kind, bad_verdict}) {
      const auto revisions = script::decode_bundle(
        wrap(1, entry("a", 9, 0, static_cast<uint32_t>(facts.size())),
             {{deflated(sections + facts), static_cast<uint32_t>(73 + facts.size()), 1}}),
        "/images/app.bundle");
      REQUIRE(revisions.size() == 1);
      try {
        (void)script::facts_of(revisions[0], true);
        FAIL("read statement facts that do not fit");
      } catch (const Error& e) {
        CHECK(e.code() == ExitCode::usage);
        CHECK_THAT(e.what(), ContainsSubstring("/images/app.bundle/a.sql") &&
                               ContainsSubstring("corrupt migration bundle") && ContainsSubstring("revision a"));
      }
    }
  }
  SECTION("statement facts stored under other statement rules are derived again from the SQL, never trusted")
  {
    const std::string sections = std::string(64, 'f') + "CREATE INDEX CONCURRENTLY i ON t (c);";
    // Under rules version 0 (or a newer lockstep's): "one statement, fine", which is wrong today.
    for (uint32_t other : {0u, lockstep::script::kStatementRulesVersion + 1}) {
      const std::string facts = std::string(1, static_cast<char>(other)) + std::string("\x00\x01\x00\x24\x00\x00\x00\x00", 8);
      const auto revisions = script::decode_bundle(
        wrap(1, entry("a", 37, 0, static_cast<uint32_t>(facts.size())),
             {{deflated(sections + facts), static_cast<uint32_t>(101 + facts.size()), 1}}),
        "/images/app.bundle");
      REQUIRE(revisions.size() == 1);
      const script::SectionFacts derived = script::facts_of(revisions[0], true);
      REQUIRE(derived.statements.size() == 1);
      CHECK(derived.statements[0].use == script::TransactionUse::create_index_concurrently);
    }
  }
  SECTION("a well-sealed chunk that does not inflate fails when its SQL is first read")
  {
    const auto revisions = script::decode_bundle(wrap(1, entry("a", 9, 0), {{"\xff\xfe junk", 73, 1}}), "/images/app.bundle");
    REQUIRE(revisions.size() == 1);
    CHECK(revisions[0].id == "a");  // the header loads: heads and history never read SQL
    try {
      (void)revisions[0].upgrade_sql.view();
      FAIL("read SQL from a chunk that does not inflate");
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      CHECK_THAT(e.what(), ContainsSubstring("/images/app.bundle") && ContainsSubstring("cannot decompress chunk 0"));
    }
  }
}

uint32_t stored_crc(const std::string& bytes)
{
  return static_cast<uint32_t>(static_cast<unsigned char>(bytes[40])) |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[41])) << 8 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[42])) << 16 |
         static_cast<uint32_t>(static_cast<unsigned char>(bytes[43])) << 24;
}

TEST_CASE("a bundle's checksum is CRC-32 of everything after its header", "[script][bundle]")
{
  REQUIRE(crc("123456789") == 0xCBF43926u);  // the check value of CRC-32 (zlib's, PKZIP's)
  REQUIRE(crc("") == 0u);
  TempFolder folder;
  SECTION("a small bundle")
  {
    write_sample(folder);
    const std::string bytes = script::encode_bundle(script::load_directory(folder.path().string()));
    CHECK(stored_crc(bytes) == crc(bytes.substr(44)));
  }
  SECTION("a bundle of several chunks, over 100 KB that deflate cannot shrink much")
  {
    // Pseudo-random comments defeat deflate, so the checksum runs over a
    // long buffer (libdeflate's folded path) and an odd-sized tail.
    uint64_t state = 0x9E3779B97F4A7C15u;
    std::string parent;
    for (int i = 0; i < 100; ++i) {
      std::string noise;
      for (int k = 0; k < 1200 + i; ++k) {
        state = state * 6364136223846793005u + 1442695040888963407u;
        noise += "0123456789abcdef"[(state >> 60) & 0xF];
        noise += "0123456789abcdef"[(state >> 56) & 0xF];
      }
      const std::string id = "r" + std::to_string(i);
      folder.write(std::to_string(1000 + i) + "_" + id + ".sql",
                   "-- Revision ID: " + id + "\n-- Revises: " + parent + "\n\n-- +upgrade\n-- " + noise +
                       "\nCREATE TABLE t" + std::to_string(i) + " (id int);\n\n-- +downgrade\nDROP TABLE t" +
                       std::to_string(i) + ";\n");
      parent = id;
    }
    const std::string bytes = script::encode_bundle(script::load_directory(folder.path().string()));
    REQUIRE(bytes.size() > 100 * 1024);
    CHECK(stored_crc(bytes) == crc(bytes.substr(44)));
  }
}

TEST_CASE("a bundle's heads are read from the graph it stores, without loading its revisions", "[script][bundle]")
{
  TempFolder folder;
  write_sample(folder);
  const std::string bundle = (folder.path() / "app.bundle").string();
  script::write_bundle(folder.path().string(), bundle);
  const auto heads = script::read_bundle_heads(bundle);
  REQUIRE(heads.has_value());
  REQUIRE(heads->size() == 1);
  CHECK((*heads)[0].id == "merge");
  CHECK((*heads)[0].branch_labels.empty());
  CHECK((*heads)[0].parents == 2);
  CHECK_FALSE((*heads)[0].has_dependents);

  // Not a bundle: the caller loads the folder (or fails on the file) as before.
  CHECK_FALSE(script::read_bundle_heads(folder.path().string()).has_value());
  CHECK_FALSE(script::read_bundle_heads((folder.path() / "README.md").string()).has_value());
  CHECK_FALSE(script::read_bundle_heads((folder.path() / "nowhere").string()).has_value());

  // A graph that did not build is stored as such: the whole bundle is loaded then.
  folder.write("0005_orphan.sql", "-- Revision ID: orphan\n-- Revises: nosuch\n\n-- +upgrade\n");
  script::write_bundle(folder.path().string(), bundle);
  CHECK_FALSE(script::read_bundle_heads(bundle).has_value());
  CHECK(script::load_directory(bundle).size() == 5);
}

TEST_CASE("a damaged graph part fails as the rest of a damaged bundle does", "[script][bundle]")
{
  TempFolder folder;
  const std::string path = (folder.path() / "app.bundle").string();
  const auto heads_error = [&](const std::string& bytes) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(bytes.data(), 1, bytes.size(), f);
    std::fclose(f);
    try {
      script::read_bundle_heads(path);
    } catch (const Error& e) {
      CHECK(e.code() == ExitCode::usage);
      CHECK_THAT(e.what(), ContainsSubstring(path));
      return std::string(e.what());
    }
    return std::string();
  };
  // one head "a", no labels, one parent, no dependents: 1, 1, "a", 0, 1, 0
  const std::string head_a("\x01\x01\x01" "a" "\x00\x01\x00", 7);
  CHECK(heads_error(wrap(0, "", {}, "\x07" + head_a)).empty());
  CHECK_THAT(heads_error(wrap(0, "xx", {}, "\x09" + head_a)), ContainsSubstring("not the size it says"));
  CHECK_THAT(heads_error(wrap(0, "", {}, "\x70" + head_a)), ContainsSubstring("runs past the end of the index"));
  CHECK_THAT(heads_error(wrap(0, "", {}, std::string("\x07\x01\x01\x01!\x00\x01\x00", 8))),
             ContainsSubstring("not a revision id"));
  CHECK_THAT(heads_error(wrap(0, "", {}, std::string("\x01\x02", 2))), ContainsSubstring("unknown graph flag"));
  std::string flipped = wrap(0, "", {}, "\x07" + head_a);
  flipped.back() = static_cast<char>(flipped.back() ^ 1);
  CHECK_THAT(heads_error(flipped), ContainsSubstring("checksum does not match"));
  CHECK_THAT(heads_error(flipped.substr(0, 30)), ContainsSubstring("truncated"));
}

TEST_CASE("a file that is not a bundle, where a folder is expected, is named", "[script][bundle]")
{
  TempFolder folder;
  const std::string file = folder.write("0001_a.sql", "-- Revision ID: a\n-- Revises:\n-- +upgrade\n");
  try {
    script::load_directory(file);
    FAIL("loaded a revision file as a bundle");
  } catch (const Error& e) {
    CHECK(e.code() == ExitCode::usage);
    CHECK_THAT(e.what(), ContainsSubstring(file) && ContainsSubstring("not a migration bundle"));
  }
}
