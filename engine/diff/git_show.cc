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

bool run_git(const std::vector<std::string>& args, std::string* out, std::string* error) {
  Pipe out_pipe, err_pipe;
  if (pipe2(out_pipe.fd, O_CLOEXEC) != 0 || pipe2(err_pipe.fd, O_CLOEXEC) != 0) {
    *error = std::strerror(errno);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.fd[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.fd[1], STDERR_FILENO);
  std::vector<std::string> storage = {"git"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : storage) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, "git", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    *error = std::string("cannot run git: ") + std::strerror(spawned);
    return false;
  }
  out_pipe.close_end(1);
  err_pipe.close_end(1);
  std::string stdout_text, stderr_text;
  drain(out_pipe.fd[0], err_pipe.fd[0], &stdout_text, &stderr_text);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    *error = stderr_text.empty() ? "git " + args[0] + " failed" : trim(stderr_text);
    return false;
  }
  *out = std::move(stdout_text);
  return true;
}

bool git_show(const std::string& spec, std::string* contents, std::string* error) {
  // `REV:path` is one revision argument; `--no-textconv` gives the blob as committed.
  if (run_git({"show", "--no-textconv", spec}, contents, error)) return true;
  *error = "cannot read '" + spec + "' from git: " + *error;
  return false;
}

}  // namespace ferry::diff
