# Worst stack depth of the update path, from GCC's -fcallgraph-info=su files (*.ci: the
# call graph with each function's frame size, as -fstack-usage reports it).
#   awk -v roots=A,B -v indirect='file.c=f,g;other.c=h' -f stack_depth.awk *.ci
# Sums frame sizes along every call chain from the roots and prints the deepest:
# "<bytes> <root> > ... > <leaf>". Static functions are named "file.c:name". Calls
# through a function pointer are resolved with `indirect`: an indirect call made in
# file.c may reach each function listed for it (the callbacks the update path installs).
# Functions without a .ci (ESP-IDF, mbedTLS, libc) count 0 bytes; recursion is cut.
# -v per_call=N adds N bytes to every frame (an ABI's save area the .su omits).
function short(t) {
    gsub(/"/, "", t)
    if (t ~ /^\//) sub(/^.*\//, "", t)  # /path/to/file.c:func -> file.c:func
    return t
}
function field(line, key,    i, s) {
    i = index(line, key ": \"")
    if (i == 0) return ""
    s = substr(line, i + length(key) + 3)
    return substr(s, 1, index(s, "\"") - 1)
}
/^node:/ {
    t = short(field($0, "title"))
    lab = field($0, "label")
    if (match(lab, /[0-9]+ bytes/)) {
        frame[t] = substr(lab, RSTART, RLENGTH) + 0
        known[t] = 1
    }
}
/^edge:/ {
    s = short(field($0, "sourcename"))
    d = short(field($0, "targetname"))
    if (d == "__indirect_call") {
        f = FILENAME
        sub(/^.*\//, "", f)
        sub(/\.ci$/, "", f)
        d = "@indirect:" f
    }
    adj[s] = adj[s] " " d
}
function depth(n, path,    list, cnt, i, best, d, bp) {
    if (onpath[n]) return 0
    onpath[n] = 1
    best = 0
    bp = ""
    cnt = split(adj[n], list, " ")
    for (i = 1; i <= cnt; i++) {
        d = depth(list[i])
        if (d > best || bp == "") { best = d; bp = chain[list[i]] }
    }
    onpath[n] = 0
    chain[n] = (n ~ /^@indirect/ ? "" : n) (bp != "" && n !~ /^@indirect/ ? " > " : "") bp
    return best + frame[n] + (known[n] ? per_call : 0)
}
END {
    np = split(indirect, groups, ";")
    for (g = 1; g <= np; g++) {
        split(groups[g], kv, "=")
        nc = split(kv[2], cbs, ",")
        for (c = 1; c <= nc; c++) {
            if (!known[cbs[c]]) {
                print "stack_depth.awk: callback " cbs[c] " not found in the call graph" > "/dev/stderr"
                bad = 1
            }
            adj["@indirect:" kv[1]] = adj["@indirect:" kv[1]] " " cbs[c]
        }
    }
    nr = split(roots, r, ",")
    worst = -1
    for (i = 1; i <= nr; i++) {
        if (!known[r[i]]) {
            print "stack_depth.awk: root " r[i] " not found in the call graph" > "/dev/stderr"
            bad = 1
            continue
        }
        d = depth(r[i])
        if (d > worst) { worst = d; wchain = chain[r[i]] }
    }
    if (bad) exit 1
    print worst, wchain
}
