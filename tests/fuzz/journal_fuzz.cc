// libFuzzer target for reading a run back: the journal parser (engine/run/journal.cc) and the
// replay that rebuilds the run's state from its events (engine/run/run_state.cc), as `resume`,
// `rollback` and `status` do, then the state shown as `status --output json` shows it (through
// the redactor's URL patterns).
// Properties: no crash, no exception, no sanitizer report, whatever the file holds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/run/journal.h"
#include "engine/base/redactor.h"
#include "engine/run/run_state.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry::engine;
  std::string error;
  auto journal = parse_journal(std::string(reinterpret_cast<const char*>(data), size), "fuzz.jsonl", &error);
  if (!journal) return 0;
  RunState state = replay(*journal);
  json steps = json::object();
  for (const auto& [id, r] : state.steps) {
    json j = {{"state", step_state_name(r.state)}, {"attempts", r.attempts}, {"undo", undo_state_name(r.undo_state)},
              {"error", r.error}, {"class", r.error_class}, {"skip", r.skip_reason}, {"undo_error", r.undo_error},
              {"outputs", r.outputs}, {"secret_outputs", r.secret_outputs}, {"started_ms", r.started_ms},
              {"finished_ms", r.finished_ms}};
    if (r.undo) j["undo_data"] = *r.undo;
    steps[id] = j;
  }
  Redactor().redact_json(json{{"header", state.header}, {"result", state.result}, {"steps", steps}}).dump(2);
  return 0;
}
