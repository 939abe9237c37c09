#include "engine/run/run_dir.h"

#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "dsl/utf8.h"
#include "engine/base/identity.h"
#include "engine/run/saved_plan.h"

namespace ferry::engine {
namespace fs = std::filesystem;

std::string plan_file(const std::string& dir) { return dir + "/plan.json"; }
std::string journal_file(const std::string& dir) { return dir + "/journal.jsonl"; }

std::optional<std::string> create_run_dir(const std::string& requested, const std::string& plan, std::string* error) {
  std::string dir = requested;
  std::error_code ec;
  if (dir.empty()) {
    auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
    dir = std::string(kRunsDir) + "/" + stamp + "-" + plan;
    fs::create_directories(kRunsDir, ec);
    chmod(".ferry", 0700);
    chmod(kRunsDir, 0700);
  }
  if (fs::exists(dir, ec) && !fs::is_empty(dir, ec)) {
    *error = "the run directory " + dir + " already holds a run; resume it with `ferry resume " + dir +
             "`, or choose another --run-dir";
    return std::nullopt;
  }
  fs::create_directories(dir, ec);
  if (ec || chmod(dir.c_str(), 0700) != 0) {
    *error = "cannot create the run directory " + dir + ": " + (ec ? ec.message() : std::strerror(errno));
    return std::nullopt;
  }
  return dir;
}

json journal_header(const dsl::Ir& ir, const std::string& hash, const std::string& source,
                    const std::string& ferry_version) {
  return {{"ferry_journal", kJournalVersion},
          {"plan", ir.plan},
          {"ir_hash", hash},
          {"ferry_version", ferry_version},
          {"source", source},
          {"user", user_name()},
          {"host", host_name()}};
}

std::optional<RunDirContents> read_run_dir(const std::string& dir, std::string* error) {
  auto journal = read_journal(journal_file(dir), error);
  if (!journal) return std::nullopt;
  const json& header = journal->header;
  std::string run_hash = header.contains("ir_hash") && header["ir_hash"].is_string() ? header["ir_hash"].get<std::string>() : "";
  // The run's own copy of its plan: a changed one is not to be saved again but put back, since
  // a run goes on (or is undone) only with the plan it started with.
  const std::string put_back = ". A run is resumed or rolled back only with the plan it started with: put back its "
                               "plan.json (the journal's header names its IR hash, " + run_hash + ")";
  RunDirContents run;
  SavedPlanProblem problem;
  auto ir = read_saved_plan(plan_file(dir), error, &run.hash, &problem);
  if (!ir) {
    if (problem == SavedPlanProblem::kDamaged || problem == SavedPlanProblem::kEdited) *error += put_back;
    return std::nullopt;
  }
  if (run.hash != run_hash) {
    auto [plan_hash, journal_hash] = short_hashes(run.hash, run_hash);
    *error = plan_file(dir) + " is a plan with IR hash " + plan_hash + ", not the journal's " + journal_hash + put_back;
    return std::nullopt;
  }
  run.ir = std::move(*ir);
  run.source = dsl::to_valid_utf8(plan_file(dir));
  run.state = replay(*journal);
  run.events = std::move(journal->events);
  return run;
}

}  // namespace ferry::engine
