// libFuzzer target: the HTTP/1 handler on arbitrary byte streams.
#include "fuzz_driver.h"
#include "protocols/http1/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::http1::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
