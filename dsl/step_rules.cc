#include "dsl/step_rules.h"

#include "dsl/step_types.h"

namespace ferry::dsl {

bool is_destructive(const IrStep& step) {
  const StepSchema* schema = find_step_schema(step.type);
  if (!schema || !schema->destructive) return false;
  if (step.type != "scale") return true;
  auto replicas = step.args.find("replicas");
  return replicas == step.args.end() || !replicas->is_number_integer() || *replicas == 0;
}

}  // namespace ferry::dsl
