// Closed vocabularies of the configuration: metric features, instrumentations, samplers,
// selector entry keys and the attribute names that filters accept.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace obi::config {

const std::vector<std::string>& metric_features();      // application, network, ..., all, *
const std::vector<std::string>& instrumentation_names();  // *, http, grpc, sql, ...
const std::vector<std::string>& sampler_names();          // parentbased_always_on, ...
const std::vector<std::string>& k8s_selector_keys();      // k8s_namespace, k8s_pod_name, ...
const std::vector<std::string>& name_resolver_sources();  // k8s, kube, kubernetes, dns, rdns

// Whether `name` (OTel "a.b" or Prometheus "a_b" form) is an attribute a filter can test.
bool known_filter_attribute(std::string_view name, bool network);
// Some examples for the error message.
std::string filter_attribute_examples(bool network);

}  // namespace obi::config
