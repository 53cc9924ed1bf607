#include "script/bundle.hpp"

#include "graph/revision_graph.hpp"
#include "script/directory.hpp"
#include "script/statement_facts.hpp"
#include "util/error.hpp"
#include "util/read_file.hpp"
#include "util/strings.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <fcntl.h>
#include <functional>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unordered_map>
#include <unistd.h>

namespace lockstep::script {

namespace {

constexpr uint32_t kDeflate = 1;
constexpr size_t kHeaderSize = 16 + 4 + 4 + 4 + 4 + 4 + 4 + 4;
constexpr size_t kChunkEntrySize = 12;
constexpr size_t kChecksumSize = 64;  // hex SHA-256
// A chunk is closed once it holds this much: big enough to compress well
// (deflate's window is 32 KiB), small enough that reading one section
// inflates little besides it.
constexpr size_t kChunkTarget = 64 * 1024;
constexpr int kRawDeflate = -15;  // windowBits: a raw stream, no zlib wrapper (our CRC-32 covers it)
// Far above any real folder; it bounds what a corrupt header can make us allocate.
constexpr uint64_t kMaxSize = uint64_t{1} << 31;
constexpr uint32_t kNameIsId = 1;  // flags: the file name is "<id>.sql"
constexpr uint32_t kTransactional = 2;
constexpr uint32_t kHasDependents = 1;  // a head's flags: a revision elsewhere depends on it

void put_u32(std::string& out, uint32_t v)
{
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
}

uint32_t get_u32(std::string_view bytes, size_t offset)
{
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[offset + static_cast<size_t>(i)]);
  }
  return v;
}

