#!/bin/bash
# The layering of the libraries, read with nm from their built objects: the
# graph "file A calls (or reads) a symbol defined in file B" must have no
# cycle.  Two graphs, checked one after the other:
#
#   libaslrt  the runtime's files.  Every object whose path under runtime/
#             contains "jsonata" is one node, jsonata (the engine is a
#             library of its own; its inner layering is its own business).
#   libaslc   the compiler's files (and backend_llvm.c's libaslc_llvm when
#             configure --with-llvm built it), with the whole runtime as
#             one node, runtime, below them: the compiler may call the
#             runtime, the runtime never calls the compiler.
#
# On a cycle, names it with the symbols of each edge and fails; an edge out
# of the runtime node into a compiler file fails the same way.
#
# The intended layers, each calling only those below it:
#   runtime:
#     exec <- invoke, fanout, recover (the generated code calls their ops;
#             an item processor's Map calls the Map op again through the
#             generated code's function pointers, not a file cycle)
#     task (dispatch) -> task_worker, task_http -> proc -> text -> json, util
#     invoke -> nested (child executions) -> exec, task, callback; exec
#             waits for the children through a function pointer
#   compiler:
#     graph, lower, validate -> parse -> unit -> diag -> srcmap
#     emit_c -> emit_jsonata -> ctext (C literals, comments, identifiers)
#     backend_llvm -> build; build and backend_tcc call only the runtime
#     every compiler file -> runtime (allocation, JSONata and path parsers)
#
# Usage: tests/layering.sh [-v]   (-v prints every edge first, under a line
# naming its graph)
# Run from a build: top_builddir (default: the source tree) holds runtime/,
# compiler/ and .libs/.
set -u
verbose=0
[ "${1:-}" = -v ] && verbose=1
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
builddir=${top_builddir:-$srcdir}
# NM may carry options (libtool sets "nm -B"): the program alone
nm=${NM:-nm}
nm=${nm%% *}

# symbols DIR PATTERN NODE ARCHIVE...: one line per symbol of the objects
# named PATTERN under $builddir/DIR, "D node symbol" for a definition and
# "U node symbol" for a reference.  NODE names each object's node: "file"
# (its source file's name), "jsonata" (the file's name, or jsonata for the
# engine's files and aws for the AWS services layer's) or any other word
# (every object that one node).  libtool
# leaves the objects in DIR (static) and DIR/.libs (shared, PIC), in
# subfolders for sources in subfolders: one copy each.  Objects of sources
# that left a library may linger in a build tree: with the static
# libraries at hand (the ARCHIVEs that exist), only their members count.
# Prints nothing when there is no such object.
symbols() {
    local dir=$1 pattern=$2 naming=$3 members= a o key node seen=" "
    shift 3
    for a in "$@"; do
        [ -f "$builddir/$a" ] &&
            members="$members $(${AR:-ar} t "$builddir/$a" | tr '\n' ' ')"
    done
    [ -n "$members" ] && members="$members "
    for o in $(cd "$builddir/$dir" 2>/dev/null &&
               find . -name "$pattern" | sed 's|^\./||' | sort); do
        key=${o//.libs\//}
        case "$seen" in *" $key "*) continue ;; esac
        if [ -n "$members" ]; then
            case "$members" in *" ${o##*/} "*) ;; *) continue ;; esac
        fi
        seen="$seen$key "
        node=${o##*/}; node=${node#*_la-}; node=${node%.o}
        case "$naming" in
        file) ;;
        jsonata) case "$o" in *jsonata*) node=jsonata ;; aws/*) node=aws ;; esac ;;
        *) node=$naming ;;
        esac
        "$nm" -P "$builddir/$dir/$o" | awk -v n="$node" '
            $2 == "U" { print "U", n, $1; next }
            $2 ~ /^[TDRBVWGSi]$/ { print "D", n, $1 }'
    done
}

# check NAME BOTTOM: reads a symbol table on stdin and prints the graph's
# cycles (and with BOTTOM, a node's edges out of BOTTOM), or one PASS
# line.  Fails on any.
check() {
    awk -v verbose="$verbose" -v graph="$1" -v bottom="$2" '
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
        print graph ":"
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
    cycles = 0
    # The bottom node calls nothing above it.
    if (bottom != "" && (bottom in out)) {
        m = split(out[bottom], t, " ")
        for (j = 1; j <= m; j++) {
            printf "FAIL: %s calls up in %s: %s -> %s (%s)\n", bottom, graph, bottom, t[j],
                   substr(syms[bottom, t[j]], 2)
            cycles++
        }
    }
    # Depth-first search; an edge to a node on the stack closes a cycle.
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
                printf "FAIL: cycle in %s: %s\n", graph, path_of(depth, w)
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
    printf "PASS: %d files, %d edges, no cycle in %s\n", length(nodes), nedges, graph
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
}

# libaslrt
runtime=$(symbols runtime 'libaslrt_internal_la-*.o' jsonata .libs/libaslrt-internal.a)
if [ -z "$runtime" ]; then
    echo "FAIL: no libaslrt objects (or no symbols) under $builddir/runtime (build the library first)"
    exit 1
fi
status=0
printf '%s\n' "$runtime" | check libaslrt "" || status=1

# libaslc over the runtime as one node
compiler=$(symbols compiler 'libaslc_la-*.o' file .libs/libaslc.a
           symbols compiler 'libaslc_llvm_la-*.o' file .libs/libaslc_llvm.a)
if [ -z "$compiler" ]; then
    echo "FAIL: no libaslc objects (or no symbols) under $builddir/compiler (build the library first)"
    exit 1
fi
{
    printf '%s\n' "$compiler"
    printf '%s\n' "$runtime" | awk '{ print $1, "runtime", $3 }'
} | check libaslc runtime || status=1
exit $status
