// `wait`: until a condition holds, on the run's clock (so the step's timeout and Ctrl-C end it).
// Four forms: `probe` (a local command that exits 0 when done), `object` (a JSONPath equals a
// value, a condition is True, the object exists or is gone), `count` (at least N objects of a
// kind match) and `max_count` (at most N match: 0 waits until the pods of a stopped Deployment
// are gone). Counted objects can be required to carry a time (`time_jsonpath`) later than
// `newer_than`: a Node's heartbeat newer than a restore, not the stale Ready a restored etcd
// still holds. JSONPaths are kubectl's own (`-o jsonpath`).
//
// A cluster goal is read, judged, and then watched: through the cluster's kubectl proxy
// (kube/api_watch.h) until any of the objects changes, then read again; no process per round,
// and a controller's change ends the step within one round trip. Where the kind is not
// certain to be one resource of the cluster, `kubectl wait` watches the goals it can
// (see watch_for) and the others are read every `interval`.
#include <algorithm>
#include <ctime>
#include <optional>

#include "engine/base/subprocess.h"
#include "engine/kube/api_watch.h"
#include "engine/steps/kube_steps.h"
#include "engine/steps/local_steps.h"

namespace ferry::engine {
namespace {

using kube_step::kubectl_for;
using kube_step::str;

// `equals` as kubectl's jsonpath prints it.
std::string expected(const StepContext& ctx) {
  json v = ctx.arg("equals", "");
  return v.is_string() ? v.get<std::string>() : v.dump();
}

bool at_most(const StepContext& ctx) { return !ctx.arg("max_count").is_null(); }
bool counting(const StepContext& ctx) { return !ctx.arg("count").is_null() || at_most(ctx); }
bool timed(const StepContext& ctx) { return !str(ctx, "time_jsonpath").empty(); }

// Seconds since the epoch of an RFC 3339 UTC time ("2026-12-06T16:10:37Z", fractions allowed);
// nullopt for anything else.
std::optional<std::time_t> utc_seconds(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (end == nullptr) return std::nullopt;
  if (*end == '.') {
    ++end;
    while (*end >= '0' && *end <= '9') ++end;
  }
  if (std::string(end) != "Z") return std::nullopt;
  return timegm(&tm);
}

std::vector<std::string> poll_args(const StepContext& ctx) {
  if (counting(ctx)) {
    std::vector<std::string> args = {"get", str(ctx, "kind")};
    if (std::string sel = str(ctx, "selector"); !sel.empty()) args.insert(args.end(), {"-l", sel});
    std::string each = str(ctx, "jsonpath").empty() ? "{.metadata.name}" : kube_step::braced_jsonpath(str(ctx, "jsonpath"));
    if (timed(ctx)) each += "{\"\\t\"}" + kube_step::braced_jsonpath(str(ctx, "time_jsonpath"));
    args.push_back("-o=jsonpath={range .items[*]}" + each + "{\"\\n\"}{end}");
    return args;
  }
  std::vector<std::string> args = {"get", str(ctx, "object"), "--ignore-not-found"};
  if (!str(ctx, "jsonpath").empty()) {
    args.push_back("-o=jsonpath=" + kube_step::braced_jsonpath(str(ctx, "jsonpath")));
  } else {
    args.insert(args.end(), {"-o", "json"});
  }
  return args;
}

// What the goal's read prints: the JSONPath's text, or the object as JSON ("" when it is not
// there). A JSON read goes through the proxy where it can (Kubectl::run_json).
kube::CallResult read_goal(const StepContext& ctx, const kube::Kubectl& k, const std::string& what) {
  std::vector<std::string> args = poll_args(ctx);
  if (args.back() != "json") return k.run(args, ctx.cancel, what);
  args.resize(args.size() - 2);  // run_json asks for -o json itself
  kube::CallResult c;
  json answer;
  c.status = k.run_json(args, ctx.cancel, what, &answer);
  if (c.status.ok()) {
    // By name, the object; nothing found (--ignore-not-found), an empty List.
    c.exit_code = 0;
    if (answer.is_object() && answer.value("kind", "") == "List") {
      const json items = answer.value("items", json::array());
      c.out = items.is_array() && !items.empty() ? items[0].dump() : "";
    } else {
      c.out = answer.dump();
    }
  }
  return c;
}

std::string goal(const StepContext& ctx) {
  if (counting(ctx)) {
    std::string g = at_most(ctx) ? "at most " + ctx.arg("max_count").dump() : "at least " + ctx.arg("count").dump();
    g += " " + str(ctx, "kind");
    if (!str(ctx, "selector").empty()) g += " matching " + str(ctx, "selector");
    if (!str(ctx, "jsonpath").empty()) g += " with " + str(ctx, "jsonpath") + " = " + expected(ctx);
    if (timed(ctx)) g += " and " + str(ctx, "time_jsonpath") + " later than " + str(ctx, "newer_than");
    return g;
  }
  const std::string object = str(ctx, "object");
  if (!str(ctx, "jsonpath").empty()) return object + " has " + str(ctx, "jsonpath") + " = " + expected(ctx);
  if (!str(ctx, "condition").empty()) return object + " has condition " + str(ctx, "condition") + "=True";
  return object + (ctx.arg("exists", true) == json(false) ? " is gone" : " exists");
}

// Whether kubectl's answer meets the goal; `seen` says what it found, for the log.
bool holds(const StepContext& ctx, const std::string& out, std::string* seen) {
  if (counting(ctx)) {
    int64_t n = 0;
    int64_t stale = 0;
    size_t start = 0;
    const bool filter = !str(ctx, "jsonpath").empty();
    const std::optional<std::time_t> since = utc_seconds(str(ctx, "newer_than"));
    while (start < out.size()) {
      size_t nl = out.find('\n', start);
      if (nl == std::string::npos) nl = out.size();
      std::string value = out.substr(start, nl - start);
      start = nl + 1;
      if (timed(ctx)) {
        const size_t tab = value.find('\t');
        const std::optional<std::time_t> at = utc_seconds(tab == std::string::npos ? "" : value.substr(tab + 1));
        value = value.substr(0, tab);
        if (filter && value != expected(ctx)) continue;
        if (!at || !since || *at <= *since) {
          ++stale;
          continue;
        }
      } else if (filter && value != expected(ctx)) {
        continue;
      }
      ++n;
    }
    *seen = std::to_string(n) + " match" + (stale ? " (" + std::to_string(stale) + " more with an older time)" : "");
    return at_most(ctx) ? n <= ctx.arg("max_count").get<int64_t>() : n >= ctx.arg("count").get<int64_t>();
  }
  const bool absent = out.find_first_not_of(" \n") == std::string::npos;
  if (ctx.arg("exists", true) == json(false) && str(ctx, "jsonpath").empty() && str(ctx, "condition").empty()) {
    *seen = absent ? "gone" : "still there";
    return absent;
  }
  if (absent) {
    *seen = "not found";
    return false;
  }
  if (!str(ctx, "jsonpath").empty()) {
    *seen = "'" + out + "'";
    return out == expected(ctx);
  }
  if (!str(ctx, "condition").empty()) {
    json o = json::parse(out, nullptr, false);
    const json conditions = o.is_object() && o.contains("status") ? o["status"].value("conditions", json::array()) : json::array();
    for (const json& c : conditions) {
      if (c.value("type", "") == str(ctx, "condition")) {
        *seen = "status " + c.value("status", "?") + (c.contains("message") ? " (" + c.value("message", "") + ")" : "");
        return c.value("status", "") == "True";
      }
    }
    *seen = "no such condition yet";
    return false;
  }
  *seen = "exists";
  return true;
}

// The `kubectl wait --for=` that reacts the moment the goal holds, or "" for a goal kubectl
// cannot watch (a count, a filter, a time), which is polled. kubectl wait watches the object
// (client-go's watch), so a condition set by a controller ends the step within one round trip,
// not one `interval` later: on the critical path of a migration the polls were seconds of
// downtime.
std::string watch_for(const StepContext& ctx) {
  if (counting(ctx)) {
    // Until none is left: kubectl waits for the deletion of every object the selector matches.
    const bool none_left = at_most(ctx) && ctx.arg("max_count") == json(0);
    return none_left && str(ctx, "jsonpath").empty() && !timed(ctx) ? "delete" : "";
  }
  if (!str(ctx, "jsonpath").empty()) {
    // kubectl splits `--for=jsonpath=PATH=VALUE` at each `=` but `==`: a `!=` filter or a value
    // with an `=` in it would be misread, so those goals are polled.
    const std::string path = kube_step::braced_jsonpath(str(ctx, "jsonpath"));
    std::string lone = path;
    for (size_t at; (at = lone.find("==")) != std::string::npos;) lone.erase(at, 2);
    const bool readable = !expected(ctx).empty() && lone.find('=') == std::string::npos &&
                          expected(ctx).find('=') == std::string::npos;
    return readable ? "jsonpath=" + path + "=" + expected(ctx) : "";
  }
  if (!str(ctx, "condition").empty()) return "condition=" + str(ctx, "condition");
  return ctx.arg("exists", true) == json(false) ? "delete" : "create";
}

std::vector<std::string> watch_args(const StepContext& ctx, const std::string& for_what, Millis timeout) {
  std::vector<std::string> args = {"wait", "--for=" + for_what, "--timeout=" + std::to_string(timeout.count()) + "ms"};
  if (!counting(ctx)) {
    args.push_back(str(ctx, "object"));
  } else if (std::string sel = str(ctx, "selector"); !sel.empty()) {
    args.insert(args.end(), {str(ctx, "kind"), "-l", sel});
  } else {
    args.insert(args.end(), {str(ctx, "kind"), "--all"});
  }
  return args;
}

// `interval` in milliseconds (checked a duration when the plan compiled; 10 s when unset).
int64_t interval_ms(const StepContext& ctx) {
  return dsl::parse_duration(ctx.arg("interval", "10s").get<std::string>()).value_or(10'000);
}

// How long one watch runs before the step reads the object again, decides and logs what it
// sees: five intervals, from 5 s to 30 s. kubectl's test of a goal is not always the step's (a
// condition also needs its observedGeneration to be the object's generation, a JSONPath value
// is trimmed), so the step's own read has the last word, and a watch that kubectl's test keeps
// from ending costs at most one period.
Millis watch_period(int64_t interval) { return std::clamp(Millis(interval * 5), Millis(5'000), Millis(30'000)); }
// A watch shorter than this is not worth a process: the step sleeps to its deadline instead.
constexpr Millis kShortestWatch{200};

// The step's failure `s` after `polls` reads, saying what it waited for and last saw.
Status wait_failed(const Status& s, const std::string& what, int polls, const std::string& seen) {
  return Status::Error(s.error_class(), s.message() + " (" + what + "; after " + std::to_string(polls) +
                                            (polls == 1 ? " poll" : " polls") + ", last seen: " + seen + ")");
}

// Judges a read of the goal: true when the step is over, with r->status ok (the goal holds) or
// the failure (cancelled while reading: Ctrl-C, the step's timeout; an error that is not
// transient). A transient error is only what was last seen: the API server may come and go
// while we wait.
bool over(const StepContext& ctx, const kube::CallResult& c, const std::string& what, std::string* seen,
          StepResult* r) {
  if (ctx.cancel.cancelled()) {
    r->status = Status::Error(ctx.cancel.status().error_class(),
                              ctx.cancel.status().message() + " (" + what + "; last seen: " + *seen + ")");
    return true;
  }
  if (c.status.ok()) return holds(ctx, c.out, seen);
  if (c.status.error_class() == ErrorClass::kTransient) {
    *seen = c.status.message();
    return false;
  }
  r->status = c.status;
  return true;
}

// Through the cluster's proxy: mark the objects' version, read and judge, then wait for any
// change since the mark (or one watch period, or the deadline) and read again.
StepResult wait_watching(StepContext& ctx, const kube::Kubectl& k, kube::ObjectWatch& watch, const std::string& what) {
  StepResult r;
  const int64_t interval = interval_ms(ctx);
  std::string seen = "nothing yet";
  for (int polls = 1;; ++polls) {
    kube::CallResult c;
    c.status = watch.mark(ctx.cancel, what);
    if (c.status.ok()) c = read_goal(ctx, k, what);
    if (over(ctx, c, what, &seen, &r)) return r;
    const Millis period = watch_period(interval);
    const Millis left = ctx.deadline.count() ? ctx.deadline - ctx.clock->now() : period;
    if (c.status.ok() && left > Millis(0)) {
      ctx.log("poll " + std::to_string(polls) + ": " + seen + "; watching for " +
              dsl::format_duration(std::min(left, period).count()));
      bool changed = false;
      const Status w = watch.changed(std::min(left, period), ctx.cancel, what, &changed);
      if (ctx.cancel.cancelled()) {
        r.status = wait_failed(ctx.cancel.status(), what, polls, seen);
        return r;
      }
      if (ctx.deadline.count() && ctx.clock->now() >= ctx.deadline) {
        ctx.cancel.cancel(ErrorClass::kTimeout, "timed out");
        r.status = wait_failed(ctx.cancel.status(), what, polls, seen);
        return r;
      }
      if (w.ok()) continue;  // changed, or a period without a change: read again
      if (w.error_class() != ErrorClass::kTransient) {
        r.status = w;  // forbidden to watch, ...: as a read would be
        return r;
      }
      seen = w.message();
    }
    ctx.log("poll " + std::to_string(polls) + ": " + seen + "; next in " + dsl::format_duration(interval));
    if (Status s = ctx.sleep_for(Millis(interval)); !s.ok()) {
      r.status = wait_failed(s, what, polls, seen);
      return r;
    }
  }
}

// With kubectl: `kubectl wait` for the goals it can watch (watch_for), a read every `interval`
// for the others.
StepResult wait_with_kubectl(StepContext& ctx, const kube::Kubectl& k, const std::string& what) {
  StepResult r;
  const int64_t interval = interval_ms(ctx);
  const std::string watch = watch_for(ctx);
  bool watching = !watch.empty();
  std::string seen = "nothing yet";
  // A JSONPath read prints nothing both for a missing object and for a missing field: once a
  // watch has seen the object created, "not found" means the field.
  bool created = false;
  // kubectl's watch said the goal was met and the read that followed did not (kubectl's test is
  // not the step's): the next round sleeps `interval` rather than watching again at once, so a
  // goal the two judge differently is not a busy loop of processes.
  bool met_unseen = false;
  auto failed = [&](const Status& s, int polls) {
    r.status = wait_failed(s, what, polls, seen);
    return r;
  };
  for (int polls = 1;; ++polls) {
    kube::CallResult c = read_goal(ctx, k, what);
    if (over(ctx, c, what, &seen, &r)) return r;
    const Millis period = watch_period(interval);
    const Millis left = ctx.deadline.count() ? ctx.deadline - ctx.clock->now() : period;
    if (c.status.ok() && watching && left >= kShortestWatch && !met_unseen) {
      // A goal on the object's content waits for the object first: kubectl wait fails at once on
      // one that is not there.
      const std::string for_what = seen == "not found" && !created ? "create" : watch;
      const Millis watch_for = std::min(left, period);
      ctx.log("poll " + std::to_string(polls) + ": " + seen + "; watching for " + dsl::format_duration(watch_for.count()));
      kube::CallResult w = k.run(watch_args(ctx, for_what, watch_for), ctx.cancel, what);
      if (ctx.cancel.cancelled()) return failed(ctx.cancel.status(), polls);
      const ErrorClass e = w.status.error_class();
      created = (w.status.ok() && for_what == "create") || (created && e != ErrorClass::kNotFound);
      met_unseen = w.status.ok() && for_what == watch;
      // Met, ran out, or the objects went or came between the read and the watch: read again
      // (the read decides: a name deleted and made again passes kubectl's delete watch).
      const bool read_again = w.status.ok() || e == ErrorClass::kTimeout || e == ErrorClass::kNotFound ||
                              e == ErrorClass::kTransient ||
                              w.status.message().find("no matching resources found") != std::string::npos;
      if (!read_again && e != ErrorClass::kFailed) {
        r.status = w.status;  // forbidden, unauthorized, ...: as a read would be
        return r;
      }
      if (!read_again) {
        // kubectl's own refusal (a JSONPath it matches to several values or to an object):
        // the goal is still the step's to judge, by polling.
        watching = false;
        ctx.log("kubectl cannot watch for this goal (" + w.status.message() + "); reading every " +
                dsl::format_duration(interval) + " instead");
      }
      if (ctx.deadline.count() && ctx.clock->now() >= ctx.deadline) {
        ctx.cancel.cancel(ErrorClass::kTimeout, "timed out");
        return failed(ctx.cancel.status(), polls);
      }
      if (read_again && e != ErrorClass::kTransient && e != ErrorClass::kNotFound) continue;
    }
    met_unseen = false;
    ctx.log("poll " + std::to_string(polls) + ": " + seen + "; next in " + dsl::format_duration(interval));
    if (Status s = ctx.sleep_for(Millis(interval)); !s.ok()) return failed(s, polls);
  }
}

StepResult wait_cluster(StepContext& ctx) {
  const kube::Kubectl k = kubectl_for(ctx);
  const std::string what = "wait until " + goal(ctx) + k.where();
  std::string kind = str(ctx, "kind");
  std::string name;
  if (!counting(ctx)) {
    const std::string object = str(ctx, "object");
    const size_t slash = object.find('/');
    kind = slash == std::string::npos ? "" : object.substr(0, slash);
    name = slash == std::string::npos ? "" : object.substr(slash + 1);
  }
  Status discovery;
  std::optional<kube::ObjectWatch> watch;
  if (!kind.empty() && (counting(ctx) || !name.empty())) {
    watch = kube::ObjectWatch::open(k, kind, name, counting(ctx) ? str(ctx, "selector") : "", ctx.cancel, &discovery);
  }
  if (watch) return wait_watching(ctx, k, *watch, what);
  if (!discovery.ok() && !ctx.cancel.cancelled()) ctx.log("watching with kubectl: " + discovery.message());
  return wait_with_kubectl(ctx, k, what);
}

std::vector<Action> render(const StepContext& ctx) {
  Action a;
  if (!ctx.arg("probe").is_null()) {
    a.argv = ctx.args["probe"].get<std::vector<std::string>>();
    a.note = "every " + ctx.arg("interval", "10s").get<std::string>() + " until it exits 0";
  } else {
    kube::Kubectl k = kubectl_for(ctx);
    a = k.action(poll_args(ctx));
    const Millis period = watch_period(interval_ms(ctx));
    a.note = "then, until " + goal(ctx) + ", a watch of its objects through the cluster's kubectl proxy: read " +
             "again at each change, and every " + dsl::format_duration(period.count()) +
             "; if the cluster has not exactly one resource by that name, ";
    if (std::string watch = watch_for(ctx); !watch.empty()) {
      a.note += "this:";
      Action w = k.action(watch_args(ctx, watch, period));
      w.note = "until met, then read again to decide" +
               std::string(watch == "create" || watch == "delete" ? "" : "; first `--for=create` if the object is not there yet");
      return {a, w};
    }
    a.note += "read every " + ctx.arg("interval", "10s").get<std::string>();
  }
  return {a};
}

StepResult run(StepContext& ctx) {
  StepResult r;
  if (timed(ctx) && !utc_seconds(str(ctx, "newer_than"))) {
    r.status = Status::Invalid("newer_than: expected an RFC 3339 UTC time like 2026-12-06T16:10:37Z, got '" +
                               str(ctx, "newer_than") + "'");
    return r;
  }
  if (ctx.arg("probe").is_null()) return wait_cluster(ctx);
  const int64_t interval = interval_ms(ctx);
  ProcessSpec spec;
  spec.argv = ctx.args["probe"].get<std::vector<std::string>>();
  for (int polls = 1;; ++polls) {
    ProcessResult p = run_process(spec, ctx.cancel);
    if (!p.status.ok()) {
      r.status = p.status;
      return r;
    }
    if (p.exit_code == 0) return r;
    ctx.log("probe exited " + std::to_string(p.exit_code) + "; next poll in " + dsl::format_duration(interval));
    if (Status s = ctx.sleep_for(Millis(interval)); !s.ok()) {
      r.status = Status::Error(s.error_class(), s.message() + " (the probe had not succeeded after " +
                                                    std::to_string(polls) + (polls == 1 ? " poll)" : " polls)"));
      return r;
    }
  }
}

}  // namespace

StepImpl wait_step() {
  StepImpl impl;
  impl.type = "wait";
  impl.render = render;
  impl.run = run;
  return impl;
}

}  // namespace ferry::engine
