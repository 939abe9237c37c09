// Phase "load": reads the plan and every module it uses, and registers their templates.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dsl/compile_context.h"
#include "dsl/ferry_parser.h"
#include "dsl/spelling.h"
#include "dsl/toml_loader.h"
#include "dsl/utf8.h"

namespace ferry::dsl {
namespace fs = std::filesystem;

std::optional<File> load_file(const std::string& path, SourceSet* sources, Diagnostics* diags, Span requested_at) {
  std::ifstream in(path, std::ios::binary);
  std::error_code ec;
  fs::file_status status = fs::status(path, ec);
  if (!in || fs::is_directory(status)) {
    std::string why = fs::is_directory(status) ? ": it is a directory"
                      : status.type() == fs::file_type::not_found ? ": no such file"
                      : ec                                     ? ": " + ec.message()
                                                               : "";
    diags->error(requested_at, "cannot read '" + path + "'" + why);
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  const SourceFile* source = sources->add(path, text.str());
  if (check_utf8(*source, diags)) return std::nullopt;
  if (fs::path(path).extension() == ".toml") return load_toml(*source, diags);
  return parse_ferry(*source, diags);
}

namespace {

// Paths in messages are relative to the working directory when that is shorter, so output
// reads the same in any checkout.
std::string display_path(const std::string& path) {
  std::error_code ec;
  fs::path relative = fs::relative(path, ec);
  if (ec || relative.empty()) return path;
  return relative.string().size() < path.size() ? relative.string() : path;
}

// Where `use "name"` points: a path relative to the using file if it looks like one, else
// NAME.ferry (or NAME.toml) in the module path.
std::string find_module(const std::string& name, const std::string& from_file, const std::vector<std::string>& path,
                        std::vector<std::string>* searched) {
  std::error_code ec;  // a path that cannot be looked at (too long, no permission) is not there
  bool path_like = name.find('/') != std::string::npos || name.ends_with(".ferry") || name.ends_with(".toml");
  if (path_like) {
    fs::path p = fs::path(name).is_absolute() ? fs::path(name) : fs::path(from_file).parent_path() / name;
    searched->push_back(p.string());
    return fs::is_regular_file(p, ec) ? p.string() : "";
  }
  for (const std::string& dir : path) {
    for (const char* ext : {".ferry", ".toml"}) {
      fs::path p = fs::path(dir) / (name + ext);
      if (fs::is_regular_file(p, ec)) return p.string();
    }
    searched->push_back(dir);
  }
  return "";
}

// The key under which a module is read once, however `use` spelled its path.
std::string canonical_path(const std::string& path) {
  std::error_code ec;
  fs::path canonical = fs::weakly_canonical(path, ec);
  return ec ? path : canonical.string();
}

std::vector<std::string> available_modules(const std::vector<std::string>& path) {
  std::vector<std::string> names;
  for (const std::string& dir : path) {
    std::error_code ec;
    // increment(ec): the range-for's ++ throws when a directory cannot be read on.
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      auto ext = it->path().extension();
      if (ext == ".ferry" || ext == ".toml") names.push_back(it->path().stem().string());
    }
  }
  return names;
}

void register_templates(CompileContext& ctx, const File& file, Scope* scope, const std::string& module) {
  for (const Template& t : file.templates) {
    std::string qualified = module.empty() ? t.name : module + "." + t.name;
    if (ctx.templates.count(qualified)) {
      ctx.diags->error(t.span, "template '" + qualified + "' is defined twice")
          .notes.push_back({ctx.templates[qualified]->ast->span, "first defined here"});
      continue;
    }
    ctx.template_defs.push_back(TemplateDef{&t, qualified, scope});
    const TemplateDef* def = &ctx.template_defs.back();
    ctx.templates[qualified] = def;
    if (module.empty()) continue;
    // A bare name works too, unless two modules define it.
    auto bare = ctx.templates.find(t.name);
    if (bare == ctx.templates.end()) {
      ctx.templates[t.name] = def;
    } else if (bare->second->qualified_name != t.name) {
      ctx.ambiguous_templates.insert(t.name);
    }
  }
}

void load_uses(CompileContext& ctx, const File& file) {
  for (const Use& use : file.uses) {
    std::vector<std::string> searched;
    std::string path = find_module(use.path, file.source->path(), ctx.options.module_path, &searched);
    if (path.empty()) {
      std::string where;
      // Absolute: the module path is a setting of this machine, and a path relative to wherever
      // ferry runs from reads differently in each checkout.
      for (size_t i = 0; i < searched.size(); ++i) {
        std::error_code ec;
        fs::path absolute = fs::absolute(searched[i], ec);
        where += (i ? ", " : "") + (ec ? searched[i] : absolute.lexically_normal().string());
      }
      ctx.diags->error(use.span, "module '" + use.path + "' not found" +
                                     did_you_mean(use.path, available_modules(ctx.options.module_path)) +
                                     " (searched " + (where.empty() ? "nothing" : where) + ")");
      ctx.failed_modules.insert(use.path);
      continue;
    }
    if (!ctx.module_paths_loaded.insert(canonical_path(path)).second) continue;
    auto module = load_file(path, ctx.sources, ctx.diags, use.span);
    if (!module || module->kind != File::Kind::Module) {
      if (module) {
        ctx.diags->error(use.span, "'" + display_path(path) + "' is a plan, not a module; only modules can be used");
      }
      ctx.failed_modules.insert(use.path);
      continue;
    }
    ctx.files.push_back(std::move(*module));
    const File& loaded = ctx.files.back();
    ctx.module_names.push_back(loaded.name);
    Scope* scope = ctx.new_scope(nullptr, "");
    for (const Stmt& let : loaded.lets) {
      scope->names[let.name] = Binding{"let", let.span, std::nullopt, &let.expr, scope, nullptr, false};
    }
    load_uses(ctx, loaded);
    register_templates(ctx, loaded, scope, loaded.name);
  }
}

}  // namespace

std::vector<File> read_used_modules(const File& file, const std::vector<std::string>& module_path,
                                    SourceSet* sources) {
  std::set<std::string> seen;
  auto read_uses = [&](const File& from) {
    std::vector<File> found;
    for (const Use& use : from.uses) {
      std::vector<std::string> searched;
      std::string path = find_module(use.path, from.source->path(), module_path, &searched);
      if (path.empty() || !seen.insert(canonical_path(path)).second) continue;
      Diagnostics ignored;  // the compiler's to report
      auto module = load_file(path, sources, &ignored);
      if (module && module->kind == File::Kind::Module) found.push_back(std::move(*module));
    }
    return found;
  };
  std::vector<File> modules = read_uses(file);
  for (size_t i = 0; i < modules.size(); ++i) {
    for (File& m : read_uses(modules[i])) modules.push_back(std::move(m));
  }
  return modules;
}

bool load_modules(CompileContext& ctx) {
  const File& plan = ctx.files.front();
  size_t errors = ctx.diags->size();
  // The plan's own templates first, so they take their bare names over any module's.
  register_templates(ctx, plan, ctx.root, "");
  load_uses(ctx, plan);
  return ctx.diags->size() == errors;
}

}  // namespace ferry::dsl
