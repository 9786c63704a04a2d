#!/usr/bin/env python3
"""bench/compile/gen.py - the generated definitions of the compile-cost part of
bench/run.py: the same shapes at 10, 100 and 1,000 states.

    python3 bench/compile/gen.py pass|choice N OUTDIR   # writes OUTDIR/<shape>_N.{asl,input,expected}.json

pass:   N Pass states in a chain, each with Parameters and ResultPath, shaped
        like workload a (a_pass_chain_1000): N transitions.
choice: N - 2 Choice states in a chain, then a Succeed ("Done") and a Fail
        ("Rejected").  Every Choice state tests five rules that do not
        match, of the kinds a real router tests: a numeric comparison, a
        string pattern, And/Or/Not with IsPresent, a timestamp and a
        path-to-path comparison, then goes on through its Default.  Much
        generated C per state, little work at run time: N - 1 transitions.

Python 3 standard library only.
"""
import json
import os
import sys

PAYLOAD = {'id': 'bench', 'values': [1, 2, 3, 4, 5], 'nested': {'x': 1, 'y': 'two'}}


def pass_chain(n):
    """(definition, input, expected output, transitions) for a chain of n Pass states."""
    states = {}
    w = max(4, len(str(n)))
    for k in range(1, n + 1):
        st = {'Type': 'Pass',
              'Parameters': {'step': k, 'prev.$': '$.last.step', 'payload.$': '$.payload'},
              'ResultPath': '$.last'}
        if k < n:
            st['Next'] = 'P%0*d' % (w, k + 1)
        else:
            st['End'] = True
        states['P%0*d' % (w, k)] = st
    defn = {'Comment': 'aslc bench: chain of %d Pass states' % n, 'StartAt': 'P%0*d' % (w, 1),
            'States': states}
    expected = {'last': {'step': n, 'prev': n - 1, 'payload': PAYLOAD}, 'payload': PAYLOAD}
    return defn, {'last': {'step': 0}, 'payload': PAYLOAD}, expected, n


def choice_chain(n):
    """(definition, input, expected output, transitions) for n states: n - 2
    Choice states in a chain, a Succeed and a Fail."""
    if n < 3:
        raise ValueError('a choice chain needs at least 3 states')
    states = {}
    w = max(4, len(str(n)))
    nchoice = n - 2
    for k in range(1, nchoice + 1):
        nxt = 'C%0*d' % (w, k + 1) if k < nchoice else 'Done'
        states['C%0*d' % (w, k)] = {
            'Type': 'Choice',
            'Choices': [
                {'Variable': '$.order.total', 'NumericGreaterThan': 1000000 + k, 'Next': 'Rejected'},
                {'Variable': '$.order.customer', 'StringMatches': 'blocked-%d-*' % k, 'Next': 'Rejected'},
                {'And': [{'Variable': '$.order.express', 'IsPresent': True},
                         {'Or': [{'Variable': '$.order.region', 'StringEquals': 'r%d' % k},
                                 {'Not': {'Variable': '$.order.items[0].qty', 'NumericGreaterThanEquals': 1}}]}],
                 'Next': 'Rejected'},
                {'Variable': '$.order.placed', 'TimestampLessThan': '2001-01-01T00:00:%02dZ' % (k % 60),
                 'Next': 'Rejected'},
                {'Variable': '$.order.total', 'NumericGreaterThanPath': '$.limits.max', 'Next': 'Rejected'},
            ],
            'Default': nxt,
        }
    states['Done'] = {'Type': 'Succeed'}
    states['Rejected'] = {'Type': 'Fail', 'Error': 'Order.Rejected', 'Cause': 'a rule matched'}
    defn = {'Comment': 'aslc bench: chain of %d Choice states' % nchoice, 'StartAt': 'C%0*d' % (w, 1),
            'States': states}
    inp = {'order': {'total': 120.5, 'customer': 'acme', 'express': True, 'region': 'eu-west-1',
                     'items': [{'sku': 'a', 'qty': 2}], 'placed': '2026-11-28T12:00:00Z'},
           'limits': {'max': 5000}}
    return defn, inp, inp, nchoice + 1


SHAPES = {'pass': pass_chain, 'choice': choice_chain}


def write(shape, n, outdir):
    """Writes outdir/<shape>_<n>.asl.json, .input.json, .expected.json; returns
    (definition path, input path, expected value, transitions)."""
    defn, inp, expected, transitions = SHAPES[shape](n)
    stem = os.path.join(outdir, '%s_%d' % (shape, n))
    for suffix, value, indent in (('.asl.json', defn, 2), ('.input.json', inp, None),
                                  ('.expected.json', expected, None)):
        with open(stem + suffix, 'w') as f:
            json.dump(value, f, indent=indent)
            f.write('\n')
    return stem + '.asl.json', stem + '.input.json', expected, transitions


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in SHAPES or not sys.argv[2].isdigit():
        sys.exit('usage: gen.py pass|choice N OUTDIR')
    os.makedirs(sys.argv[3], exist_ok=True)
    print(write(sys.argv[1], int(sys.argv[2]), sys.argv[3])[0])


if __name__ == '__main__':
    main()
