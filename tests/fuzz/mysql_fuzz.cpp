// libFuzzer target: the MySQL/MariaDB detector and handler on arbitrary byte streams.
#include "fuzz_driver.h"
#include "protocols/mysql/conn_handler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static const obi::conntrack::ProtocolDef def = obi::mysql::protocol_def();
    obi::fuzz::drive(def, data, size);
    return 0;
}
