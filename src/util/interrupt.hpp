// SIGTERM and SIGINT: stop cleanly, then exit 128+N.
//
// The first signal sets a flag, wakes every interruptible sleep, and calls
// the cancel function registered by whoever is blocked in the database (a
// CancelScope around a running statement), so PostgreSQL cancels it and the
// transaction rolls back. Code then unwinds normally: locks are released on
// the way out and the CLI exits 128+N. A second signal exits at once.
#pragma once

#include <chrono>
#include <functional>
#include <list>

namespace lockstep::interrupt {

// Installs the handlers and the watcher thread. Idempotent.
void install();

// The first signal received, or 0.
int received();

// Throws Error with exit code 128+N when a signal has arrived.
void check();

// Sleeps, waking early on a signal. Returns false when interrupted.
bool sleep_for(std::chrono::milliseconds duration);

// While it lives, a signal calls `cancel` (from the watcher thread). Scopes
// on several threads (a fleet's targets) are all cancelled by one signal.
class CancelScope {
public:
  explicit CancelScope(std::function<void()> cancel);
  ~CancelScope();
  CancelScope(const CancelScope&) = delete;
  CancelScope& operator=(const CancelScope&) = delete;

private:
  std::list<std::function<void()>>::iterator m_entry;
};

} // namespace lockstep::interrupt
