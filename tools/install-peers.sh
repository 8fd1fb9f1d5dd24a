#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo talk to, only those missing: NUT's upsd and dummy-ups
# (nut-server), upsc (nut-client), certutil for upsd's NSS certificate store (libnss3-tools), openssl, the SNMP
# agent simulator snmpsimd (snmpsim) and Net-SNMP's snmpget (snmp).
set -euo pipefail

need=()
[ -x /lib/nut/upsd ] && [ -x /lib/nut/dummy-ups ] || need+=(nut-server)
command -v upsc >/dev/null || need+=(nut-client)
command -v certutil >/dev/null || need+=(libnss3-tools)
command -v openssl >/dev/null || need+=(openssl)
[ -x /usr/bin/snmpsimd ] || need+=(snmpsim)
command -v snmpget >/dev/null || need+=(snmp)
[ -x /usr/sbin/nginx ] || need+=(nginx) # the TLS reverse proxy of SECURITY.md (test/e2e/nginx-proxy)
[ -x /usr/bin/chromium ] || need+=(chromium) # the editor tests drive it with playwright-core (test/e2e/editor.browser)

[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "missing Debian packages: ${need[*]} (run as root, or: sudo apt-get install -y ${need[*]})" >&2
  exit 1
fi
echo "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
