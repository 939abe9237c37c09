// What a patch's rollback needs: the prior values of exactly the paths a patch touches, and
// the JSON patch that puts them back. Pure functions over JSON, so they are unit-tested alone.
#pragma once

#include <nlohmann/json.hpp>

namespace ferry::engine::kube {

using json = nlohmann::json;

// The paths a merge patch (RFC 7386) or a JSON patch (RFC 6902) touches in `object`, each with
// its prior value: [{"path": "/spec/pausedUntil", "absent": true}, {"path": "/spec/x", "value": 1}].
// A merge patch touches its leaves, and a whole subtree where `object` has no object to merge
// into; an operation inside an array records the whole array (indices shift). Paths inside
// another recorded path are dropped. Exactly one of `merge` and `json_patch` is non-null.
json touched_paths(const json& object, const json& merge, const json& json_patch);

// The values `object` has at the paths of `paths` (touched_paths' answer), by path:
// {"/spec/pausedUntil": "true"}; a path `object` lacks is left out.
json values_at(const json& object, const json& paths);

// A JSON patch that turns `current` back into the prior values recorded in `paths` (touched_paths'
// answer), leaving every other field alone; empty when nothing differs.
json restore_patch(const json& current, const json& paths);

}  // namespace ferry::engine::kube
