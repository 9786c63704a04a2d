// bench.js - the cost of one evaluation of each benchmark expression in the
// reference implementation, jsonata-js 2.0.6 on Node (installed by run.sh
// into bench/jsonata/peer), measured as bench_jsonata.c measures aslc's
// engine: parse once, evaluate the same input again and again (awaiting
// each evaluation, as jsonata 2.x's evaluate returns a promise), the median
// over --runs batches of about --time-ms each, after a warm-up.
//
//   node bench.js [--time-ms MS] [--runs N] [--only SUBSTR] [--c-results FILE]
//                 DOCUMENT EXPRESSIONS
//
// With --c-results (bench_jsonata's output), prints both side by side as a
// Markdown table with the ratio, and checks that both engines gave the same
// result (compared as JSON values); without it, prints its own figures.
"use strict";
const fs = require("fs");
const path = require("path");
const util = require("util");

const args = process.argv.slice(2);
const opt = { timeMs: 200, runs: 5, only: null, cResults: null, files: [] };
for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--time-ms") opt.timeMs = Number(args[++i]);
    else if (a === "--runs") opt.runs = Number(args[++i]);
    else if (a === "--only") opt.only = args[++i];
    else if (a === "--c-results") opt.cResults = args[++i];
    else opt.files.push(a);
}
if (opt.files.length !== 2 || !(opt.timeMs > 0) || !(opt.runs >= 1)) {
    console.error("usage: node bench.js [--time-ms MS] [--runs N] [--only SUBSTR] " +
                  "[--c-results FILE] DOCUMENT EXPRESSIONS");
    process.exit(2);
}
const jsonata = require(path.join(__dirname, "peer", "node_modules", "jsonata"));
const jsonataVersion = require(path.join(__dirname, "peer", "node_modules", "jsonata",
                                         "package.json")).version;
const doc = JSON.parse(fs.readFileSync(opt.files[0], "utf8"));
const list = JSON.parse(fs.readFileSync(opt.files[1], "utf8"));

const nowNs = () => Number(process.hrtime.bigint());

// n repetitions of op (which may return a promise), in ns.
async function batch(op, n, isAsync) {
    const t0 = nowNs();
    if (isAsync)
        for (let i = 0; i < n; i++) await op();
    else
        for (let i = 0; i < n; i++) op();
    return nowNs() - t0;
}

async function measure(op, timeMs, runs, isAsync) {
    const target = timeMs * 1e6;
    await batch(op, 1, isAsync);
    let n = 1, t;
    while ((t = await batch(op, n, isAsync)) < target / 4 && n < 2 ** 40) n *= 2;
    n = Math.floor(n * target / Math.max(t, 1)) + 1;
    const per = [];
    for (let r = 0; r < runs; r++) per.push(await batch(op, n, isAsync) / n);
    per.sort((a, b) => a - b);
    return per[Math.floor(runs / 2)];
}

function readC(file) {
    const rows = new Map();
    let fromJson = null;
    for (const line of fs.readFileSync(file, "utf8").split("\n")) {
        if (!line) continue;
        const f = line.split("\t");
        if (f[0] === "#from_json") { fromJson = Number(f[1]); continue; }
        if (f[1] === "error") rows.set(f[0], { error: f[3], parseNs: Number(f[2]) });
        else rows.set(f[0], { ns: Number(f[1]), parseNs: Number(f[2]),
                              result: f[3] === "undefined" ? undefined : JSON.parse(f[3]) });
    }
    return { rows, fromJson };
}

const fmt = (ns) => ns >= 1e6 ? (ns / 1e6).toFixed(2) + " ms" :
                    ns >= 1e4 ? Math.round(ns / 1e3) + " µs" :
                    ns >= 1e3 ? (ns / 1e3).toFixed(1) + " µs" : Math.round(ns) + " ns";
