#include "engine/cli/run_setup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <thread>

#include "dsl/utf8.h"
#include "engine/cli/command.h"
#include "engine/cli/discover.h"
#include "engine/run/run_dir.h"
#include "engine/run/saved_plan.h"
#include "engine/steps/preflight.h"
#include "engine/steps/registry.h"

namespace ferry::cli {
namespace fs = std::filesystem;

std::vector<OptionSpec> executor_options() {
  return {
      {"--parallelism", true, "steps run at once (default 4)", "N"},
      {"--pool", true, "depth of a concurrency pool steps name with `pool` (default: the plan's `pools`, else 1); repeatable", "NAME=N"},
      {"--on-failure", true, "on a failed step: 'rollback' or 'stop' (default: the plan's)", "MODE"},
      {"--yes", false, "answer every `approve` gate yes"},
      {"--kubectl", true, "kubectl or oc to run (default: $FERRY_KUBECTL, else kubectl on PATH)", "PATH"},
      // Run-wide AWS settings, as `aws --profile/--region/--endpoint-url/--ca-bundle` (and the
      // same environment variables) give them; a step's own `profile`, `region` or `endpoint` wins.
      {"--aws-profile", true, "profile of the AWS credentials and config files (default: $AWS_PROFILE)", "NAME"},
      {"--aws-region", true, "AWS region (default: $AWS_REGION, the profile's)", "REGION"},
      {"--aws-endpoint-url", true, "an S3-compatible store (default: $AWS_ENDPOINT_URL)", "URL"},
      {"--aws-ca-bundle", true, "PEM file of the CAs to trust for AWS endpoints (default: $AWS_CA_BUNDLE)", "FILE"},
      {"--lease-duration", true, "how long a Lease the run holds stays valid unless renewed (default 60s)", "DURATION"},
      {"--wait-for-lease", true, "wait up to DURATION for a Lease another run holds (default: fail at once)",
       "DURATION"},
      {"--log-file", true, "also write the log to FILE", "FILE"},
      {"-v", false, "log each step's details too"},
  };
}

namespace {

bool needs_secret(const dsl::json& v, const std::string& name) {
  if (v.is_object()) {
    if (const std::string* param = dsl::secret_param(v); param && *param == name) return true;
    for (const auto& [k, item] : v.items()) {
      if (needs_secret(item, name)) return true;
    }
  } else if (v.is_array()) {
    for (const auto& item : v) {
      if (needs_secret(item, name)) return true;
    }
  }
  return false;
}

bool step_needs_secret(const dsl::IrStep& step, const std::string& name) {
  if (needs_secret(step.args, name) || needs_secret(step.when, name)) return true;
  for (const dsl::IrStep& r : step.rollback_steps) {
    if (step_needs_secret(r, name)) return true;
  }
  return false;
}

std::atomic<int> g_signals{0};
int g_wake_pipe[2] = {-1, -1};

void on_signal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);  // the second Ctrl-C: at once
  char c = 1;
  (void)!write(g_wake_pipe[1], &c, 1);
}

}  // namespace

bool fill_secrets(const Args& args, RunInput* input, int* exit_status) {
  auto vars = vars_from_args(args, exit_status);
  if (!vars) return false;
  for (const auto& [name, param] : input->ir.params) {
    if (!param.secret) continue;
    std::optional<std::string> value;
    if (auto it = input->ir.secret_values.find(name); it != input->ir.secret_values.end()) value = it->second;
    if (auto it = vars->find(name); it != vars->end()) value = it->second;
    if (!value) {
      if (const char* env = std::getenv(name.c_str())) value = env;
      if (std::string problem = value ? dsl::utf8_problem(*value) : ""; !problem.empty()) {
        std::cerr << "ferry: error: secret param '" << name << "': the environment variable " << name << " " << problem
                  << "\n";
        *exit_status = kExitUsage;
        return false;
      }
    }
    if (value) {
      input->secrets[name] = *value;
      continue;
    }
    for (const auto& [id, step] : input->ir.steps) {
      if (step_needs_secret(step, name)) {
        std::cerr << "ferry: error: secret param '" << name << "' has no value and step '" << id
                  << "' needs it; pass --var " << name << "=... or --vars-file, or set " << name
                  << " in the environment\n";
        *exit_status = kExitUsage;
        return false;
      }
    }
  }
  return true;
}

