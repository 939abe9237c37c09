// discover(CLUSTER, KIND, NAMESPACE, SELECTOR): the names of the objects a cluster has, read when
// a run's plan is made. The names become part of the plan (its steps, its hash): a saved plan
// runs exactly the set that was reviewed, whatever the cluster holds by then.
#include <algorithm>

#include "dsl/ast.h"
#include "dsl/evaluator.h"
#include "dsl/types.h"

namespace ferry::dsl {

namespace {

constexpr const char* kUsage =
    "discover() takes a cluster, a kind, a namespace and a label selector, e.g. "
    "discover(source, \"hostedclusters\", \"clusters\", \"ferry.dev/evacuate=true\")";

}  // namespace

std::optional<json> Evaluator::eval_discover(const Expr& expr, const std::vector<json>& args) {
  if (args.size() != 4) {
    ctx_.diags->error(expr.span, kUsage);
    return std::nullopt;
  }
  const Cluster* cluster = nullptr;
  if (args[0].is_string()) {
    for (const Cluster& c : ctx_.files.front().clusters) {
      if (c.name == args[0].get<std::string>()) cluster = &c;
    }
  }
  if (!cluster) {
    ctx_.diags->error(expr.children[0].span, "discover(): the first argument must be one of the plan's clusters, got " +
                                                 (args[0].is_string() ? "'" + args[0].get<std::string>() + "'"
                                                                      : value_kind(args[0])));
    return std::nullopt;
  }
  const char* what[] = {"", "the kind", "the namespace", "the label selector"};
  for (size_t i = 1; i < 4; ++i) {
    if (!args[i].is_string()) {
      ctx_.diags->error(expr.children[i].span, std::string("discover(): ") + what[i] +
                                                   " must be a string known at compile time, got " + value_kind(args[i]));
      return std::nullopt;
    }
  }
  DiscoverQuery query{cluster->name, "", "", args[1].get<std::string>(), args[2].get<std::string>(),
                      args[3].get<std::string>()};
  if (query.kind.empty()) {
    ctx_.diags->error(expr.children[1].span, "discover(): the kind is empty");
    return std::nullopt;
  }
  // Without a selector it would take every object of the kind: a fleet run over all of them must
  // be asked for (a selector that every one matches), never the result of a forgotten variable.
  if (query.selector.empty()) {
    ctx_.diags->error(expr.children[3].span,
                      "discover(): the label selector is empty; it would take every " + query.kind +
                          " of the namespace. Name the ones to take with a selector (e.g. \"ferry.dev/evacuate=true\")");
    return std::nullopt;
  }
  if (!ctx_.options.discover) {
    ctx_.diags->error(expr.span, "discover() reads cluster '" + cluster->name +
                                     "', and only `ferry plan` and `ferry apply` read clusters: give the value "
                                     "it would compute instead (with --var, or the variable of the env() around it)");
    return std::nullopt;
  }
  // The cluster as the plan declares it: its kubeconfig and context may come from params and env().
  for (const Field& f : cluster->fields) {
    if (f.name != "kubeconfig" && f.name != "context") continue;
    auto value = eval(f.value, ctx_.root);
    if (!value) return std::nullopt;
    if (!value->is_string()) {
      ctx_.diags->error(f.span, "discover() needs cluster '" + cluster->name + "' now, but its " + f.name +
                                    " is not a string known at compile time");
      return std::nullopt;
    }
    (f.name == "kubeconfig" ? query.kubeconfig : query.context) = value->get<std::string>();
  }
  const std::string key = json::array({query.cluster, query.kind, query.namespace_, query.selector}).dump();
  if (auto known = ctx_.discovered.find(key); known != ctx_.discovered.end()) return known->second;
  DiscoverAnswer answer = ctx_.options.discover(query);
  if (!answer.error.empty()) {
    ctx_.diags->error(expr.span, "discover(): cluster '" + cluster->name + "': " + answer.error);
    return std::nullopt;
  }
  std::sort(answer.names.begin(), answer.names.end());
  answer.names.erase(std::unique(answer.names.begin(), answer.names.end()), answer.names.end());
  json names = answer.names;
  ctx_.discovered[key] = names;
  return names;
}

}  // namespace ferry::dsl
