#include "engine/diff/git_show.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

extern char** environ;

namespace ferry::diff {
namespace {

// Closes a pipe's ends when it goes out of scope.
struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd) {
      if (f >= 0) close(f);
    }
  }
  void close_end(int i) {
    close(fd[i]);
    fd[i] = -1;
  }
};

// Reads both pipes to their end at once, so a child writing much to one cannot block on the other.
void drain(int out_fd, int err_fd, std::string* out, std::string* err) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {out, err};
  int open_fds = 2;
  char buffer[65536];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

bool is_git_spec(const std::string& arg) {
  std::error_code ec;
  if (std::filesystem::exists(arg, ec)) return false;
  size_t colon = arg.find(':');
  return colon != std::string::npos && colon > 0 && colon + 1 < arg.size();
}

bool git_show(const std::string& spec, std::string* contents, std::string* error) {
  Pipe out, err;
  if (pipe2(out.fd, O_CLOEXEC) != 0 || pipe2(err.fd, O_CLOEXEC) != 0) {
    *error = "cannot read '" + spec + "' from git: " + std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], STDERR_FILENO);
  // `--` would make git read `spec` as a path; `REV:path` is one revision argument.
  std::string arg = spec;
  char* argv[] = {const_cast<char*>("git"), const_cast<char*>("show"), const_cast<char*>("--no-textconv"), arg.data(),
                  nullptr};
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "git", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    *error = "cannot read '" + spec + "' from git: cannot run git: " + std::strerror(spawned);
    return false;
  }
  out.close_end(1);
  err.close_end(1);
  std::string stdout_text, stderr_text;
  drain(out.fd[0], err.fd[0], &stdout_text, &stderr_text);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = "cannot read '" + spec + "' from git: " + (stderr_text.empty() ? "git show failed" : trim(stderr_text));
    return false;
  }
  *contents = std::move(stdout_text);
  return true;
}

}  // namespace ferry::diff
