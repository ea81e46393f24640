// Section 6, UTF-8 Handling: valid text in zero-length fragments (6.1), split on and inside code
// points (6.2); invalid text unfragmented and in 1-byte fragments (6.3); fail-fast (6.4: the
// connection must fail on the frame or the TCP write that makes the text invalid, before the rest
// of the message is sent); and Markus Kuhn's UTF-8 decoder stress sequences (6.5-6.23), each sent
// as one text message. Section U (ringcast's own) sends every 6.5-6.23 sequence again in 1-byte
// fragments and as one frame in 1-byte TCP writes, so each invalid sequence is also seen split
// across fragments and across reads.
'use strict';

const { OP, encodeFrame, hex, message, timeout, NORMAL, FAIL_UTF8, fragmentFrames } = require('./common');

const KOSME = hex('cebae1bdb9cf83cebcceb5'); // "κόσμε"

// Markus Kuhn's UTF-8-test.txt sequences as grouped by Autobahn (6.5 to 6.23): [title, [valid, bytes]...].
function stressGroups() {
  const groups = [];
  const group = (title, list) => groups.push([title, list]);
  const valid = (h) => [true, hex(h)];
  const invalid = (h) => [false, hex(h)];
  const ascii = (s) => Buffer.from(s, 'latin1');

  group('Some valid UTF-8 sequences', [
    [true, Buffer.concat([ascii('hello'), hex('24'), ascii('world')])],
    [true, Buffer.concat([ascii('hello'), hex('c2a2'), ascii('world')])],
    [true, Buffer.concat([ascii('hello'), hex('e282ac'), ascii('world')])],
    [true, Buffer.concat([ascii('hello'), hex('f0a4ada2'), ascii('world')])],
    [true, KOSME],
  ]);
  // Every prefix of KOSME; valid exactly when it ends on a code point boundary.
  const ends = new Set([2, 5, 7, 9, 11]);
  group('All prefixes of a valid UTF-8 string that contains multi-byte code points',
    Array.from({ length: KOSME.length }, (_, i) => [ends.has(i + 1), KOSME.subarray(0, i + 1)]));
  group('First possible sequence of a certain length', ['00', 'c280', 'e0a080', 'f0908080'].map(valid));
  group('First possible sequence length 5/6 (invalid codepoints)', ['f888808080', 'fc8480808080'].map(invalid));
  group('Last possible sequence of a certain length', ['7f', 'dfbf', 'efbfbf', 'f48fbfbf'].map(valid));
  group('Last possible sequence length 4/5/6 (invalid codepoints)', ['f7bfbfbf', 'fbbfbfbfbf', 'fdbfbfbfbfbf'].map(invalid));
  group('Other boundary conditions', [...['ed9fbf', 'ee8080', 'efbfbd', 'f48fbfbf'].map(valid), invalid('f4908080')]);
  const cont = Buffer.from(Array.from({ length: 0xbf - 0x80 }, (_, i) => 0x80 + i)); // 0x80..0xbe
  group('Unexpected continuation bytes',
    [...['80', 'bf', '80bf', '80bf80', '80bf80bf', '80bf80bf80', '80bf80bf80bf'].map(invalid), [false, cont]]);
  const lonely = [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]].map(([lo, hi]) => {
    const bytes = [];
    for (let b = lo; b < hi; b++) bytes.push(b, 0x20);
    return [false, Buffer.from(bytes)];
  });
  group('Lonely start characters', lonely);
  const missing = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'];
  group('Sequences with last continuation byte missing', missing.map(invalid));
  group('Concatenation of incomplete sequences', [invalid(missing.join(''))]);
  group('Impossible bytes', ['fe', 'ff', 'fefeffff'].map(invalid));
  group('Examples of an overlong ASCII character', ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map(invalid));
  group('Maximum overlong sequences', ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map(invalid));
  group('Overlong representation of the NUL character', ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map(invalid));
  group('Single UTF-16 surrogates', ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map(invalid));
  const highs = ['eda080', 'edadbf', 'edae80', 'edafbf'];
  group('Paired UTF-16 surrogates', highs.flatMap((h) => [invalid(h + 'edb080'), invalid(h + 'edbfbf')]));
  // Non-characters are valid UTF-8 (RFC 3629): EF BF BE/BF and F0-F4 xF BF BE/BF below U+110000.
  const nonChars = ['efbfbe', 'efbfbf'];
  for (const z1 of ['f0', 'f1', 'f2', 'f3', 'f4']) {
    for (const z2 of ['8f', '9f', 'af', 'bf']) {
      if (z1 === 'f4' && z2 !== '8f') continue; // above U+10FFFF
      if (z1 === 'f0' && z2 === '8f') continue; // overlong
      for (const z3 of ['be', 'bf']) nonChars.push(z1 + z2 + 'bf' + z3);
    }
  }
  group('Non-character code points (valid UTF-8)', nonChars.map(valid));
  group('Unicode specials (i.e. replacement char)',
    ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map(valid));
  return groups;
}

function describe(bytes) {
  return bytes.length <= 40 ? `0x${bytes.toString('hex')}` : `${bytes.length} bytes`;
}

// A text message `frames` (encoded) that is valid (echo) or not (1007).
function textCase(id, desc, frames, payload, isValid, how = {}) {
  return {
    id,
    desc,
    utf8: !isValid,
    run: async (c) => {
      for (const f of frames) await c.sendFrame(f, how);
    },
    expect: isValid ? [message(payload)] : [],
    close: isValid ? NORMAL : FAIL_UTF8,
  };
}

