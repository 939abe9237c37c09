#include "engine/base/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

extern char** environ;

namespace ferry::engine {
namespace {

constexpr auto kKillGrace = std::chrono::seconds(5);

std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (!extra.count(name)) env.push_back(entry);
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

// Everything the child needs, prepared before fork: after fork only async-signal-safe calls.
struct ChildPlan {
  std::vector<char*> argv;
  std::vector<char*> envp;
  const char* cwd;
  int in, out, err;  // the child's ends
  int exec_errno_pipe;
};

[[noreturn]] void exec_child(const ChildPlan& p) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  dup2(p.in, 0);
  dup2(p.out, 1);
  dup2(p.err, 2);
  if (p.cwd && chdir(p.cwd) != 0) {
    int e = errno;
    (void)!write(p.exec_errno_pipe, &e, sizeof e);
    _exit(127);
  }
  execvpe(p.argv[0], p.argv.data(), p.envp.data());
  int e = errno;
  (void)!write(p.exec_errno_pipe, &e, sizeof e);
  _exit(127);
}

// Forks and execs `plan`, and waits for the exec: its errno if it failed, else 0. *pid: the child.
int fork_exec(const ChildPlan& plan, int status_pipe_read, pid_t* pid) {
  *pid = fork();
  if (*pid == 0) exec_child(plan);
  const int fork_errno = errno;
  close(plan.exec_errno_pipe);
  if (*pid < 0) {
    close(status_pipe_read);
    return fork_errno;
  }
  setpgid(*pid, *pid);  // also in the parent, so a kill right away reaches the group
  int exec_errno = 0;
  ssize_t got = read(status_pipe_read, &exec_errno, sizeof exec_errno);
  close(status_pipe_read);
  return got == sizeof exec_errno ? exec_errno : 0;
}

}  // namespace

Status start_process(const ProcessSpec& spec, const std::string& log_path, int* pid) {
  if (spec.argv.empty()) return Status::Invalid("empty command");
  int null_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  int status_pipe[2] = {-1, -1};
  if (null_in < 0 || log < 0 || pipe2(status_pipe, O_CLOEXEC) != 0) {
    const std::string why = std::strerror(errno);
    for (int fd : {null_in, log, status_pipe[0], status_pipe[1]}) {
      if (fd >= 0) close(fd);
    }
    return Status::Failed("cannot start '" + spec.argv[0] + "': " + why);
  }
  std::vector<std::string> argv_store = spec.argv;
  std::vector<std::string> env_store = child_environment(spec.env);
  ChildPlan plan{{}, {}, spec.cwd.empty() ? nullptr : spec.cwd.c_str(), null_in, log, log, status_pipe[1]};
  for (auto& a : argv_store) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : env_store) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);
  pid_t child = -1;
  const int exec_errno = fork_exec(plan, status_pipe[0], &child);
  close(null_in);
  close(log);
  if (child < 0) return Status::Failed(std::string("fork: ") + std::strerror(exec_errno));
  if (exec_errno != 0) {
    waitpid(child, nullptr, 0);
    return Status::Invalid("cannot run '" + spec.argv[0] + "': " + std::strerror(exec_errno));
  }
  *pid = child;
  return Status::Ok();
}

ProcessResult run_process(const ProcessSpec& spec, const CancelToken& cancel) {
  ProcessResult result;
  if (spec.argv.empty()) {
    result.status = Status::Invalid("empty command");
    return result;
  }
  // Already cancelled (Ctrl-C, a timeout, or a journal write that failed): start nothing.
  if (cancel.cancelled()) {
    result.status = cancel.status();
    return result;
  }
  int in[2], out[2], err[2], status_pipe[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC) || pipe2(status_pipe, O_CLOEXEC)) {
    result.status = Status::Failed(std::string("pipe: ") + std::strerror(errno));
    return result;
  }
  std::vector<std::string> argv_store = spec.argv;
  std::vector<std::string> env_store = child_environment(spec.env);
  ChildPlan plan{{}, {}, spec.cwd.empty() ? nullptr : spec.cwd.c_str(), in[0], out[1], err[1], status_pipe[1]};
  for (auto& a : argv_store) plan.argv.push_back(a.data());
  plan.argv.push_back(nullptr);
  for (auto& e : env_store) plan.envp.push_back(e.data());
  plan.envp.push_back(nullptr);

  pid_t pid = -1;
  const int exec_errno = fork_exec(plan, status_pipe[0], &pid);
  for (int fd : {in[0], out[1], err[1]}) close(fd);
  if (pid < 0) {
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    result.status = Status::Failed(std::string("fork: ") + std::strerror(exec_errno));
    return result;
  }
  if (exec_errno != 0) {
    waitpid(pid, nullptr, 0);
    for (int fd : {in[1], out[0], err[0]}) close(fd);
    result.status = Status::Invalid("cannot run '" + spec.argv[0] + "'" +
                                    (spec.cwd.empty() ? "" : " in '" + spec.cwd + "'") + ": " + std::strerror(exec_errno));
    return result;
  }

  fcntl(in[1], F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (spec.stdin_text.empty()) {
    close(in[1]);
    in[1] = -1;
  }
  bool too_much = false;
  bool killed = false;
  std::chrono::steady_clock::time_point kill_at{};
  int open_outputs = 2;
  char buf[65536];
  while (open_outputs > 0) {
    pollfd fds[3] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
    poll(fds, in[1] >= 0 ? 3 : 2, 50);
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        (i == 0 ? out[0] : err[0]) = -1;
        --open_outputs;
        continue;
      }
      std::string& sink = i == 0 ? result.out : result.err;
      size_t cap = i == 0 ? spec.max_stdout : spec.max_stderr;
      if (sink.size() + n <= cap) {
        sink.append(buf, n);
      } else if (i == 0) {
        too_much = true;
      }
    }
    if (in[1] >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(in[1], spec.stdin_text.data() + written, spec.stdin_text.size() - written);
      if (n > 0) written += n;
      if (n < 0 || written == spec.stdin_text.size()) {
        close(in[1]);
        in[1] = -1;
      }
    }
    if ((cancel.cancelled() || too_much) && !killed) {
      kill(-pid, SIGTERM);
      killed = true;
      kill_at = std::chrono::steady_clock::now() + kKillGrace;
    }
    if (killed && std::chrono::steady_clock::now() >= kill_at) kill(-pid, SIGKILL);
  }
  if (in[1] >= 0) close(in[1]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  result.exit_code = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  if (too_much) {
    result.status = Status::Invalid("'" + spec.argv[0] + "' wrote more than " + std::to_string(spec.max_stdout) +
                                    " bytes to stdout");
  } else if (killed) {
    result.status = cancel.status();
  }
  return result;
}

}  // namespace ferry::engine
