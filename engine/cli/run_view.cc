#include "engine/cli/run_view.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <thread>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <set>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "dsl/utf8.h"

namespace ferry::cli {
namespace {

using engine::json;

// Redacts every message before its child sinks see it: nothing that goes through the logger
// can print a registered secret, whoever logged it.
class RedactingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  RedactingSink(const engine::Redactor& redactor, std::vector<spdlog::sink_ptr> children)
      : redactor_(redactor), children_(std::move(children)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::string text = redactor_.redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy = msg;
    copy.payload = text;
    for (auto& child : children_) {
      if (child->should_log(copy.level)) child->log(copy);
    }
  }
  void flush_() override {
    for (auto& child : children_) child->flush();
  }

 private:
  const engine::Redactor& redactor_;
  std::vector<spdlog::sink_ptr> children_;
};

std::string seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  return buf;
}

}  // namespace

// The version of the event stream's format (docs/cli.md); its first line carries it.
constexpr int kStreamVersion = 1;

struct RunView::Impl {
  std::shared_ptr<spdlog::logger> logger;
  bool verbose = false;
  bool live = false;
  bool stream = false;  // --output json: JSON lines on stdout
  std::string run_dir;
  const engine::Redactor* redactor = nullptr;
  std::map<std::string, std::chrono::steady_clock::time_point> streamed_progress;  // step -> last sent
  std::mutex mu;
  std::string phase;
  std::map<std::string, int> running;  // step -> attempt
  std::map<std::string, std::string> progress;  // step -> where it is (ctx.progress)
  std::map<std::string, int64_t> started_ms;
  size_t finished = 0;
  size_t total = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  // Redraws the status line every second, so the elapsed time moves while steps run.
  std::thread ticker;
  std::condition_variable stop_ticking;
  bool stopping = false;

  void tick() {
    std::unique_lock lock(mu);
    while (!stop_ticking.wait_for(lock, std::chrono::seconds(1), [&] { return stopping; })) {
      clear_status();
      draw_status();
    }
  }

  void clear_status() {
    if (live) std::fputs("\r\033[K", stderr);
  }

  void draw_status() {
    if (!live || running.empty()) return;
    auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start).count();
    std::string line = "[" + phase + "] " + std::to_string(finished) + "/" + std::to_string(total) + " done, running:";
    for (const auto& [id, attempt] : running) {
      line += " " + id + (attempt > 1 ? " (attempt " + std::to_string(attempt) + ")" : "");
      if (auto p = progress.find(id); p != progress.end()) line += " [" + p->second + "]";
    }
    line += "  " + std::to_string(elapsed) + "s";
    // One terminal row at most: a wrapped line would leave a stale copy at every redraw.
    winsize ws{};
    const size_t width = ::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 ? ws.ws_col - 1 : 79;
    std::fputs(line.substr(0, width).c_str(), stderr);
    std::fflush(stderr);
  }

  void log(spdlog::level::level_enum level, const std::string& line) {
    clear_status();
    logger->log(level, line);
    draw_status();
  }

  // One line of the stream: `fields` are redacted already (the executor's events are). Lines of
  // the view's own get the time.
  void emit(json fields) {
    if (!stream) return;
    if (!fields.contains("t")) {
      fields["t"] = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::system_clock::now().time_since_epoch()).count();
    }
    fields["run_dir"] = run_dir;
    std::cout << fields.dump(-1, ' ', false, json::error_handler_t::replace) << "\n" << std::flush;
  }

  // Progress may come many times a second (an upload's parts): the stream gets at most one a
  // second per step, and always the first.
  bool progress_due(const std::string& step) {
    auto now = std::chrono::steady_clock::now();
    auto [it, first] = streamed_progress.try_emplace(step, now);
    if (!first && now - it->second < std::chrono::seconds(1)) return false;
    it->second = now;
    return true;
  }

  void on_event(engine::Event event, const json& e) {
    using engine::Event;
    std::lock_guard lock(mu);
    std::string step = e.value("step", "");
    int64_t t = e.value("t", int64_t{0});
    auto took = [&] { return started_ms.count(step) ? " in " + seconds(t - started_ms[step]) : std::string(); };
    if (event == Event::kStepProgress ? progress_due(step) : event != Event::kLog || verbose) {
      json line = e;
      line["event"] = engine::event_name(event);  // the log and progress fields do not carry it
      emit(std::move(line));
    }
    switch (event) {
      case Event::kRunStarted:
        log(spdlog::level::info, "run started (" + e.value("mode", "") + ", parallelism " +
                                     std::to_string(e.value("parallelism", 0)) + ")");
        break;
      case Event::kPhaseStarted:
        phase = e.value("phase", "");
        log(spdlog::level::info, "phase " + phase);
        break;
      case Event::kStepProgress:
        if (running.count(step)) progress[step] = e.value("status", "");
        clear_status();
        draw_status();
        break;
      case Event::kStepStarted:
        running[step] = e.value("attempt", 1);
        progress.erase(step);
        if (!started_ms.count(step)) started_ms[step] = t;
        log(spdlog::level::info,
            step + ": started" + (e.value("attempt", 1) > 1 ? " (attempt " + std::to_string(e.value("attempt", 1)) + ")" : ""));
        break;
      case Event::kAttemptFailed:
        log(spdlog::level::warn, step + ": attempt " + std::to_string(e.value("attempt", 0)) + " failed (" +
                                     e.value("class", "") + ": " + e.value("message", "") + "); retrying in " +
                                     seconds(e.value("retry_in_ms", int64_t{0})));
        break;
      case Event::kStepSucceeded:
      case Event::kStepAssumedDone:
        running.erase(step);
        progress.erase(step);
        ++finished;
        log(spdlog::level::info,
            step + (event == Event::kStepSucceeded ? ": succeeded" + took() : ": assumed done (--assume-done)"));
        break;
      case Event::kStepFailed:
      case Event::kStepCancelled:
        running.erase(step);
        progress.erase(step);
        log(spdlog::level::err, step + (event == Event::kStepFailed ? ": failed" : ": cancelled") + took() + ": " +
                                    e.value("class", "") + ": " + e.value("message", ""));
        break;
      case Event::kStepSkipped:
        ++finished;
        log(spdlog::level::info, step + ": skipped (" + e.value("reason", "") + ")");
        break;
      case Event::kRollbackStarted:
        log(spdlog::level::warn, "rolling back: " + e.value("reason", ""));
        break;
      case Event::kCompensationStarted:
        log(spdlog::level::info, step + ": rolling back");
        for (const json& o : e.value("left", json::array())) {
          const std::string ns = o.value("namespace", "");
          log(spdlog::level::info, step + ": leaves " + o.value("kind", "") + " " + (ns.empty() ? "" : ns + "/") +
                                       o.value("name", "") + " in place: step " + o.value("used_by", "") +
                                       " still uses it");
        }
        break;
      case Event::kCompensationSucceeded:
        log(spdlog::level::info, step + ": rolled back");
        break;
      case Event::kCompensationFailed:
        log(spdlog::level::err, step + ": rollback failed: " + e.value("class", "") + ": " + e.value("message", ""));
        break;
      case Event::kCompensationSkipped:
        log(spdlog::level::info, step + ": not rolled back (" + e.value("reason", "") + ")");
        break;
      case Event::kScopeFailed:
        log(spdlog::level::err, "scope " + e.value("scope", "") + " failed" +
                                    (step.empty() ? " (" + e.value("reason", "") + ")" : " at " + step) +
                                    "; rolling it back, the rest of the run goes on");
        break;
      case Event::kScopeCompensated:
        log(e.value("result", "") == "rolled_back" ? spdlog::level::info : spdlog::level::err,
            "scope " + e.value("scope", "") + ": " + (e.value("result", "") == "rolled_back" ? "rolled back" : "rollback failed"));
        break;
      case Event::kScopeRetried:
        log(spdlog::level::info, "scope " + e.value("scope", "") + ": running it again (--retry-scope)");
        break;
      case Event::kRunEnded:
        log(spdlog::level::info, "run ended: " + e.value("result", ""));
        break;
      case Event::kUndo:
        if (verbose) log(spdlog::level::debug, step + ": saved what its rollback needs");
        break;
      case Event::kLog:
        if (verbose) log(spdlog::level::debug, step + ": " + e.value("message", ""));
        break;
    }
  }
};

