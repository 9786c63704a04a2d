#!/bin/sh
# tests/modules.sh - the modules aslc loads (aslc_serve.so, aslc_llvm.so)
# find every symbol they take from outside: in aslc's dynamic symbol table
# (it is linked with -export-dynamic and every object of libaslc and the
# runtime) or in a library aslc or the module maps.  A symbol missing here
# would make `aslc serve` or --backend=llvm fail to load, on the day a
# module first calls a function aslc itself does not.  Also: aslc itself
# maps neither libmicrohttpd nor LLVM.
set -u
top=${top_builddir:-.}
aslc=$top/aslc
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok: $1"; }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; }

libs_of() { ldd "$1" | awk '/=>/ { print $3 }'; }
defined() {
    { nm -D --defined-only "$aslc"; for l in $(libs_of "$aslc") $(libs_of "$1"); do
        nm -D --defined-only "$l" 2>/dev/null; done; } | awk '{ print $3 }' | sed 's/@.*//' | sort -u
}

for m in "$top/.libs/aslc_serve.so" "$top/.libs/aslc_llvm.so"; do
    [ -f "$m" ] || { echo "skip: $m not built"; continue; }
    und=$(mktemp) def=$(mktemp)
    nm -D --undefined-only "$m" | awk '{ print $2 }' | sed 's/@.*//' | grep -v '^_' | sort -u >"$und"
    defined "$m" >"$def"
    missing=$(comm -23 "$und" "$def")
    if [ -z "$missing" ]; then
        ok "$(basename "$m"): its $(wc -l <"$und") outside symbols are all defined"
    else
        bad "$(basename "$m") needs what nothing defines: $(echo $missing)"
    fi
    exported=$(nm -D --defined-only "$m" | awk '$2 != "A" { print $3 }' | sed 's/@.*//')
    case $(basename "$m") in
        aslc_serve.so) want=asl_serve_main ;;
        aslc_llvm.so) want=asl_llvm_module ;;
    esac
    if [ "$(echo $exported)" = "$want" ]; then
        ok "$(basename "$m") exports $want alone"
    else
        bad "$(basename "$m") exports: $(echo $exported)"
    fi
    rm -f "$und" "$def"
done

if ldd "$aslc" | grep -q -E 'libmicrohttpd|libLLVM|libsqlite3|libgnutls'; then
    bad "aslc maps a module's library: $(ldd "$aslc" | grep -E -o 'lib(microhttpd|LLVM|sqlite3|gnutls)[^ ]*' | tr '\n' ' ')"
else
    ok "aslc maps neither libmicrohttpd, SQLite, GnuTLS nor LLVM"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
