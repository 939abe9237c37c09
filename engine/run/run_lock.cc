#include "engine/run/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "engine/base/durable_file.h"
#include "engine/base/identity.h"

namespace ferry::engine {

std::unique_ptr<RunLock> RunLock::acquire(const std::string& dir, std::string* error) {
  const std::string path = dir + "/lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot open the run's lock " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    std::string holder(256, '\0');
    ssize_t n = pread(fd, holder.data(), holder.size(), 0);
    holder.resize(n > 0 ? n : 0);
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == '\0')) holder.pop_back();
    close(fd);
    if (err != EWOULDBLOCK) {
      *error = "cannot lock " + path + ": " + std::strerror(err);
    } else {
      *error = "the run in " + dir + " is in use by another ferry (" + (holder.empty() ? "starting" : holder) +
               "); wait for it to end, or stop it, then try again";
    }
    return nullptr;
  }
  std::string who = "pid " + std::to_string(getpid()) + " on " + host_name() + "\n";
  std::string ignored;  // who holds it is a courtesy to the next one: the lock works without it
  if (ftruncate(fd, 0) == 0) write_all(fd, who, &ignored);
  return std::unique_ptr<RunLock>(new RunLock(fd));
}

RunLock::~RunLock() { close(fd_); }

}  // namespace ferry::engine
