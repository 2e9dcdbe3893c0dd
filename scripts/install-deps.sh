#!/usr/bin/env bash
# Installs every Debian package the build, the demo and the tests need (idempotent, quiet).
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-deps: run as root (apt-get needs it)" >&2; exit 1; }

BUILD_PKGS=(cmake ninja-build pkg-config g++ clang-19 llvm-19 bpftool libbpf-dev libelf-dev zlib1g-dev libcapstone-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc libcurl4-openssl-dev libcpp-httplib-dev libnghttp2-dev)
# Real peers for the integration tests and the benchmark (servers, clients, runtimes).
TEST_PKGS=(python3-minimal python3-pytest nginx curl wrk golang-go gcc procps iproute2 prometheus openssl libclang-rt-19-dev
  nghttp2-client nghttp2-server python3-h2 python3-grpcio python3-protobuf python3-grpc-tools
  golang-google-grpc-dev golang-goprotobuf-dev golang-google-protobuf-dev
  postgresql python3-psycopg2 mariadb-server mariadb-client python3-pymysql python3-mysqldb python3-asyncpg python3-psycopg
  redis-server redis-tools python3-redis mosquitto mosquitto-clients python3-paho-mqtt
  kcat python3-kafka python3-confluent-kafka python3-pymongo python3-mockupdb
  dnsmasq-base bind9-dnsutils python3-dnspython socat netcat-openbsd)

want=()
for p in "${BUILD_PKGS[@]}" ${OBI_INSTALL_TEST_DEPS:+"${TEST_PKGS[@]}"}; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || want+=("$p")
done
# Node and a JDK come preinstalled (from other sources) on our machines; install Debian's
# only where they are missing.
if [ -n "${OBI_INSTALL_TEST_DEPS:-}" ]; then
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v javac >/dev/null 2>&1 || want+=(default-jdk-headless)
fi
if [ "${#want[@]}" -gt 0 ]; then
  echo "install-deps: installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
fi