const ratio = (a, b) => {
    const r = a / b;
    return "×" + (r >= 100 ? r.toFixed(0) : r >= 10 ? r.toFixed(1) : r.toFixed(2));
};

(async () => {
    const c = opt.cResults ? readC(opt.cResults) : null;
    const out = [];
    for (const e of list) {
        if (opt.only && !e.name.includes(opt.only)) continue;
        const parseNs = await measure(() => jsonata(e.expr), opt.timeMs / 4, opt.runs, false);
        const expr = jsonata(e.expr);
        let result, error = null;
        try {
            result = await expr.evaluate(doc);
        } catch (err) {
            error = err.code + ": " + err.message;
        }
        const ns = error ? null : await measure(() => expr.evaluate(doc), opt.timeMs, opt.runs, true);
        out.push({ name: e.name, expr: e.expr, ns, parseNs, error,
                   result: result === undefined ? undefined : JSON.parse(JSON.stringify(result)) });
        process.stderr.write(".");
    }
    process.stderr.write("\n");

    if (!c) {
        for (const r of out)
            console.log([r.name, r.error ? "error" : r.ns.toFixed(1), r.parseNs.toFixed(1),
                         r.error || JSON.stringify(r.result)].join("\t"));
        return;
    }
    console.log("| expression | aslc per eval | jsonata-js per eval | jsonata-js ÷ aslc | " +
                "aslc parse | jsonata-js parse | same result |");
    console.log("|---|--:|--:|--:|--:|--:|---|");
    let logSum = 0, count = 0, mismatches = 0;
    for (const r of out) {
        const cr = c.rows.get(r.name);
        const code = "`" + r.expr.replace(/\|/g, "\\|") + "`";
        if (!cr) {
            console.log(`| ${code} | (not run) | ${fmt(r.ns)} | | | ${fmt(r.parseNs)} | |`);
            continue;
        }
        let same, cCell = cr.error ? "error " + cr.error.split(":")[0] : fmt(cr.ns);
        if (cr.error || r.error)
            same = (cr.error && r.error && cr.error.split(":")[0] === r.error.split(":")[0])
                ? "both fail" : "**MISMATCH**";
        else
            same = util.isDeepStrictEqual(cr.result, r.result) ? "yes" : "**MISMATCH**";
        if (same === "**MISMATCH**") mismatches++;
        const jsCell = r.error ? "error " + r.error.split(":")[0] : fmt(r.ns);
        const rat = !cr.error && !r.error ? ratio(r.ns, cr.ns) : "";
        if (rat) { logSum += Math.log(r.ns / cr.ns); count++; }
        console.log(`| ${code} | ${cCell} | ${jsCell} | ${rat} | ${fmt(cr.parseNs)} | ` +
                    `${fmt(r.parseNs)} | ${same} |`);
    }
    console.log("");
    if (count)
        console.log(`Geometric mean of jsonata-js ÷ aslc over ${count} expressions: ` +
                    `${ratio(Math.exp(logSum / count), 1)}.`);
    if (c.fromJson !== null)
        console.log(`aslc converts the ${Math.round(fs.statSync(opt.files[0]).size / 1024)} KB ` +
                    `document from jansson (jn_from_json) in ${fmt(c.fromJson)}, once per state input; ` +
                    `jsonata-js evaluates the JavaScript object as it is.`);
    console.log(`jsonata-js ${jsonataVersion} on Node ${process.version}.`);
    if (mismatches) {
        console.log(`\n!!! ${mismatches} expression(s) gave different results in the two engines.`);
        for (const r of out) {
            const cr = c.rows.get(r.name);
            if (cr && !cr.error && !r.error && !util.isDeepStrictEqual(cr.result, r.result))
                console.log(`- ${r.name}: aslc ${JSON.stringify(cr.result).slice(0, 200)}\n` +
                            `  jsonata-js ${JSON.stringify(r.result).slice(0, 200)}`);
        }
    }
})().catch((e) => { console.error(e); process.exit(1); });
