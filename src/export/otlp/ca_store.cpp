// system_ca_file: SSL_CERT_FILE first, then the usual distribution paths.
#include "export/otlp/ca_store.h"

#include <unistd.h>

#include <cstdlib>

namespace obi::otlp {

std::string system_ca_file()
{
    if (const char* env = std::getenv("SSL_CERT_FILE"); env && *env && access(env, R_OK) == 0) return env;
    for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                          "/etc/ssl/ca-bundle.pem", "/etc/pki/tls/cacert.pem", "/etc/ssl/cert.pem"})
        if (access(p, R_OK) == 0) return p;
    return "";
}

}  // namespace obi::otlp