void put_varint(std::string& out, uint64_t v)
{
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_string(std::string& out, std::string_view s)
{
  put_varint(out, s.size());
  out.append(s);
}

void put_list(std::string& out, const std::vector<std::string>& items)
{
  put_varint(out, items.size());
  for (const auto& item : items) {
    put_string(out, item);
  }
}

std::string_view file_name_of(std::string_view path)
{
  const size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Reads the index; any length that runs past its end is corruption.
class IndexReader {
public:
  IndexReader(std::string_view bytes, const std::string& path) : m_bytes(bytes), m_path(path) {}

  uint64_t varint()
  {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      need(1);
      const auto byte = static_cast<unsigned char>(m_bytes[m_at++]);
      v |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if ((byte & 0x80) == 0) {
        return v;
      }
    }
    corrupt("a number runs too long");
  }

  uint32_t u32()
  {
    const uint64_t v = varint();
    if (v > 0xFFFFFFFFu) {
      corrupt("a number out of range");
    }
    return static_cast<uint32_t>(v);
  }

  std::string_view view()
  {
    const uint64_t size = varint();
    need(size);
    std::string_view s = m_bytes.substr(m_at, size);
    m_at += size;
    return s;
  }

  bool at_end() const { return m_at == m_bytes.size(); }
  size_t position() const { return m_at; }

  [[noreturn]] void corrupt(const std::string& what) const
  {
    throw_usage(m_path + ": corrupt migration bundle: " + what + " (at index byte " + std::to_string(m_at) +
                "); write it again with 'lockstep bundle'");
  }

private:
  void need(uint64_t size) const
  {
    if (size > m_bytes.size() - m_at) {
      corrupt("a length runs past the end of the index");
    }
  }

  std::string_view m_bytes;
  const std::string& m_path;
  size_t m_at = 0;
};

// One revision's index entry as it is stored, borrowed from the inflated
// index; parents are an earlier entry's number (from 1) or, when 0, an id.
// Reused from entry to entry, so reading allocates nothing of its own.
struct EntryView {
  uint32_t flags = 0;
  std::string_view name;  // empty when the file is "<id>.sql"
  std::string_view id;
  std::vector<std::pair<uint64_t, std::string_view>> parents;
  std::vector<std::string_view> depends_on;
  std::vector<std::string_view> branch_labels;
  std::vector<std::string_view> lint_ignore;
  std::string_view message;
  std::string_view create_date;
  uint32_t upgrade_line = 0;
  uint32_t downgrade_line = 0;
  uint32_t upgrade_size = 0;
  uint32_t downgrade_size = 0;
  uint32_t facts_size = 0;
};

void read_views(IndexReader& in, std::vector<std::string_view>& into)
{
  const uint32_t count = in.u32();
  into.clear();
  for (uint32_t i = 0; i < count; ++i) {
    into.push_back(in.view());
  }
}

void read_entry(IndexReader& in, EntryView& e)
{
  e.flags = in.u32();
  e.name = (e.flags & kNameIsId) != 0 ? std::string_view() : in.view();
  e.id = in.view();
  const uint32_t parents = in.u32();
  e.parents.clear();
  for (uint32_t i = 0; i < parents; ++i) {
    const uint64_t ref = in.varint();
    e.parents.emplace_back(ref, ref == 0 ? in.view() : std::string_view());
  }
  read_views(in, e.depends_on);
  read_views(in, e.branch_labels);
  read_views(in, e.lint_ignore);
  e.message = in.view();
  e.create_date = in.view();
  e.upgrade_line = in.u32();
  e.downgrade_line = in.u32();
  e.upgrade_size = in.u32();
  e.downgrade_size = in.u32();
  e.facts_size = in.u32();
}

void assign(std::vector<std::string>& into, const std::vector<std::string_view>& from)
{
  into.assign(from.begin(), from.end());
}

// The index starts with the graph `lockstep bundle` checked, its size
// first (so `heads` inflates that much of the index and no more): 0 when
// the folder's graph did not build (every command then loads the bundle
// whole and says why, as from the folder), else the heads in node order,
// each with what `heads` prints of it.
bool read_graph_part(IndexReader& in, std::vector<BundleHead>* heads)
{
  const uint64_t size = in.varint();
  const size_t start = in.position();
  const uint32_t verified = in.u32();
  if (verified > 1) {
    in.corrupt("an unknown graph flag");
  }
  if (verified == 1) {
    const uint32_t count = in.u32();
    std::vector<std::string_view> labels;
    for (uint32_t i = 0; i < count; ++i) {
      const std::string_view id = in.view();
      read_views(in, labels);
      const uint32_t parents = in.u32();
      const uint32_t flags = in.u32();
      if (!valid_revision_id(id)) {
        in.corrupt("'" + std::string(id) + "' is not a revision id");
      }
      if (heads != nullptr) {
        BundleHead& head = heads->emplace_back();
        head.id.assign(id);
        assign(head.branch_labels, labels);
        head.parents = parents;
        head.has_dependents = (flags & kHasDependents) != 0;
      }
    }
  }
  if (in.position() - start != size) {
    in.corrupt("the graph part is not the size it says");
  }
  return verified == 1;
}

// The bundle's checksum is CRC-32 (zlib's polynomial) by libdeflate, which
// folds it with PCLMULQDQ where the CPU has it and uses tables elsewhere:
// checking a 500 KB bundle stays a small part of reading it (zlib's own
// crc32() took most of `heads`).
uint32_t crc32_of(std::string_view bytes)
{
  return libdeflate_crc32(0, bytes.data(), bytes.size());
}

std::string compress(const std::string& payload)
{
  z_stream z{};
  if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, kRawDeflate, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw Error(ExitCode::internal, "zlib could not start compressing the bundle");
  }
  std::string out(deflateBound(&z, static_cast<uLong>(payload.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    throw Error(ExitCode::internal, std::string("zlib could not compress the bundle: ") + zError(rc));
  }
  return out;
}

// Inflates `compressed` into `into` (its size is what is asked for): the
// whole stream, which must end exactly there, or only its first
// `into.size()` bytes. False (and why) when it does not.
enum class Inflate { whole, prefix };
bool inflate_into(std::string_view compressed, std::string& into, Inflate how, std::string& why)
{
  z_stream z{};
  if (inflateInit2(&z, kRawDeflate) != Z_OK) {
    why = "zlib could not start";
    return false;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = reinterpret_cast<Bytef*>(into.data());
  z.avail_out = static_cast<uInt>(into.size());
  bool done = false;
  int rc = Z_OK;
  if (how == Inflate::whole) {
    rc = inflate(&z, Z_FINISH);
    done = rc == Z_STREAM_END && z.total_out == into.size() && z.avail_in == 0;
  } else {
    rc = into.empty() ? Z_OK : inflate(&z, Z_SYNC_FLUSH);
    done = (rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR) && z.total_out == into.size();
  }
  if (!done) {
    why = rc == Z_OK || rc == Z_STREAM_END || rc == Z_BUF_ERROR ? "its size differs from its header"
                                                                : (z.msg ? z.msg : zError(rc));
  }
  inflateEnd(&z);
  return done;
}

bool inflate_exactly(std::string_view compressed, std::string& into, std::string& why)
{
  return inflate_into(compressed, into, Inflate::whole, why);
}

struct ChunkEntry {
  size_t offset = 0;  // in the file
  uint32_t compressed = 0;
  uint32_t size = 0;
  uint32_t revisions = 0;
};

// The bundle's bytes, kept for its chunks: each inflated on first use, once,
// whichever thread asks first. Never freed (LazyText's promise): a process
// loads its migrations once.
class BundleChunks final : public TextSource {
public:
  BundleChunks(std::string bytes, std::string path) : m_bytes(std::move(bytes)), m_path(std::move(path)) {}

  // Keeps each chunk's compressed bytes on its own and lets the file go:
  // a chunk's compressed bytes are freed once it is inflated, so a command
  // that reads every section (planning) never holds both forms of them.
  void set_chunks(const std::vector<ChunkEntry>& chunks)
  {
    m_compressed.reserve(chunks.size());
    m_sizes.reserve(chunks.size());
    for (const auto& chunk : chunks) {
      m_compressed.emplace_back(std::string_view(m_bytes).substr(chunk.offset, chunk.compressed));
      m_sizes.push_back(chunk.size);
    }
    std::string().swap(m_bytes);
    m_inflated.resize(chunks.size());
    m_ready = std::make_unique<std::atomic<const std::string*>[]>(chunks.size());
  }

  std::string_view bytes() const { return m_bytes; }

  std::string_view chunk(uint32_t index) const override
  {
    if (const std::string* ready = m_ready[index].load(std::memory_order_acquire)) {
      return *ready;
    }
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_inflated[index]) {
      auto text = std::make_unique<std::string>(m_sizes[index], '\0');
      std::string why;
      if (!inflate_exactly(m_compressed[index], *text, why)) {
        throw_usage(m_path + ": corrupt migration bundle: cannot decompress chunk " + std::to_string(index) + " (" +
                    why + "); write it again with 'lockstep bundle'");
      }
      std::string().swap(m_compressed[index]);
      m_inflated[index] = std::move(text);
      m_ready[index].store(m_inflated[index].get(), std::memory_order_release);
    }
    return *m_inflated[index];
  }

private:
  std::string m_bytes;  // the file, until set_chunks
  std::string m_path;
  mutable std::vector<std::string> m_compressed;  // per chunk, until inflated
  std::vector<uint32_t> m_sizes;                  // per chunk, inflated
  mutable std::mutex m_mutex;
  mutable std::vector<std::unique_ptr<std::string>> m_inflated;
  std::unique_ptr<std::atomic<const std::string*>[]> m_ready;
};

} // namespace

bool looks_like_bundle(std::string_view bytes)
{
  return bytes.substr(0, kBundleMagic.size()) == kBundleMagic;
}

namespace {

// The graph part of the index (see read_graph_part), its size first; "0"
// when the revisions do not make a graph.
std::string graph_part(const std::vector<Revision>& revisions)
{
  std::vector<graph::NodeSpec> specs;
  specs.reserve(revisions.size());
  for (const auto& rev : revisions) {
    specs.push_back({rev.id, rev.parents, rev.depends_on, rev.branch_labels, rev.path, false});
  }
  std::string part;
  try {
    const graph::RevisionGraph graph(std::move(specs));
    const std::vector<int> heads = graph.heads();
    put_varint(part, 1);
    put_varint(part, heads.size());
    for (int head : heads) {
      const Revision& rev = revisions[static_cast<size_t>(head)];
      put_string(part, rev.id);
      put_list(part, rev.branch_labels);
      put_varint(part, rev.parents.size());
      put_varint(part, graph.dependents(head).empty() ? 0 : kHasDependents);
    }
  } catch (const Error&) {
    part.clear();
    put_varint(part, 0);
  }
  std::string sized;
  put_varint(sized, part.size());
  return sized + part;
}

} // namespace

std::string encode_bundle(const std::vector<Revision>& revisions)
{
  std::unordered_map<std::string_view, size_t> earlier;  // id -> index, for parents
  std::string index;
  std::string table;
  std::string chunks;
  std::string chunk;
  uint32_t in_chunk = 0;
  uint32_t chunk_count = 0;
  auto close_chunk = [&] {
    if (in_chunk == 0) {
      return;
    }
    const std::string compressed = compress(chunk);
    put_u32(table, static_cast<uint32_t>(compressed.size()));
    put_u32(table, static_cast<uint32_t>(chunk.size()));
    put_u32(table, in_chunk);
    chunks += compressed;
    chunk.clear();
    in_chunk = 0;
    ++chunk_count;
  };
  for (size_t i = 0; i < revisions.size(); ++i) {
    const Revision& rev = revisions[i];
    const std::string_view name = file_name_of(rev.path);
    const bool name_is_id = name.size() == rev.id.size() + 4 && util::starts_with(name, rev.id) &&
                            util::ends_with(name, ".sql");
    put_varint(index, (name_is_id ? kNameIsId : 0) | (rev.transactional ? kTransactional : 0));
    if (!name_is_id) {
      put_string(index, name);
    }
    put_string(index, rev.id);
    put_varint(index, rev.parents.size());
    for (const auto& parent : rev.parents) {
      auto found = earlier.find(parent);
      put_varint(index, found == earlier.end() ? 0 : found->second + 1);
      if (found == earlier.end()) {
        put_string(index, parent);
      }
    }
    put_list(index, rev.depends_on);
    put_list(index, rev.branch_labels);
    put_list(index, rev.lint_ignore);
    put_string(index, rev.message);
    put_string(index, rev.create_date);
    put_varint(index, static_cast<uint32_t>(rev.upgrade_line));
    put_varint(index, static_cast<uint32_t>(rev.downgrade_line));
    put_varint(index, rev.upgrade_sql.size());
    put_varint(index, rev.downgrade_sql.size());
    // What the plan check derives with the parser, derived once here.
    const std::string facts = encode_facts(facts_of(rev, true), facts_of(rev, false));
    put_varint(index, facts.size());
    earlier.emplace(rev.id, i);

    const std::string checksum = checksum_of(rev);
    if (checksum.size() != kChecksumSize) {
      throw Error(ExitCode::internal, "revision " + rev.id + " has a checksum of " + std::to_string(checksum.size()) +
                                        " characters");
    }
    chunk += checksum;
    chunk.append(rev.upgrade_sql.view());
    chunk.append(rev.downgrade_sql.view());
    chunk.append(facts);
    ++in_chunk;
    if (chunk.size() >= kChunkTarget) {
      close_chunk();
    }
  }
  close_chunk();
  index.insert(0, graph_part(revisions));
  const std::string compressed_index = compress(index);
  std::string out;
  out.reserve(kHeaderSize + table.size() + compressed_index.size() + chunks.size());
  out.append(kBundleMagic);
  put_u32(out, kBundleVersion);
  put_u32(out, kDeflate);
  put_u32(out, static_cast<uint32_t>(revisions.size()));
  put_u32(out, chunk_count);
  put_u32(out, static_cast<uint32_t>(index.size()));
  put_u32(out, static_cast<uint32_t>(compressed_index.size()));
  const size_t crc_at = out.size();
  put_u32(out, 0);
  out += table;
  out += compressed_index;
  out += chunks;
  const uint32_t crc = crc32_of(std::string_view(out).substr(kHeaderSize));
  for (int i = 0; i < 4; ++i) {
    out[crc_at + static_cast<size_t>(i)] = static_cast<char>((crc >> (8 * i)) & 0xFF);
  }
  return out;
}

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what)
{
  throw_usage(path + ": " + what);
}

