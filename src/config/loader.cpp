// load_config: read the file, expand ${VAR}, parse YAML, apply env, normalise, validate.
#include "config/loader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "config/expand.h"
#include "config/normalize.h"
#include "config/schema.h"

namespace obi::config {
namespace {

bool read_file(const std::string& path, std::string& out, std::string& error)
{
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        error = "config file '" + path + "' does not exist (given by " + "--config or OTEL_EBPF_CONFIG_PATH)";
        return false;
    }
    if (std::filesystem::is_directory(path, ec)) {
        error = "config file '" + path + "' is a directory, not a YAML file";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        error = "cannot read config file '" + path + "': " + std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    if (in.bad()) {
        error = "cannot read config file '" + path + "': " + std::strerror(errno);
        return false;
    }
    out = ss.str();
    return true;
}

// Parses the YAML text; false (with an error naming line and column) if it is malformed.
bool parse_yaml(const std::string& text, LoadContext& ctx, YAML::Node& root)
{
    try {
        root = YAML::Load(text);
        return true;
    } catch (const YAML::ParserException& e) {
        std::string file = ctx.source.empty() ? "config" : ctx.source;
        ctx.error("malformed YAML in " + file + " at line " + std::to_string(e.mark.line + 1) + ", column " +
                  std::to_string(e.mark.column + 1) + ": " + e.msg);
    } catch (const YAML::Exception& e) {
        ctx.error("malformed YAML in " + (ctx.source.empty() ? std::string("config") : ctx.source) + ": " + e.what());
    }
    return false;
}

void load(const LoadOptions& opts, const EnvLookup& env, Config& cfg, LoadContext& ctx)
{
    std::string path = opts.config_path.value_or(env_value(env, "OTEL_EBPF_CONFIG_PATH").value_or(""));
    std::string text;
    if (opts.yaml_text) {
        text = *opts.yaml_text;
        ctx.source = opts.source_name;
    } else if (!path.empty()) {
        std::string err;
        if (!read_file(path, text, err)) return ctx.error(err);
        ctx.source = path;
        cfg.config_path = path;
    }

    if (!text.empty()) {
        YAML::Node root;
        if (!parse_yaml(expand_env_refs(text, env), ctx, root)) return;
        const YAML::Node& croot = root;
        if (croot.IsMap() && croot["file_format"]) {
            return ctx.error(
                "this looks like a Config v2 file (it has a 'file_format' key), which is not supported yet; "
                "use the v1 format (top-level keys such as discovery, ebpf, otel_traces_export)" +
                ctx.where(croot["file_format"].Mark()));
        }
        apply_yaml(cfg, root, ctx);
    }
    apply_env(cfg, env, ctx);
    normalize(cfg, ctx);
    if (ctx.errors.empty()) validate(cfg, ctx);
}

}  // namespace

LoadResult load_config(const LoadOptions& options)
{
    LoadResult result;
    LoadContext ctx;
    Config cfg;
    try {
        load(options, options.env ? options.env : process_env(), cfg, ctx);
    } catch (const std::exception& e) {
        ctx.error(std::string("internal error while loading the configuration: ") + e.what());
    }
    result.errors = std::move(ctx.errors);
    result.warnings = cfg.warnings;
    if (result.errors.empty()) result.config = std::move(cfg);
    return result;
}

}  // namespace obi::config