RunView::RunView(const Args& args, const dsl::Ir& ir, const std::string& run_dir, const engine::Redactor& redactor)
    : impl_(std::make_unique<Impl>()) {
  impl_->verbose = args.has("-v");
  impl_->stream = args.get("--output") == "json";
  impl_->run_dir = dsl::to_valid_utf8(run_dir);
  impl_->total = ir.steps.size();
  impl_->live = isatty(STDERR_FILENO) && std::getenv("TERM") && std::string(std::getenv("TERM")) != "dumb";
  auto terminal = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  terminal->set_pattern("%H:%M:%S %v");
  std::vector<spdlog::sink_ptr> children = {terminal};
  for (const std::string& path : {run_dir.empty() ? std::string() : run_dir + "/ferry.log", args.get("--log-file")}) {
    if (path.empty()) continue;
    // The log may quote arguments: readable by the user alone, like the rest of the run.
    if (int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600); fd >= 0) ::close(fd);
    auto file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(path);
    file->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
    children.push_back(file);
  }
  auto sink = std::make_shared<RedactingSink>(redactor, children);
  impl_->logger = std::make_shared<spdlog::logger>("ferry", sink);
  impl_->logger->set_level(impl_->verbose ? spdlog::level::debug : spdlog::level::info);
  // The journal is the durable record; the log is flushed on warnings, errors and at the end.
  impl_->logger->flush_on(spdlog::level::warn);
  if (impl_->live) impl_->ticker = std::thread([impl = impl_.get()] { impl->tick(); });
  impl_->redactor = &redactor;
  impl_->emit({{"event", "stream_started"}, {"ferry_stream", kStreamVersion}, {"plan", ir.plan}});
}

RunView::~RunView() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stopping = true;
  }
  impl_->stop_ticking.notify_all();
  if (impl_->ticker.joinable()) impl_->ticker.join();
  std::lock_guard lock(impl_->mu);
  impl_->clear_status();
  impl_->logger->flush();
}

engine::EventSink RunView::sink() {
  return [this](engine::Event event, const json& e) { impl_->on_event(event, e); };
}

void RunView::say(const std::string& line) {
  std::lock_guard lock(impl_->mu);
  impl_->log(spdlog::level::info, line);
  impl_->emit({{"event", "message"}, {"message", impl_->redactor->redact(line)}});
}

void RunView::ended(int exit_status) {
  std::lock_guard lock(impl_->mu);
  impl_->emit({{"event", "command_ended"}, {"exit_status", exit_status}});
}

}  // namespace ferry::cli