// The header's and chunk table's promises checked against the file: the
// chunks with their offsets, and the compressed index.
std::vector<ChunkEntry> check_layout(std::string_view bytes, const std::string& path, std::string_view& index)
{
  if (!looks_like_bundle(bytes)) {
    fail(path, "not a migration bundle (it does not start with 'LOCKSTEP-BUNDLE'); "
               "'migrations' names a folder of .sql files or a file written by 'lockstep bundle'");
  }
  if (bytes.size() < kBundleMagic.size() + 4) {
    fail(path, "truncated migration bundle: " + std::to_string(bytes.size()) + " bytes, shorter than its header (" +
                 std::to_string(kHeaderSize) + ")");
  }
  const uint32_t version = get_u32(bytes, 16);
  if (version != kBundleVersion) {
    fail(path, "migration bundle format " + std::to_string(version) + " is " +
                 (version > kBundleVersion ? "newer" : "older") + " than the format this lockstep reads (" +
                 std::to_string(kBundleVersion) + "): bundle the folder again with this lockstep's 'lockstep bundle'");
  }
  if (bytes.size() < kHeaderSize) {
    fail(path, "truncated migration bundle: " + std::to_string(bytes.size()) + " bytes, shorter than its header (" +
                 std::to_string(kHeaderSize) + ")");
  }
  if (const uint32_t compression = get_u32(bytes, 20); compression != kDeflate) {
    fail(path, "corrupt migration bundle: unknown compression " + std::to_string(compression));
  }
  const uint64_t chunk_count = get_u32(bytes, 28);
  const uint64_t index_compressed = get_u32(bytes, 36);
  uint64_t expected = kHeaderSize + chunk_count * kChunkEntrySize + index_compressed;
  std::vector<ChunkEntry> chunks;
  if (expected <= bytes.size()) {
    chunks.resize(chunk_count);
    size_t at = kHeaderSize;
    for (auto& chunk : chunks) {
      chunk.compressed = get_u32(bytes, at);
      chunk.size = get_u32(bytes, at + 4);
      chunk.revisions = get_u32(bytes, at + 8);
      at += kChunkEntrySize;
      chunk.offset = static_cast<size_t>(expected);
      expected += chunk.compressed;
    }
  }
  if (expected != bytes.size()) {
    fail(path, std::string(expected > bytes.size() ? "truncated" : "corrupt") + " migration bundle: " +
                 std::to_string(bytes.size()) + " bytes, its header says " + std::to_string(expected));
  }
  if (crc32_of(bytes.substr(kHeaderSize)) != get_u32(bytes, 40)) {
    fail(path, "corrupt migration bundle: its checksum does not match its content; write it again with "
               "'lockstep bundle'");
  }
  index = bytes.substr(kHeaderSize + chunk_count * kChunkEntrySize, index_compressed);
  return chunks;
}