std::optional<RunInput> load_run_input(const Args& args, const std::string& path, int* exit_status) {
  RunInput input;
  input.source = dsl::to_valid_utf8(path);  // shown in JSON (the saved plan, the journal's header)
  if (engine::is_saved_plan(path)) {
    // Its values were fixed when it was made and reviewed; a variable now would change nothing,
    // and saying nothing would let the user believe it did.
    for (const char* flag : {"--var", "--vars-file"}) {
      if (args.has(flag)) {
        std::cerr << "ferry: error: " << flag << " does not apply to a saved plan: " << path
                  << " runs exactly the values it was made with; make it again with `ferry plan PLAN " << flag
                  << " ... -out " << path << "` and review it\n";
        *exit_status = kExitUsage;
        return std::nullopt;
      }
    }
    std::string error;
    engine::SavedPlanProblem problem;
    auto ir = engine::read_saved_plan(path, &error, nullptr, &problem);
    if (!ir) {
      if (problem == engine::SavedPlanProblem::kDamaged || problem == engine::SavedPlanProblem::kEdited) {
        error += "; make it again with `ferry plan PLAN -out " + path + "` and review it";
      }
      std::cerr << "ferry: error: " << error << "\n";
      *exit_status = kExitUsage;
      return std::nullopt;
    }
    input.ir = std::move(*ir);
  } else {
    // A run's plan is made here: discover() reads its clusters now, and the saved plan keeps
    // what they answered.
    auto compiled = compile_plan_at(path, args, exit_status, "", true, cluster_discoverer(kubectl_from(args)));
    if (!compiled) return std::nullopt;
    input.ir = std::move(compiled->ir);
  }
  engine::SavedPlanText saved = engine::saved_plan_text(input.ir, input.source);
  input.hash = saved.hash;
  input.saved = std::move(saved.text);
  if (!fill_secrets(args, &input, exit_status)) return std::nullopt;
  return input;
}

std::optional<engine::RunOptions> run_options_from(const Args& args, int* exit_status) {
  engine::RunOptions opt;
  auto usage = [&](const std::string& message) {
    std::cerr << "ferry: error: " << message << "\n";
    *exit_status = kExitUsage;
    return std::nullopt;
  };
  auto positive = [](const std::string& text) -> std::optional<int> {
    if (text.empty() || text.size() > 6 || text.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    int n = std::stoi(text);
    return n > 0 ? std::optional<int>(n) : std::nullopt;
  };
  if (args.has("--parallelism")) {
    auto n = positive(args.get("--parallelism"));
    if (!n) return usage("--parallelism needs a whole number from 1, got '" + args.get("--parallelism") + "'");
    opt.parallelism = *n;
  }
  if (args.has("--pool")) {
    for (const std::string& kv : args.options.at("--pool")) {
      auto eq = kv.find('=');
      auto n = eq == std::string::npos ? std::nullopt : positive(kv.substr(eq + 1));
      if (eq == 0 || !n) return usage("--pool needs NAME=N with N from 1, got '" + kv + "'");
      opt.pools[kv.substr(0, eq)] = *n;
    }
  }
  opt.impls = engine::find_step_impl;
  auto on_failure = dsl::on_failure_from_name(args.get("--on-failure"));
  if (!on_failure) {
    return usage("--on-failure must be 'rollback' or 'stop', got '" + args.get("--on-failure") + "'");
  }
  opt.on_failure = *on_failure;  // "" (kInherit): the plan's
  if (!lease_settings_from(args, exit_status)) return std::nullopt;  // checked before anything runs
  return opt;
}

std::string kubectl_from(const Args& args) {
  const char* env_kubectl = std::getenv("FERRY_KUBECTL");
  return args.get("--kubectl", env_kubectl ? env_kubectl : "kubectl");
}

engine::Services services_from(const Args& args) {
  engine::Services services;
  services.assume_yes = args.has("--yes");
  services.kubectl = kubectl_from(args);
  services.aws.profile = args.get("--aws-profile");
  services.aws.region = args.get("--aws-region");
  services.aws.endpoint_url = args.get("--aws-endpoint-url");
  services.aws.ca_bundle = args.get("--aws-ca-bundle");
  if (!isatty(STDIN_FILENO) || !isatty(STDERR_FILENO)) return services;  // no one to ask
  services.ask = [](const std::string& question) -> std::optional<bool> {
    std::cerr << "\n" << question << " [y/N] " << std::flush;
    std::string answer;
    if (!std::getline(std::cin, answer)) return false;
    return answer == "y" || answer == "Y" || answer == "yes";
  };
  return services;
}

std::optional<engine::LeaseSettings> lease_settings_from(const Args& args, int* exit_status) {
  engine::LeaseSettings settings;
  for (const char* name : {"--lease-duration", "--wait-for-lease"}) {
    if (!args.has(name)) continue;
    std::optional<int64_t> ms = dsl::parse_duration(args.get(name));
    bool duration = std::string_view(name) == "--lease-duration";
    // A Lease's duration is whole seconds (spec.leaseDurationSeconds), at least one.
    if (!ms || (duration && *ms < 1000)) {
      std::cerr << "ferry: error: " << name << " needs a duration" << (duration ? " of at least 1s" : "")
                << " (30s, 5m, 1h), got '" << args.get(name) << "'\n";
      *exit_status = kExitUsage;
      return std::nullopt;
    }
    if (duration) {
      settings.duration = std::chrono::seconds(*ms / 1000);
    } else {
      settings.wait = engine::Millis(*ms);
    }
  }
  return settings;
}

bool preflight_ok(const Args& args, const RunInput& input, const engine::RunState& prior, bool rollback,
                  int* exit_status) {
  engine::Redactor redactor;
  for (const auto& [name, value] : input.secrets) redactor.add(value);
  std::vector<std::string> problems =
      engine::preflight(input.ir, prior, services_from(args), input.secrets, redactor, rollback);
  for (const std::string& p : problems) std::cerr << "ferry: error: " << p << "\n";
  if (problems.empty()) return true;
  std::cerr << "ferry: nothing was run: fix " << (problems.size() == 1 ? "this" : "these") << " first\n";
  *exit_status = kExitUsage;
  return false;
}

SignalGuard::SignalGuard(const engine::CancelToken& token) {
  g_signals = 0;
  if (g_wake_pipe[0] < 0 && pipe2(g_wake_pipe, O_CLOEXEC) != 0) return;
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // Cancelling takes locks, so it happens here and not in the handler.
  std::thread([token] {
    char c;
    while (read(g_wake_pipe[0], &c, 1) == 1) {
      if (c == 0) return;  // the guard is going away
      std::cerr << "\nferry: stopping: cancelling running steps (Ctrl-C again to quit at once)\n";
      token.cancel(engine::ErrorClass::kCancelled, "interrupted");
    }
  }).detach();
}

SignalGuard::~SignalGuard() {
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  char c = 0;
  (void)!write(g_wake_pipe[1], &c, 1);
}

int exit_status_for(engine::RunResult result, bool rollback_command) {
  switch (result) {
    case engine::RunResult::kSucceeded: return kExitOk;
    case engine::RunResult::kRolledBack: return rollback_command ? kExitOk : 1;
    case engine::RunResult::kCancelled: return 130;
    default: return 1;
  }
}

}  // namespace ferry::cli

