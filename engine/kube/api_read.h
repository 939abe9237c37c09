// `kubectl get ... -o json` and `-o jsonpath=TEMPLATE` answered through the cluster's `kubectl
// proxy` (api.h) instead of a kubectl process: the reads a migration makes most (backups, the
// lists a delete or scale starts from, the objects a create looks for, the polls of `wait` and
// `assert`). Only the forms whose answer is certain are taken: a kind that resolves to exactly
// one resource, names or a label selector, objects on stdin (`-f -`, json only),
// `--ignore-not-found`. The answer is what kubectl would print: a List whose items carry
// apiVersion and kind, or the one object asked for by name.
#pragma once

#include <string>
#include <vector>

#include "engine/kube/api.h"

namespace ferry::engine::kube {

// Reads what `get_args` (kubectl's args after the global flags, "-o json" optional) asks for
// into *out. False when the form is not one of those above (the caller runs kubectl); then
// *status is untouched.
bool read_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const std::string& stdin_text,
                      const CancelToken& cancel, const std::string& what, json* out, Status* status);

// The same for `get_args` with `-o jsonpath=TEMPLATE` (or `-o=`, `--output`): *out is the text
// kubectl would print, byte for byte (jsonpath.h; the template runs over a List unless one
// object is asked for by name, and nothing is printed when nothing is found with
// --ignore-not-found). False (kubectl runs) also for a template kubectl refuses or fails on, or
// whose output jsonpath.h cannot be sure of, or longer than `max_output`. A failed read is
// *status, with nothing in *out (kubectl may print what it found of several names before its
// error; callers do not read the output of a failed call).
bool read_jsonpath_through_api(const Kubectl& k, const std::vector<std::string>& get_args, const CancelToken& cancel,
                               const std::string& what, size_t max_output, std::string* out, Status* status);

}  // namespace ferry::engine::kube