std::vector<Revision> read_index(std::string_view index, const std::string& path, uint32_t count,
                                 const BundleChunks* source,
                                 const std::vector<ChunkEntry>& chunks)
{
  IndexReader in(index, path);
  if (count > index.size()) {
    in.corrupt("revision count " + std::to_string(count));
  }
  std::vector<Revision> revisions(count);
  const std::string prefix = path + "/";
  uint32_t chunk = 0;
  uint32_t left_in_chunk = chunks.empty() ? 0 : chunks[0].revisions;
  uint64_t offset = 0;  // in the chunk
  read_graph_part(in, nullptr);
  EntryView e;
  for (size_t i = 0; i < revisions.size(); ++i) {
    Revision& rev = revisions[i];
    read_entry(in, e);
    rev.id.assign(e.id);
    if (!valid_revision_id(rev.id)) {
      in.corrupt("'" + rev.id + "' is not a revision id");
    }
    rev.path.reserve(prefix.size() + (e.name.empty() ? rev.id.size() + 4 : e.name.size()));
    rev.path.append(prefix);
    if (e.name.empty()) {
      rev.path.append(rev.id).append(".sql");
    } else {
      rev.path.append(e.name);
    }
    rev.transactional = (e.flags & kTransactional) != 0;
    rev.parents.resize(e.parents.size());
    for (size_t p = 0; p < e.parents.size(); ++p) {
      const auto [ref, id] = e.parents[p];
      if (ref == 0) {
        rev.parents[p].assign(id);
      } else if (ref <= i) {
        rev.parents[p] = revisions[ref - 1].id;
      } else {
        in.corrupt("revision " + rev.id + " names a parent by a later entry");
      }
    }
    assign(rev.depends_on, e.depends_on);
    assign(rev.branch_labels, e.branch_labels);
    assign(rev.lint_ignore, e.lint_ignore);
    rev.message.assign(e.message);
    rev.create_date.assign(e.create_date);
    rev.upgrade_line = static_cast<int>(e.upgrade_line);
    rev.downgrade_line = static_cast<int>(e.downgrade_line);
    const uint32_t upgrade_size = e.upgrade_size;
    const uint32_t downgrade_size = e.downgrade_size;
    const uint32_t facts_size = e.facts_size;

    while (left_in_chunk == 0 && chunk < chunks.size()) {
      if (offset != chunks[chunk].size) {
        in.corrupt("chunk " + std::to_string(chunk) + " holds " + std::to_string(chunks[chunk].size) +
                   " bytes, its revisions " + std::to_string(offset));
      }
      ++chunk;
      offset = 0;
      left_in_chunk = chunk < chunks.size() ? chunks[chunk].revisions : 0;
    }
    if (left_in_chunk == 0) {
      in.corrupt("revision " + rev.id + " is in no chunk");
    }
    const uint64_t end = offset + kChecksumSize + uint64_t{upgrade_size} + downgrade_size + facts_size;
    if (end > chunks[chunk].size) {
      in.corrupt("the sections of revision " + rev.id + " run past the end of chunk " + std::to_string(chunk));
    }
    const auto at = static_cast<uint32_t>(offset);  // within the chunk's size, checked above
    const auto upgrade_at = static_cast<uint32_t>(offset + kChecksumSize);
    rev.checksum = LazyText(source, chunk, at, static_cast<uint32_t>(kChecksumSize));
    rev.upgrade_sql = LazyText(source, chunk, upgrade_at, upgrade_size);
    rev.downgrade_sql = LazyText(source, chunk, upgrade_at + upgrade_size, downgrade_size);
    rev.facts_size = facts_size;  // stored right after the downgrade section (LazyText::next)
    offset = end;
    --left_in_chunk;
  }
  if (!in.at_end()) {
    in.corrupt("bytes after the last revision");
  }
  if (!chunks.empty() && (chunk + 1 != chunks.size() || left_in_chunk != 0 || offset != chunks[chunk].size)) {
    in.corrupt("the chunk table does not match the revisions");
  }
  return revisions;
}

