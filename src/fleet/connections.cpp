#include "fleet/connections.hpp"

#include "db/server_probe.hpp"
#include "util/error.hpp"
#include "util/interrupt.hpp"
#include "util/log.hpp"

#include <algorithm>
#include <set>

namespace lockstep::fleet {

namespace {

struct Address {
  std::string server;  // host:port as the URL gives it
  std::string user;    // "" when the URL names none (libpq's default)
  std::string database;
};

// "postgresql://user@host:port/db" -> {host:port, user, db}.
Address address_of(const Target& target)
{
  const std::string& display = target.connection.display;
  std::string rest = display.substr(display.find("://") + 3);
  Address a;
  if (size_t at = rest.find('@'); at != std::string::npos) {
    a.user = rest.substr(0, at);
    rest = rest.substr(at + 1);
  }
  size_t slash = rest.rfind('/');
  a.server = rest.substr(0, slash);
  a.database = slash == std::string::npos ? "" : rest.substr(slash + 1);
  return a;
}

std::string server_pool(const Address& a) { return a.server; }
std::string role_pool(const Address& a, const std::string& user) { return a.server + " role " + user; }
std::string database_pool(const Address& a) { return a.server + " database " + a.database; }

int slots_of(long long free_connections, int per_target)
{
  return static_cast<int>(std::max<long long>(1, free_connections / per_target));
}

// Reads the free connections of one server (and of the roles and databases
// its targets use) into `capacity`, logging every pool that caps `parallel`.
void probe_server(const Target& first, const std::set<std::string>& users, const std::set<std::string>& databases,
                  const config::Config& config, std::map<std::string, int>& capacity,
                  std::map<std::string, std::string>& default_user)
{
  const Address address = address_of(first);
  const int per_target = config.lock_mode == config::LockMode::lease ? 2 : 1;
  db::ServerProbe probe(first.connection, std::min(config.connect_timeout, std::chrono::milliseconds(10'000)));
  const db::ConnectionHeadroom headroom = probe.connections(users, databases);
  const std::string& current_user = headroom.current_user;
  default_user[address.server] = current_user;
  const long long free_connections = headroom.free();
  capacity[server_pool(address)] = slots_of(free_connections, per_target);
  if (capacity[server_pool(address)] < config.parallel) {
    log::event(log::Level::info,
               "fleet: " + address.server + " has " + std::to_string(std::max(0LL, free_connections)) +
                 " free connection(s) (max_connections " + std::to_string(headroom.max_connections) + " - reserved " +
                 std::to_string(headroom.reserved) + " - " + std::to_string(headroom.in_use) +
                 " in use): at most " + std::to_string(capacity[server_pool(address)]) + " target(s) at once there",
               {log::str("server", address.server), log::num("free_connections", free_connections)});
  }
  for (const db::ConnectionLimit& role : headroom.roles) {
    const int slots = slots_of(role.limit - role.open, per_target);
    capacity[role_pool(address, role.name)] = slots;
    log::event(log::Level::info,
               "fleet: role " + role.name + " on " + address.server + " has CONNECTION LIMIT " +
                 std::to_string(role.limit) + " with " + std::to_string(role.open) + " open: at most " +
                 std::to_string(slots) + " of its targets at once",
               {log::str("server", address.server), log::num("free_connections", role.limit - role.open)});
  }
  for (const db::ConnectionLimit& database : headroom.databases) {
    Address a = address;
    a.database = database.name;
    const int slots = slots_of(database.limit - database.open, per_target);
    capacity[database_pool(a)] = slots;
    log::event(log::Level::info,
               "fleet: database " + database.name + " on " + address.server + " has CONNECTION LIMIT " +
                 std::to_string(database.limit) + " with " + std::to_string(database.open) + " open: at most " +
                 std::to_string(slots) + " of its targets at once",
               {log::str("server", address.server), log::num("free_connections", database.limit - database.open)});
  }
}

} // namespace

std::vector<std::string> pools_of(const Target& target)
{
  const Address a = address_of(target);
  return {server_pool(a), role_pool(a, a.user), database_pool(a)};
}

Slots::Slots(const std::vector<Target>& targets, std::map<std::string, int> capacity, int parallel)
  : m_free(std::move(capacity))
{
  for (const auto& target : targets) {
    m_pools.push_back(pools_of(target));
  }
  compute_effective(parallel);
}

Slots::Slots(const std::vector<Target>& targets, const config::Config& config)
{
  // The targets of each server, with the roles and databases they use.
  std::map<std::string, size_t> first_of_server;
  std::map<std::string, std::set<std::string>> users, databases;
  for (size_t i = 0; i < targets.size(); ++i) {
    const Address a = address_of(targets[i]);
    first_of_server.emplace(a.server, i);
    users[a.server].insert(a.user);
    databases[a.server].insert(a.database);
  }
  std::map<std::string, std::string> default_user;
  for (const auto& [server, first] : first_of_server) {
    try {
      probe_server(targets[first], users[server], databases[server], config, m_free, default_user);
    } catch (const std::exception& e) {
      log::event(log::Level::warn, "fleet: cannot read the free connections of " + server +
                                     " (its targets are not capped by them): " + e.what(),
                 {log::str("server", server)});
    }
  }
  for (const auto& target : targets) {
    std::vector<std::string> pools = pools_of(target);
    const Address a = address_of(target);
    if (a.user.empty() && default_user.count(a.server)) {
      pools[1] = role_pool(a, default_user[a.server]);  // libpq's default user, as the probe connected
    }
    m_pools.push_back(std::move(pools));
  }
  compute_effective(config.parallel);
  if (m_effective < config.parallel) {
    log::event(log::Level::info,
               "fleet: parallel " + std::to_string(config.parallel) + " lowered to " + std::to_string(m_effective) +
                 " by the servers' free connections",
               {log::num("parallel", config.parallel), log::num("effective_parallel", m_effective)});
  }
}

void Slots::compute_effective(int parallel)
{
  // How many targets each pool could run at once: its targets, or fewer
  // when it has a limit. Per server, the fewest of its own room, the sum
  // over its roles and the sum over its databases.
  std::map<std::string, long long> targets_in;
  for (const auto& pools : m_pools) {
    for (const auto& pool : pools) {
      ++targets_in[pool];
    }
  }
  auto room = [&](const std::string& pool) {
    auto it = m_free.find(pool);
    return it == m_free.end() ? targets_in[pool] : std::min<long long>(targets_in[pool], it->second);
  };
  std::map<std::string, std::set<std::string>> roles_of, databases_of;
  for (const auto& pools : m_pools) {
    roles_of[pools[0]].insert(pools[1]);
    databases_of[pools[0]].insert(pools[2]);
  }
  long long total = 0;
  for (const auto& [server, roles] : roles_of) {
    long long by_roles = 0, by_databases = 0;
    for (const auto& pool : roles) {
      by_roles += room(pool);
    }
    for (const auto& pool : databases_of[server]) {
      by_databases += room(pool);
    }
    total += std::min({room(server), by_roles, by_databases});
  }
  m_effective = static_cast<int>(std::max<long long>(1, std::min<long long>(parallel, total)));
}

bool Slots::acquire(size_t index)
{
  // A signal wakes the wait (the scope lives outside the lock: the
  // watcher thread takes m_mutex from inside interrupt's own lock).
  interrupt::CancelScope wake([this] {
    std::lock_guard<std::mutex> guard(m_mutex);
    m_changed.notify_all();
  });
  std::unique_lock<std::mutex> lock(m_mutex);
  const auto& pools = m_pools[index];
  auto room = [&] {
    return std::all_of(pools.begin(), pools.end(), [&](const std::string& pool) {
      auto it = m_free.find(pool);
      return it == m_free.end() || it->second > 0;
    });
  };
  m_changed.wait(lock, [&] { return interrupt::received() != 0 || room(); });
  if (interrupt::received() != 0) {
    return false;
  }
  for (const auto& pool : pools) {
    if (auto it = m_free.find(pool); it != m_free.end()) {
      --it->second;
    }
  }
  return true;
}

void Slots::release(size_t index)
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    for (const auto& pool : m_pools[index]) {
      if (auto it = m_free.find(pool); it != m_free.end()) {
        ++it->second;
      }
    }
  }
  m_changed.notify_all();
}

} // namespace lockstep::fleet
