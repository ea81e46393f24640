// A small, strict parser of the Prometheus text exposition format (version 0.0.4), for tests:
// it throws on anything the format does not allow or that a correct exporter should not do
// (a sample outside a declared family, a family split in two, a repeated series, a counter not
// named *_total, non-cumulative histogram buckets, a +Inf bucket that differs from _count).
'use strict';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text, where) {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`${where}: bad value '${text}'`);
  return Number(text);
}

// Parses `{a="x",b="y"}` starting at s[i] === '{'; returns [labels, index after '}'].
function parseLabels(s, i, where) {
  const labels = {};
  ++i;
  for (;;) {
    if (s[i] === '}') return [labels, i + 1];
    const eq = s.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without '='`);
    const name = s.slice(i, eq);
    if (!LABEL.test(name) || name.startsWith('__')) throw new Error(`${where}: bad label name '${name}'`);
    if (name in labels) throw new Error(`${where}: label '${name}' twice`);
    if (s[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let j = eq + 2;
    let value = '';
    for (;;) {
      if (j >= s.length) throw new Error(`${where}: unterminated label value`);
      const c = s[j];
      if (c === '"') break;
      if (c === '\\') {
        const e = s[j + 1];
        if (e === '\\') value += '\\'; else if (e === '"') value += '"'; else if (e === 'n') value += '\n';
        else throw new Error(`${where}: bad escape '\\${e}'`);
        j += 2;
      } else {
        value += c;
        ++j;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (s[i] === ',') ++i;
    else if (s[i] !== '}') throw new Error(`${where}: expected ',' or '}' after a label`);
  }
}

function seriesKey(name, labels) {
  return name + JSON.stringify(Object.keys(labels).sort().map((k) => [k, labels[k]]));
}

// Returns { families: Map(name -> {name, type, help, samples: [{name, labels, value}]}) } with
// helpers value(name, labels) (exact label match; undefined when absent) and
// sum(name, filter) (over the samples whose labels include `filter`).
function parsePrometheusText(text) {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition does not end in a newline');
  const lines = text.split('\n');
  lines.pop();
  const families = new Map();
  const closed = new Set();
  const series = new Set();
  let current = null;
  const family = (name) => {
    if (!families.has(name)) families.set(name, { name, type: 'untyped', help: null, samples: [], typed: false });
    const f = families.get(name);
    if (current !== f) {
      if (closed.has(name)) throw new Error(`family '${name}' appears in two places`);
      if (current) closed.add(current.name);
      current = f;
    }
    return f;
  };
  lines.forEach((line, n) => {
    const where = `line ${n + 1} '${line}'`;
    if (line === '') throw new Error(`${where}: empty line`);
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return;  // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${where}: bad metric name`);
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== null) throw new Error(`${where}: second HELP`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`${where}: bad escape in HELP`);
        f.help = rest.replace(/\\(\\|n)/g, (_, e) => (e === 'n' ? '\n' : '\\'));
      } else {
        if (f.typed) throw new Error(`${where}: second TYPE`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE after samples`);
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type`);
        f.type = rest;
        f.typed = true;
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!m) throw new Error(`${where}: no metric name`);
    const name = m[1];
    let i = name.length;
    let labels = {};
    if (line[i] === '{') [labels, i] = parseLabels(line, i, where);
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const parts = line.slice(i + 1).split(' ');
    if (parts.length < 1 || parts.length > 2) throw new Error(`${where}: bad value/timestamp`);
    const value = parseValue(parts[0], where);
    if (parts.length === 2 && !/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp`);
    // The family: the name itself, or a histogram/summary's _bucket, _sum, _count.
    let fname = name;
    const suffix = /^(.*)_(bucket|sum|count)$/.exec(name);
    if (!families.has(name) && suffix && families.has(suffix[1])) fname = suffix[1];
    const f = families.get(fname);
    if (!f || !f.typed) throw new Error(`${where}: sample of an undeclared family`);
    family(fname);
    if (f.type === 'counter' && !name.endsWith('_total')) throw new Error(`${where}: counter not named *_total`);
    if (f.type === 'counter' && (value < 0 || Number.isNaN(value))) throw new Error(`${where}: negative counter`);
    if (f.type === 'histogram') {
      if (fname === name) throw new Error(`${where}: histogram sample without _bucket/_sum/_count`);
      if (name.endsWith('_bucket') && !('le' in labels)) throw new Error(`${where}: bucket without le`);
    }
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new Error(`${where}: repeated series`);
    series.add(key);
    f.samples.push({ name, labels, value });
  });
  for (const f of families.values()) {
    if (f.type === 'histogram') checkHistogram(f);
  }
  const matches = (labels, filter) => Object.entries(filter).every(([k, v]) => labels[k] === v);
  return {
    families,
    value(name, labels = {}) {
      for (const f of families.values()) {
        for (const s of f.samples) {
          if (s.name === name && seriesKey(name, s.labels) === seriesKey(name, labels)) return s.value;
        }
      }
      return undefined;
    },
    sum(name, filter = {}) {
      let total = 0;
      let found = false;
      for (const f of families.values()) {
        for (const s of f.samples) {
          if (s.name === name && matches(s.labels, filter)) { total += s.value; found = true; }
        }
      }
      if (!found) throw new Error(`no sample named ${name} matching ${JSON.stringify(filter)}`);
      return total;
    },
  };
}

// Buckets per label set: ascending le, cumulative counts, +Inf present and equal to _count.
function checkHistogram(f) {
  const groups = new Map();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = seriesKey('', rest);
    if (!groups.has(key)) groups.set(key, { buckets: [], count: undefined, sum: undefined });
    const g = groups.get(key);
    if (s.name.endsWith('_bucket')) g.buckets.push([parseValue(le, `${f.name} le`), s.value]);
    else if (s.name.endsWith('_count')) g.count = s.value;
    else g.sum = s.value;
  }
  for (const [key, g] of groups) {
    if (g.count === undefined || g.sum === undefined) throw new Error(`${f.name}${key}: _sum or _count missing`);
    if (g.buckets.length === 0 || g.buckets[g.buckets.length - 1][0] !== Infinity) throw new Error(`${f.name}${key}: no +Inf bucket last`);
    for (let i = 1; i < g.buckets.length; ++i) {
      if (!(g.buckets[i][0] > g.buckets[i - 1][0])) throw new Error(`${f.name}${key}: le not ascending`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${f.name}${key}: buckets not cumulative`);
    }
    if (g.buckets[g.buckets.length - 1][1] !== g.count) throw new Error(`${f.name}${key}: +Inf bucket != _count`);
  }
}

module.exports = { parsePrometheusText };