// The index and chunks before compression, of a bundle this lockstep wrote.
size_t uncompressed_size(std::string_view bytes)
{
  size_t total = get_u32(bytes, 32);
  const uint32_t chunks = get_u32(bytes, 28);
  for (uint32_t i = 0; i < chunks; ++i) {
    total += get_u32(bytes, kHeaderSize + i * kChunkEntrySize + 4);
  }
  return total;
}

} // namespace

namespace {

// The checks every reader makes, in order (bundle.hpp), up to the index:
// the chunk table, and the compressed index into `compressed_index`.
std::vector<ChunkEntry> check_index(std::string_view file, const std::string& path, std::string_view& compressed_index)
{
  std::vector<ChunkEntry> chunks = check_layout(file, path, compressed_index);
  const uint32_t count = get_u32(file, 24);
  const uint32_t index_size = get_u32(file, 32);
  if (index_size > kMaxSize || count > index_size) {
    fail(path, "corrupt migration bundle: index size " + std::to_string(index_size) + " for " +
                 std::to_string(count) + " revisions");
  }
  for (const auto& chunk : chunks) {
    if (chunk.size > kMaxSize || chunk.revisions == 0) {
      fail(path, "corrupt migration bundle: a chunk of " + std::to_string(chunk.size) + " bytes holding " +
                   std::to_string(chunk.revisions) + " revisions");
    }
  }
  return chunks;
}

// check_index, then the whole index inflated.
std::string inflate_index(std::string_view file, const std::string& path, std::vector<ChunkEntry>& chunks)
{
  std::string_view compressed_index;
  chunks = check_index(file, path, compressed_index);
  std::string index(get_u32(file, 32), '\0');
  std::string why;
  if (!inflate_exactly(compressed_index, index, why)) {
    fail(path, "corrupt migration bundle: cannot decompress its index (" + why + ")");
  }
  return index;
}

} // namespace

