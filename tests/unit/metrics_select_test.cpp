// attributes.select: metric name normalisation, include/exclude in OTel or Prometheus form,
// globs, exact keys beating globs, narrower globs beating broader ones, old metric names.
#include <gtest/gtest.h>

#include "metrics/app_metrics.h"
#include "metrics/attribute_select.h"

using namespace obi;
using namespace obi::metrics;

namespace {

config::AttributeSelection include(std::vector<std::string> in, std::vector<std::string> ex = {})
{
    config::AttributeSelection s;
    s.include = std::move(in);
    s.exclude = std::move(ex);
    return s;
}

config::AttributeSelection exclude(std::vector<std::string> ex)
{
    config::AttributeSelection s;
    s.exclude = std::move(ex);
    return s;
}

// The attributes selected for http.server.request.duration, by key.
std::vector<std::string> http_server_selection(const std::map<std::string, config::AttributeSelection>& select)
{
    RegistryOptions o;
    o.select = select;
    MetricsRegistry reg(o);
    Instrument& i = reg.declare(http_server_duration_def());
    std::vector<std::string> keys;
    for (size_t k = 0; k < i.def().attributes.size(); k++)
        if (i.selected(k)) keys.push_back(i.def().attributes[k].key);
    return keys;
}

const std::vector<std::string> kDefaults = {"http.request.method", "http.response.status_code", "http.route",
                                            "server.address", "server.port"};

}  // namespace

TEST(AttributeSelect, NormalisesMetricNames)
{
    EXPECT_EQ(normalize_metric_name("http_server_request_duration_seconds_bucket"), "http.server.request.duration");
    EXPECT_EQ(normalize_metric_name("http_server_request_duration_seconds"), "http.server.request.duration");
    EXPECT_EQ(normalize_metric_name("http.server.request.duration"), "http.server.request.duration");
    EXPECT_EQ(normalize_metric_name("http_server_request_body_size_bytes_sum"), "http.server.request.body.size");
    EXPECT_EQ(normalize_metric_name("obi_network_flow_bytes_total"), "obi.network.flow");
    EXPECT_EQ(normalize_metric_name("http_*"), "http.*");
}

TEST(AttributeSelect, DefaultsWithoutSelection)
{
    EXPECT_EQ(http_server_selection({}), kDefaults);
}

TEST(AttributeSelect, IncludeInPrometheusFormAddsOptInAttributes)
{
    auto keys = http_server_selection({{"http_server_request_duration_seconds", include({"url_path", "http_*"})}});
    EXPECT_EQ(keys, (std::vector<std::string>{"http.request.method", "http.response.status_code", "http.route",
                                              "url.path"}));
}

TEST(AttributeSelect, ExcludeOnlyRemovesFromTheDefaults)
{
    auto keys = http_server_selection({{"http.server.request.duration", exclude({"server.*", "http_route"})}});
    EXPECT_EQ(keys, (std::vector<std::string>{"http.request.method", "http.response.status_code"}));
}

TEST(AttributeSelect, IncludeThenExcludeWithGlobs)
{
    auto keys = http_server_selection({{"http.server.*", include({"*"}, {"client.address", "server.port"})}});
    EXPECT_EQ(keys, (std::vector<std::string>{"http.request.method", "http.response.status_code", "http.route",
                                              "server.address", "url.path"}));
}

TEST(AttributeSelect, ExactKeyBeatsGlobAndNarrowGlobBeatsBroad)
{
    // "*" removes server.port everywhere; "http.server.*" adds url.path; the exact key
    // brings server.port back and removes http.route.
    std::map<std::string, config::AttributeSelection> sel = {
        {"*", exclude({"server.port"})},
        {"http.server.*", include({"url.path"})},
        {"http_server_request_duration", include({"server.port"}, {"http.route"})},
    };
    auto keys = http_server_selection(sel);
    EXPECT_EQ(keys, (std::vector<std::string>{"http.request.method", "http.response.status_code", "server.address",
                                              "server.port", "url.path"}));

    // Another metric matched only by the globs.
    RegistryOptions o;
    o.select = sel;
    MetricsRegistry reg(o);
    Instrument& size = reg.declare(http_server_request_size_def());
    EXPECT_FALSE(size.selected(4));  // server.port excluded by "*"
    EXPECT_TRUE(size.selected(5));   // url.path included by http.server.*
    EXPECT_TRUE(size.selected(0));   // defaults kept
}

TEST(AttributeSelect, OldMetricNamesSelectTheNewMetric)
{
    RegistryOptions o;
    o.select = {{"rpc_server_duration_seconds", exclude({"rpc.method"})}};
    MetricsRegistry reg(o);
    Instrument& rpc = reg.declare(rpc_server_duration_def());
    EXPECT_FALSE(rpc.selected(0));
    EXPECT_TRUE(rpc.selected(1));
}

TEST(AttributeSelect, ServiceAttributesCanBeExcluded)
{
    RegistryOptions o;
    o.flavor = Flavor::Prometheus;
    o.select = {{"http.server.request.duration", exclude({"job", "instance"})}};
    MetricsRegistry reg(o);
    auto svc = std::make_shared<ServiceInfo>();
    svc->name = "x";
    reg.declare(http_server_duration_def()).record(svc, {AttrValue::str("GET")}, 1);
    Snapshot snap = reg.collect(Temporality::Cumulative);
    std::vector<std::string> keys;
    for (const auto& a : snap.resources[0].metrics[0].points[0].attributes) keys.push_back(a.key);
    EXPECT_EQ(std::count(keys.begin(), keys.end(), "job"), 0);
    EXPECT_EQ(std::count(keys.begin(), keys.end(), "instance"), 0);
    EXPECT_EQ(std::count(keys.begin(), keys.end(), "service.name"), 1);
}

TEST(AttributeSelect, ResourceSelectionFiltersTargetInfoLabels)
{
    AttributeSelector none;
    EXPECT_TRUE(none.resource_attribute_enabled("host_id"));
    AttributeSelector sel({{"resource", exclude({"host.*"})}});
    EXPECT_FALSE(sel.resource_attribute_enabled("host_id"));
    EXPECT_FALSE(sel.resource_attribute_enabled("host.name"));
    EXPECT_TRUE(sel.resource_attribute_enabled("service_name"));
    AttributeSelector inc({{"resource", include({"service_*"})}});
    EXPECT_TRUE(inc.resource_attribute_enabled("service.namespace"));
    EXPECT_FALSE(inc.resource_attribute_enabled("os_type"));
}