namespace ferry::cli {

std::optional<OpenedRun> open_run(const Args& args, const std::string& dir, const std::string& plan_path,
                                  OpenFor purpose, int* exit_status) {
  auto fail = [&](const std::string& message) {
    std::cerr << "ferry: error: " << message << "\n";
    *exit_status = kExitUsage;
    return std::nullopt;
  };
  OpenedRun run;
  std::string error;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return fail("no run directory at " + dir + (ec ? ": " + ec.message() : ""));
  if (purpose == OpenFor::kRunning && !(run.lock = engine::RunLock::acquire(dir, &error))) return fail(error);
  auto contents = engine::read_run_dir(dir, &error);
  if (!contents) return fail(error);
  run.dir = dir;
  run.input.ir = std::move(contents->ir);
  run.input.hash = contents->hash;
  run.input.source = contents->source;
  run.state = std::move(contents->state);
  run.events = std::move(contents->events);
  if (!plan_path.empty()) {
    int status = 0;
    auto given = load_run_input(args, plan_path, &status);
    if (!given) {
      *exit_status = status;
      return std::nullopt;
    }
    if (given->hash != run.input.hash) {
      auto [given_hash, run_hash] = engine::short_hashes(given->hash, run.input.hash);
      return fail("the plan changed since this run started: " + plan_path + " compiles to IR " + given_hash +
                  ", the run was of " + run_hash + ". Finish or roll back the run with the plan it started with (kept in " +
                  engine::plan_file(dir) + ")");
    }
    run.input.secrets = given->secrets;
  } else if (purpose == OpenFor::kRunning && !fill_secrets(args, &run.input, exit_status)) {
    return std::nullopt;
  }
  if (!run.state.torn_lines.empty()) {
    std::cerr << "ferry: note: the journal's last line (" << run.state.torn_lines.back()
              << ") was cut short by a crash and is ignored\n";
  }
  return run;
}

}  // namespace ferry::cli