std::vector<Revision> decode_bundle(std::string bytes, const std::string& path)
{
  auto* source = new BundleChunks(std::move(bytes), path);  // never freed: see BundleChunks
  const std::string_view file = source->bytes();
  std::vector<ChunkEntry> chunks;
  const std::string index = inflate_index(file, path, chunks);
  const uint32_t count = get_u32(file, 24);
  source->set_chunks(chunks);
  return read_index(index, path, count, source, chunks);
}

std::optional<std::vector<BundleHead>> read_bundle_heads(const std::string& path)
{
  // Mapped, not read: `heads` looks at a few KiB and checks the CRC of the
  // rest, so copying the file would be most of its work.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return std::nullopt;  // the loader says why
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_size == 0) {
    ::close(fd);
    return std::nullopt;
  }
  const auto size = static_cast<size_t>(info.st_size);
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  std::string copy;
  std::string_view file;
  if (mapped == MAP_FAILED) {
    copy = util::read_file(path);
    file = copy;
  } else {
    file = std::string_view(static_cast<const char*>(mapped), size);
  }
  const std::unique_ptr<void, std::function<void(void*)>> unmap(
    mapped == MAP_FAILED ? nullptr : mapped, [size](void* at) { ::munmap(at, size); });
  if (!looks_like_bundle(file)) {
    return std::nullopt;
  }
  std::string_view compressed_index;
  check_index(file, path, compressed_index);
  // The graph part's size, then the part: inflated from the index's start.
  const uint32_t index_size = get_u32(file, 32);
  std::string prefix(std::min<size_t>(index_size, 10), '\0');
  std::string why;
  if (!inflate_into(compressed_index, prefix, Inflate::prefix, why)) {
    fail(path, "corrupt migration bundle: cannot decompress its index (" + why + ")");
  }
  IndexReader size_reader(prefix, path);
  const uint64_t graph_size = size_reader.varint();
  if (graph_size > index_size - size_reader.position()) {
    size_reader.corrupt("the graph part runs past the end of the index");
  }
  prefix.assign(size_reader.position() + graph_size, '\0');
  if (!inflate_into(compressed_index, prefix, Inflate::prefix, why)) {
    fail(path, "corrupt migration bundle: cannot decompress its index (" + why + ")");
  }
  IndexReader in(prefix, path);
  std::vector<BundleHead> heads;
  if (!read_graph_part(in, &heads)) {
    return std::nullopt;
  }
  return heads;
}

std::vector<Revision> load_bundle(const std::string& path)
{
  return decode_bundle(util::read_file(path), path);
}

BundleWritten write_bundle(const std::string& migrations, const std::string& output)
{
  const std::vector<Revision> revisions = load_directory(migrations);
  const std::string bytes = encode_bundle(revisions);
  const std::string temporary = output + ".tmp-" + std::to_string(getpid());
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  if (file == nullptr) {
    throw_usage(output + ": cannot write: " + std::strerror(errno));
  }
  const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
  const int write_errno = errno;
  if (std::fclose(file) != 0 || !written) {
    std::remove(temporary.c_str());
    throw_usage(output + ": cannot write: " + std::strerror(written ? errno : write_errno));
  }
  if (std::rename(temporary.c_str(), output.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    throw_usage(output + ": cannot write: " + std::strerror(error));
  }
  BundleWritten result;
  result.revisions = revisions.size();
  result.bytes = bytes.size();
  result.uncompressed = uncompressed_size(bytes);
  return result;
}

} // namespace lockstep::script
