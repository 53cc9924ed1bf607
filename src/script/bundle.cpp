#include "script/bundle.hpp"

#include "script/directory.hpp"
#include "util/error.hpp"
#include "util/read_file.hpp"

#include <zlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace lockstep::script {

namespace {

constexpr uint32_t kDeflate = 1;
constexpr size_t kHeaderSize = 16 + 4 + 4 + 8 + 8 + 4;
constexpr int kRawDeflate = -15;  // windowBits: a raw stream, no zlib wrapper (our CRC-32 covers it)
// Far above any real folder; it bounds what a corrupt header can make us allocate.
constexpr uint64_t kMaxPayload = uint64_t{1} << 31;

void put_u32(std::string& out, uint32_t v)
{
  for (int i = 0; i < 4; ++i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
}

void put_u64(std::string& out, uint64_t v)
{
  for (int i = 0; i < 8; ++i) {
    out += static_cast<char>((v >> (8 * i)) & 0xFF);
  }
}

uint64_t get_le(std::string_view bytes, size_t offset, int width)
{
  uint64_t v = 0;
  for (int i = width - 1; i >= 0; --i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[offset + static_cast<size_t>(i)]);
  }
  return v;
}

void put_string(std::string& out, std::string_view s)
{
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void put_list(std::string& out, const std::vector<std::string>& items)
{
  put_u32(out, static_cast<uint32_t>(items.size()));
  for (const auto& item : items) {
    put_string(out, item);
  }
}

std::string file_name_of(const std::string& path)
{
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Reads the payload; any length that runs past its end is corruption.
class PayloadReader {
public:
  PayloadReader(std::string_view bytes, const std::string& path) : m_bytes(bytes), m_path(path) {}

  uint32_t u32()
  {
    need(4);
    auto v = static_cast<uint32_t>(get_le(m_bytes, m_at, 4));
    m_at += 4;
    return v;
  }

  std::string_view view()
  {
    const uint32_t size = u32();
    need(size);
    std::string_view s = m_bytes.substr(m_at, size);
    m_at += size;
    return s;
  }

  void string(std::string& into) { into.assign(view()); }

  void list(std::vector<std::string>& into)
  {
    const uint32_t count = u32();
    need(count);  // every item takes at least its 4-byte length
    into.resize(count);
    for (auto& item : into) {
      string(item);
    }
  }

  bool at_end() const { return m_at == m_bytes.size(); }

  [[noreturn]] void corrupt(const std::string& what) const
  {
    throw_usage(m_path + ": corrupt migration bundle: " + what + " (at payload byte " + std::to_string(m_at) +
                "); write it again with 'lockstep bundle'");
  }

private:
  void need(size_t size) const
  {
    if (size > m_bytes.size() - m_at) {
      corrupt("a length runs past the end of the payload");
    }
  }

  std::string_view m_bytes;
  const std::string& m_path;
  size_t m_at = 0;
};

uint32_t crc32_of(std::string_view bytes)
{
  return static_cast<uint32_t>(
    crc32_z(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
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

// Inflates exactly `size` bytes from `compressed`, which must end there; an
// empty string when it does not.
bool inflate_exactly(std::string_view compressed, std::string& payload, std::string& why)
{
  z_stream z{};
  if (inflateInit2(&z, kRawDeflate) != Z_OK) {
    why = "zlib could not start";
    return false;
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  z.avail_in = static_cast<uInt>(compressed.size());
  z.next_out = reinterpret_cast<Bytef*>(payload.data());
  z.avail_out = static_cast<uInt>(payload.size());
  const int rc = inflate(&z, Z_FINISH);
  const bool whole = rc == Z_STREAM_END && z.total_out == payload.size() && z.avail_in == 0;
  if (!whole) {
    why = rc == Z_STREAM_END || rc == Z_BUF_ERROR ? "its size differs from its header" : (z.msg ? z.msg : zError(rc));
  }
  inflateEnd(&z);
  return whole;
}

} // namespace

bool looks_like_bundle(std::string_view bytes)
{
  return bytes.substr(0, kBundleMagic.size()) == kBundleMagic;
}

std::string encode_bundle(const std::vector<Revision>& revisions)
{
  std::string payload;
  put_u32(payload, static_cast<uint32_t>(revisions.size()));
  for (const auto& rev : revisions) {
    put_string(payload, file_name_of(rev.path));
    put_string(payload, rev.id);
    put_list(payload, rev.parents);
    put_list(payload, rev.depends_on);
    put_list(payload, rev.branch_labels);
    put_list(payload, rev.lint_ignore);
    put_string(payload, rev.message);
    put_string(payload, rev.create_date);
    put_u32(payload, rev.transactional ? 1 : 0);
    put_string(payload, rev.upgrade_sql);
    put_u32(payload, static_cast<uint32_t>(rev.upgrade_line));
    put_string(payload, rev.downgrade_sql);
    put_u32(payload, static_cast<uint32_t>(rev.downgrade_line));
    put_string(payload, checksum_of(rev));
  }
  const std::string compressed = compress(payload);
  std::string out;
  out.reserve(kHeaderSize + compressed.size());
  out.append(kBundleMagic);
  put_u32(out, kBundleVersion);
  put_u32(out, kDeflate);
  put_u64(out, payload.size());
  put_u64(out, compressed.size());
  put_u32(out, crc32_of(compressed));
  out += compressed;
  return out;
}

namespace {

// The checked, inflated payload of the bundle `bytes`.
std::string inflate_payload(std::string_view bytes, const std::string& path)
{
  if (!looks_like_bundle(bytes)) {
    throw_usage(path + ": not a migration bundle (it does not start with 'LOCKSTEP-BUNDLE'); "
                "'migrations' names a folder of .sql files or a file written by 'lockstep bundle'");
  }
  if (bytes.size() < kHeaderSize) {
    throw_usage(path + ": truncated migration bundle: " + std::to_string(bytes.size()) +
                " bytes, shorter than its header (" + std::to_string(kHeaderSize) + ")");
  }
  const auto version = static_cast<uint32_t>(get_le(bytes, 16, 4));
  if (version != kBundleVersion) {
    throw_usage(path + ": migration bundle format " + std::to_string(version) +
                (version > kBundleVersion ? " is newer than" : " is not") + " the format this lockstep reads (" +
                std::to_string(kBundleVersion) + "): bundle the folder with this lockstep's 'lockstep bundle'");
  }
  const auto compression = static_cast<uint32_t>(get_le(bytes, 20, 4));
  const uint64_t payload_size = get_le(bytes, 24, 8);
  const uint64_t compressed_size = get_le(bytes, 32, 8);
  if (compression != kDeflate) {
    throw_usage(path + ": corrupt migration bundle: unknown compression " + std::to_string(compression));
  }
  if (compressed_size != bytes.size() - kHeaderSize) {
    throw_usage(path + (compressed_size > bytes.size() - kHeaderSize ? ": truncated" : ": corrupt") +
                " migration bundle: " + std::to_string(bytes.size()) + " bytes, its header says " +
                std::to_string(kHeaderSize + compressed_size));
  }
  if (payload_size > kMaxPayload) {
    throw_usage(path + ": corrupt migration bundle: payload size " + std::to_string(payload_size));
  }
  const std::string_view compressed = bytes.substr(kHeaderSize);
  if (crc32_of(compressed) != static_cast<uint32_t>(get_le(bytes, 40, 4))) {
    throw_usage(path + ": corrupt migration bundle: its checksum does not match its content; "
                "write it again with 'lockstep bundle'");
  }
  std::string payload(payload_size, '\0');
  std::string why;
  if (!inflate_exactly(compressed, payload, why)) {
    throw_usage(path + ": corrupt migration bundle: cannot decompress it (" + why + ")");
  }

  return payload;
}

std::vector<Revision> parse_payload(std::string_view payload, const std::string& path)
{
  PayloadReader in(payload, path);
  const uint32_t count = in.u32();
  if (count > payload.size()) {
    in.corrupt("revision count " + std::to_string(count));
  }
  std::vector<Revision> revisions(count);
  const std::string prefix = path + "/";
  for (auto& rev : revisions) {
    const std::string_view name = in.view();
    rev.path.reserve(prefix.size() + name.size());
    rev.path.append(prefix).append(name);
    in.string(rev.id);
    if (!valid_revision_id(rev.id)) {
      in.corrupt("'" + rev.id + "' is not a revision id");
    }
    in.list(rev.parents);
    in.list(rev.depends_on);
    in.list(rev.branch_labels);
    in.list(rev.lint_ignore);
    in.string(rev.message);
    in.string(rev.create_date);
    rev.transactional = in.u32() != 0;
    in.string(rev.upgrade_sql);
    rev.upgrade_line = static_cast<int>(in.u32());
    in.string(rev.downgrade_sql);
    rev.downgrade_line = static_cast<int>(in.u32());
    in.string(rev.checksum);
  }
  if (!in.at_end()) {
    in.corrupt("bytes after the last revision");
  }
  return revisions;
}

} // namespace

std::vector<Revision> decode_bundle(std::string_view bytes, const std::string& path)
{
  return parse_payload(inflate_payload(bytes, path), path);
}

std::vector<Revision> load_bundle(const std::string& path)
{
  // The file's bytes go before the revisions are built: every pod start
  // does this, and peak memory counts.
  std::string payload = inflate_payload(util::read_file(path), path);
  return parse_payload(payload, path);
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
  result.uncompressed = static_cast<size_t>(get_le(bytes, 24, 8));
  return result;
}

} // namespace lockstep::script
