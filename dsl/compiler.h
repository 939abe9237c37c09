// Compiles a plan file (.ferry or .toml) and the modules it uses into the IR.
//
// The work is done in named phases, each in its own file (only the last one's result, the IR,
// can be shown: `ferry check --emit ir`):
//   load      (loader.cc)         parse the plan and every `use`d module into ASTs
//   expand    (compile_expand.cc) params, lets, templates and `for` loops: the list of steps
//   check     (compile_steps.cc)  each step's fields evaluated and checked against its schema
//   link      (compile_dag.cc)    dependency edges, phase order and cycles
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dsl/ast.h"
#include "dsl/diagnostics.h"
#include "dsl/ir.h"

namespace ferry::dsl {

// What discover() asks of a cluster when a run's plan is made: the names of the objects of `kind`
// in `namespace_` that match the label `selector`.
struct DiscoverQuery {
  std::string cluster;     // the plan's name for it
  std::string kubeconfig;  // its fields, as the plan gives them
  std::string context;
  std::string kind;
  std::string namespace_;
  std::string selector;
};
struct DiscoverAnswer {
  std::vector<std::string> names;
  std::string error;  // "" when the cluster answered
};

struct CompileOptions {
  // Plan variables: params take the value of the variable with their name, and `env("X")`
  // reads X here before the process environment. From --vars-file and --var, later wins.
  std::map<std::string, std::string> vars;
  // Names given with --var: each must match a param or an env() lookup, so a typo is caught.
  std::set<std::string> explicit_vars;
  // The process environment (injectable for tests).
  std::function<std::optional<std::string>(std::string_view)> environment;
  // Directories searched for `use "name"` (after paths relative to the using file).
  std::vector<std::string> module_path;
  // How discover() reads a cluster. Set only by the commands that make a run's plan (`plan`,
  // `apply`); in the others (`check`, `graph`, `diff`) discover() is an error that says so.
  std::function<DiscoverAnswer(const DiscoverQuery&)> discover;
};

// The directories `use` searches by default: $FERRY_PATH (colon-separated), then the stdlib
// of the source tree and of the installed location.
std::vector<std::string> default_module_path();
// Reads a variable from the real process environment.
std::optional<std::string> process_environment(std::string_view name);

// Compiles the plan at `path`. Returns std::nullopt if any error was reported to `diags`.
// `sources` owns the files read; the IR's spans point into it.
std::optional<Ir> compile_plan(const std::string& path, const CompileOptions& options, SourceSet* sources,
                               Diagnostics* diags);

// Loads a plan or module file into its AST, by extension (.ferry or .toml).
std::optional<File> load_file(const std::string& path, SourceSet* sources, Diagnostics* diags,
                              Span requested_at = {});

// The modules `file` uses, and those they use, as far as they can be found and read: for a
// command that reads a plan without compiling it (`convert`), to which a module that is
// missing or broken is no error.
std::vector<File> read_used_modules(const File& file, const std::vector<std::string>& module_path,
                                    SourceSet* sources);

}  // namespace ferry::dsl