// 6.4: part 1, wait 1 s, the part that makes the text invalid, wait 1 s, the rest. Strict: the
// connection fails right after part 2 (events [timeout A]); Autobahn's NON-STRICT: only at the
// end of the message ([timeout A, timeout B]).
function failFast(id, desc, parts, oneFrame) {
  const full = Buffer.concat(parts);
  return {
    id,
    desc,
    utf8: true,
    run: async (c) => {
      let chunks;
      if (oneFrame) {
        const frame = encodeFrame({ op: OP.TEXT, payload: full });
        const head = frame.length - full.length;
        chunks = [];
        let off = 0;
        for (const p of parts) {
          const start = off === 0 ? 0 : head + off;
          off += p.length;
          chunks.push(frame.subarray(start, head + off));
        }
      } else {
        chunks = parts.map((p, i) =>
          encodeFrame({ op: i === 0 ? OP.TEXT : OP.CONT, fin: i === parts.length - 1, payload: p }));
      }
      await c.send(chunks[0]);
      for (const [i, name] of [[1, 'A'], [2, 'B']]) {
        await c.waitUntil(() => !c.isOpen(), 1000);
        if (!c.isOpen()) return;
        c.mark(name);
        await c.send(chunks[i]);
      }
    },
    expect: [timeout('A')],
    nonStrict: [[timeout('A'), timeout('B')]],
    close: FAIL_UTF8,
  };
}

const HELLO_UTF8 = Buffer.from('Hello-µ@ßöäüàá-UTF-8!!', 'utf8');
const INVALID_631 = hex('cebae1bdb9cf83cebcceb5 eda080 656469746564');
const FF1 = hex('cebae1bdb9cf83cebcceb5');
const FF2 = hex('f4908080'); // U+110000: invalid at its second byte (0x90)
const FF3 = hex('656469746564');
const FF = Buffer.concat([FF1, FF2, FF3]);

const cases = [
  textCase('6.1.1', 'Send text message of length 0.', [{ op: OP.TEXT }], '', true),
  textCase('6.1.2', 'Send fragmented text message, 3 fragments each of length 0.',
    [{ op: OP.TEXT, fin: false }, { op: OP.CONT, fin: false }, { op: OP.CONT }], '', true),
  textCase('6.1.3', 'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.',
    [{ op: OP.TEXT, fin: false }, { op: OP.CONT, fin: false, payload: 'middle frame payload' }, { op: OP.CONT }],
    'middle frame payload', true),
  textCase('6.2.1', 'Send a valid UTF-8 text message in one fragment.', [{ op: OP.TEXT, payload: HELLO_UTF8 }], HELLO_UTF8, true),
  textCase('6.2.2', 'Send a valid UTF-8 text message in two fragments, fragmented on a code point boundary.',
    [{ op: OP.TEXT, fin: false, payload: 'Hello-µ@ßöä' }, { op: OP.CONT, payload: 'üàá-UTF-8!!' }], HELLO_UTF8, true),
  {
    ...textCase('6.2.3', 'Send a valid UTF-8 text message in fragments of 1 octet (frames end inside code points).', [], HELLO_UTF8, true),
    run: async (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, HELLO_UTF8, 1))),
  },
  {
    ...textCase('6.2.4', 'Send a valid UTF-8 text message (κόσμε) in fragments of 1 octet.', [], KOSME, true),
    run: async (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, KOSME, 1))),
  },
  textCase('6.3.1', `Send invalid UTF-8 text message unfragmented (${describe(INVALID_631)}).`,
    [{ op: OP.TEXT, payload: INVALID_631 }], INVALID_631, false),
  {
    ...textCase('6.3.2', 'Send the invalid UTF-8 text message of 6.3.1 in fragments of 1 octet.', [], INVALID_631, false),
    run: async (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, INVALID_631, 1))),
  },
  failFast('6.4.1', 'Invalid text in 3 frames: valid part 1, wait, part 2 (0xf4908080, U+110000) makes it invalid, wait, rest: fail on frame 2.',
    [FF1, FF2, FF3], false),
  failFast('6.4.2', 'As 6.4.1, but frame 2 carries only the octet that makes the text invalid (0x90).',
    [FF.subarray(0, 12), FF.subarray(12, 13), FF.subarray(13)], false),
  failFast('6.4.3', 'As 6.4.1, but one frame sent in 3 TCP writes: fail on write 2.', [FF1, FF2, FF3], true),
  failFast('6.4.4', 'As 6.4.2, but one frame sent in 3 TCP writes: fail on the write of the single octet 0x90.',
    [FF.subarray(0, 12), FF.subarray(12, 13), FF.subarray(13)], true),
];

const splitCases = [];
stressGroups().forEach(([title, list], g) => {
  list.forEach(([isValid, bytes], i) => {
    const id = `6.${g + 5}.${i + 1}`;
    const what = `${isValid ? 'valid' : 'invalid'} UTF-8 (${title}): ${describe(bytes)}`;
    cases.push(textCase(id, `Send a text message with payload which is ${what}, in one fragment.`,
      [{ op: OP.TEXT, payload: bytes }], bytes, isValid));
    splitCases.push({
      ...textCase(`${id}+f1`, `Case ${id}'s payload in fragments of 1 octet.`, [], bytes, isValid),
      run: async (c) => c.send(Buffer.concat(fragmentFrames(OP.TEXT, bytes, 1))),
    });
    splitCases.push(textCase(`${id}+c1`, `Case ${id}'s payload in one frame, sent in TCP writes of 1 octet.`,
      [{ op: OP.TEXT, payload: bytes }], bytes, isValid, { chop: 1 }));
  });
});

module.exports = [
  { section: '6', title: 'UTF-8 Handling', cases },
  { section: 'U', title: 'UTF-8 stress sequences split (ringcast)', cases: splitCases },
];
