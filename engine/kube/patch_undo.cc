#include "engine/kube/patch_undo.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ferry::engine::kube {
namespace {

using ptr = json::json_pointer;

json record(const json& object, const ptr& p) {
  if (object.contains(p)) return {{"path", p.to_string()}, {"value", object.at(p)}};
  return {{"path", p.to_string()}, {"absent", true}};
}

void walk_merge(const json& object, const json& patch, const ptr& at, std::vector<ptr>* out) {
  for (const auto& [key, value] : patch.items()) {
    ptr p = at / key;
    if (value.is_object() && object.contains(p) && object.at(p).is_object()) {
      walk_merge(object, value, p, out);
    } else {
      out->push_back(p);
    }
  }
}

// The path an operation changes, widened to its array when it points inside one.
ptr widen(const json& object, ptr p) {
  for (ptr q = p; !q.empty(); q = q.parent_pointer()) {
    ptr parent = q.parent_pointer();
    if (object.contains(parent) && object.at(parent).is_array()) p = parent;
  }
  return p;
}

bool inside(const std::string& path, const std::string& outer) {
  return path.size() > outer.size() && path.compare(0, outer.size(), outer) == 0 && path[outer.size()] == '/';
}

}  // namespace

json touched_paths(const json& object, const json& merge, const json& json_patch) {
  std::vector<ptr> paths;
  if (!merge.is_null()) {
    if (merge.is_object()) {
      walk_merge(object, merge, ptr(), &paths);
    } else {
      paths.push_back(ptr());  // a non-object merge patch replaces the whole document
    }
  }
  if (json_patch.is_array()) {
    for (const json& op : json_patch) {
      const std::string kind = op.value("op", "");
      if (kind == "test") continue;
      paths.push_back(widen(object, ptr(op.value("path", ""))));
      if (kind == "move") paths.push_back(widen(object, ptr(op.value("from", ""))));
    }
  }
  std::vector<std::string> texts;
  for (const ptr& p : paths) texts.push_back(p.to_string());
  std::sort(texts.begin(), texts.end());
  texts.erase(std::unique(texts.begin(), texts.end()), texts.end());
  json out = json::array();
  std::vector<std::string> kept;
  for (const std::string& t : texts) {
    bool within = std::any_of(kept.begin(), kept.end(),
                              [&](const std::string& k) { return k.empty() || inside(t, k); });
    if (within) continue;  // its prior value is part of a recorded subtree's
    out.push_back(record(object, ptr(t)));
    kept.push_back(t);
  }
  return out;
}

json values_at(const json& object, const json& paths) {
  json out = json::object();
  for (const json& entry : paths) {
    std::string path = entry.value("path", "");
    if (ptr p(path); object.contains(p)) out[path] = object.at(p);
  }
  return out;
}

json restore_patch(const json& current, const json& paths) {
  json target = current;
  for (const json& entry : paths) {
    ptr p(entry.value("path", ""));
    if (entry.value("absent", false)) {
      if (p.empty() || !target.contains(p)) continue;
      json& parent = target.at(p.parent_pointer());
      if (parent.is_object()) parent.erase(p.back());
      else if (parent.is_array()) parent.erase(std::stoul(p.back()));
    } else {
      target[p] = entry.at("value");  // creates missing parents as objects
    }
  }
  return json::diff(current, target);
}

}  // namespace ferry::engine::kube
