#!/bin/bash
# The layering of libaslrt: the graph "file A calls (or reads) a symbol
# defined in file B", read with nm from the library's built objects, must
# have no cycle.  Every object whose path under runtime/ contains "jsonata"
# is one node, jsonata (the engine is a library of its own; its inner
# layering is its own business).  On a cycle, names it with the symbols of
# each edge and fails.
#
# The intended layers, each calling only those below it:
#   exec <- invoke, fanout, recover (the generated code calls their ops;
#           an item processor's Map calls the Map op again through the
#           generated code's function pointers, not a file cycle)
#   task (dispatch) -> task_worker, task_http -> proc -> text -> json, util
#
# Usage: tests/layering.sh [-v]   (-v prints every edge first)
# Run from a build: top_builddir (default: the source tree) holds runtime/.
set -u
verbose=0
[ "${1:-}" = -v ] && verbose=1
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
# NM may carry options (libtool sets "nm -B"): the program alone
nm=${NM:-nm}
nm=${nm%% *}

# libtool leaves the objects in runtime/ (static) and runtime/.libs/
# (shared, PIC), in subfolders for sources in subfolders; one copy each.
objs=$(cd "$builddir/runtime" 2>/dev/null &&
       find . -name 'libaslrt_internal_la-*.o' | sed 's|^\./||' | sort)
if [ -z "$objs" ]; then
    echo "FAIL: no libaslrt objects under $builddir/runtime (build the library first)"
    exit 1
fi
# Objects of sources that left the library may linger in a build tree:
# with the static library at hand, only its members count.
members=
if [ -f "$builddir/.libs/libaslrt-internal.a" ]; then
    members=" $(${AR:-ar} t "$builddir/.libs/libaslrt-internal.a" | tr '\n' ' ')"
fi

# One line per symbol: "D node symbol" for a definition, "U node symbol" for
# a reference.
table=$(
    seen=" "
    for o in $objs; do
        key=${o//.libs\//}
        case "$seen" in *" $key "*) continue ;; esac
        if [ -n "$members" ]; then
            case "$members" in *" ${o##*/} "*) ;; *) continue ;; esac
        fi
        seen="$seen$key "
        case "$o" in
        *jsonata*) node=jsonata ;;
        *) node=${o##*/}; node=${node#libaslrt_internal_la-}; node=${node%.o} ;;
        esac
        "$nm" -P "$builddir/runtime/$o" | awk -v n="$node" '
            $2 == "U" { print "U", n, $1; next }
            $2 ~ /^[TDRBVWGSi]$/ { print "D", n, $1 }'
    done
)
if [ -z "$table" ]; then
    echo "FAIL: $nm printed no symbols for the libaslrt objects"
    exit 1
fi

printf '%s\n' "$table" | awk -v verbose="$verbose" '
$1 == "D" { def[$3] = $2; nodes[$2] = 1; next }
{ use[++nu] = $2 SUBSEP $3 }
END {
    for (k = 1; k <= nu; k++) {
        split(use[k], p, SUBSEP)
        a = p[1]; s = p[2]
        if (!(s in def) || def[s] == a)
            continue
        b = def[s]
        if (!((a, b) in syms)) {
            out[a] = out[a] " " b
            nedges++
        }
        if (!((a, b, s) in seen_sym)) {
            seen_sym[a, b, s] = 1
            syms[a, b] = syms[a, b] " " s
        }
    }
    if (verbose) {
        n = 0
        for (a in out) {
            m = split(out[a], t, " ")
            for (j = 1; j <= m; j++)
                line[++n] = a " -> " t[j] ":" syms[a, t[j]]
        }
        # insertion sort: a few dozen edges
        for (i = 2; i <= n; i++) {
            x = line[i]
            for (j = i - 1; j >= 1 && line[j] > x; j--)
                line[j + 1] = line[j]
            line[j + 1] = x
        }
        for (i = 1; i <= n; i++)
            print line[i]
    }
    # Depth-first search; an edge to a node on the stack closes a cycle.
    cycles = 0
    for (start in nodes) {
        if (color[start])
            continue
        depth = 1; stack[1] = start; color[start] = 1
        m = split(out[start], t, " "); for (j = 1; j <= m; j++) kids[1, j] = t[j]
        nk[1] = m; next_kid[1] = 1
        while (depth > 0) {
            v = stack[depth]
            if (next_kid[depth] > nk[depth]) {
                color[v] = 2; depth--
                continue
            }
            w = kids[depth, next_kid[depth]++]
            if (color[w] == 1) {
                printf "FAIL: cycle %s\n", path_of(depth, w)
                cycles++
            } else if (!color[w]) {
                color[w] = 1; depth++; stack[depth] = w
                m = split(out[w], t, " "); for (j = 1; j <= m; j++) kids[depth, j] = t[j]
                nk[depth] = m; next_kid[depth] = 1
            }
        }
    }
    if (cycles)
        exit 1
    printf "PASS: %d files, %d edges, no cycle\n", length(nodes), nedges
}
# "a -> b -> a", with the symbols each edge uses.
function path_of(d, w,    k, r, from, to) {
    for (k = d; k >= 1 && stack[k] != w; k--) ;
    r = w
    for (; k <= d; k++) {
        from = stack[k]; to = k < d ? stack[k + 1] : w
        r = r " -> " to " (" substr(syms[from, to], 2) ")"
    }
    return r
}'
