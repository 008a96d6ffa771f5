// A `.json` manifest is held to strict JSON (kubectl decodes it as JSON), while YAML stays YAML: each
// JSON5-ism is one json-syntax error at its exact position, in the same text that lints clean as YAML.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { lintText, parseText } from '../../engine/manifest';
import { checkJson, scanJson } from '../../engine/manifest/json-strict';
import type { Finding } from '../../engine/manifest/types';

const POD = `{
  "apiVersion": "v1",
  "kind": "Pod",
  "metadata": {"name": "web"},
  "spec": {
    "containers": [
      {"name": "web", "image": "nginx", "args": ["-g", "daemon off;"]}
    ]
  }
}
`;

/** The single finding of a lint, failing loudly otherwise. */
function only(findings: Finding[]): Finding {
  assert.equal(findings.length, 1, JSON.stringify(findings.map((f) => `${f.rule}: ${f.message}`)));
  return findings[0];
}

/** `text` with `needle`'s first occurrence replaced, and the 0-based position where the replacement starts. */
function edit(needle: string, replacement: string): { text: string; line: number; character: number } {
  const at = POD.indexOf(needle);
  assert.ok(at >= 0, needle);
  const before = POD.slice(0, at).split('\n');
  return { text: POD.slice(0, at) + replacement + POD.slice(at + needle.length), line: before.length - 1, character: before[before.length - 1].length };
}

describe('strict JSON', () => {
  it('passes a valid JSON pod on the fast path, without building syntax trees', () => {
    const r = lintText(POD, { fileName: 'pod.json' });
    assert.deepEqual(r.findings, []);
    assert.equal(r.parsed, false);
  });

  it('rejects the trailing comma of the issue at the comma, though YAML accepts it', () => {
    const { text, line, character } = edit('"daemon off;"]', '"daemon off;",]');
    const f = only(lintText(text, { fileName: 'pod.json' }).findings);
    assert.equal(f.rule, 'json-syntax');
    assert.equal(f.severity, 'error');
    const comma = character + '"daemon off;"'.length;
    assert.deepEqual(f.range, { start: { line, character: comma }, end: { line, character: comma + 1 } });
    assert.match(f.message, /Trailing comma/);
    // The same text as YAML is a valid flow sequence: YAML stays YAML.
    assert.deepEqual(lintText(text, { fileName: 'pod.yaml' }).findings, []);
    assert.deepEqual(lintText(text).findings, [], 'no file name: YAML');
  });

  it('names each JSON5-ism at its position', () => {
    // `at`: where the error starts, from the start of the replacement; `length`: how much it covers.
    const cases: { needle: string; replacement: string; at: number; length: number; message: RegExp }[] = [
      { needle: '"nginx"', replacement: "'nginx'", at: 0, length: 7, message: /double quotes/ },
      { needle: '"image": "nginx"', replacement: 'image: "nginx"', at: 0, length: 5, message: /Property names must be strings in double quotes/ },
      { needle: '"web"}', replacement: '"web", // the name\n  }', at: 7, length: 11, message: /Comments are not allowed/ },
      { needle: '"web"}', replacement: '"web" /* block */}', at: 6, length: 11, message: /Comments are not allowed/ },
      { needle: '"nginx"', replacement: 'NaN', at: 0, length: 3, message: /NaN is not a JSON value/ },
      { needle: '"nginx"', replacement: 'Infinity', at: 0, length: 8, message: /Infinity is not a JSON value/ },
      { needle: '"nginx"', replacement: '0x1F', at: 0, length: 4, message: /decimal/ },
      { needle: '"nginx"', replacement: '007', at: 0, length: 3, message: /leading zeros/ },
      { needle: '"nginx"', replacement: '+1', at: 0, length: 2, message: /may not start with "\+"/ },
      { needle: '"nginx"', replacement: '.5', at: 0, length: 2, message: /digit before the decimal point/ },
      { needle: '"nginx"', replacement: 'True', at: 0, length: 4, message: /lowercase/ },
      { needle: '"nginx"', replacement: 'nginx', at: 0, length: 5, message: /put strings in double quotes/ },
      { needle: '"nginx"', replacement: '"ng\\xinx"', at: 3, length: 2, message: /Invalid escape/ },
      { needle: '"nginx"', replacement: '"ng\tinx"', at: 3, length: 1, message: /Control characters/ },
      { needle: '"name": "web"}', replacement: '"name": "web" "x": 1}', at: 14, length: 1, message: /comma is probably missing/ },
      { needle: '"kind": "Pod"', replacement: '"kind" "Pod"', at: 7, length: 1, message: /Expected ":"/ },
    ];
    for (const c of cases) {
      const { text, line, character } = edit(c.needle, c.replacement);
      const f = only(lintText(text, { fileName: 'pod.json' }).findings);
      assert.equal(f.rule, 'json-syntax', c.replacement);
      assert.match(f.message, c.message, c.replacement);
      assert.deepEqual(f.range, { start: { line, character: character + c.at }, end: { line, character: character + c.at + c.length } }, c.replacement);
    }
  });

  it('reports a duplicate key in JSON as json-syntax, on the second key', () => {
    const { text, line, character } = edit('"image": "nginx"', '"image": "nginx", "image": "httpd"');
    const f = only(lintText(text, { fileName: 'pod.json' }).findings);
    assert.equal(f.rule, 'json-syntax');
    assert.match(f.message, /Duplicate property name/);
    assert.equal(f.range.start.line, line);
    assert.equal(f.range.start.character, character + '"image": "nginx", '.length);
  });

  it('holds a document to JSON when the caller says so, whatever its name', () => {
    const { text } = edit('"daemon off;"]', '"daemon off;",]');
    assert.equal(only(lintText(text, { language: 'json' }).findings).rule, 'json-syntax');
    assert.equal(only(lintText(text, { fileName: 'untitled-1', language: 'json' }).findings).rule, 'json-syntax');
    assert.deepEqual(lintText(text, { fileName: 'pod.json', language: 'yaml' }).findings, []);
    assert.equal(parseText(text, { fileName: 'POD.JSON' }).language, 'json');
  });

  it('still finds schema problems in valid JSON, with JSON-quoted fixes', () => {
    const { text } = edit('"image": "nginx"', '"image": "nginx", "stdin": "true", "imagePullPolicy": "always"');
    const findings = lintText(text, { fileName: 'pod.json' }).findings;
    assert.deepEqual(findings.map((f) => f.rule).sort(), ['schema-enum', 'schema-type']);
    const stdin = findings.find((f) => f.rule === 'schema-type')!;
    assert.equal(stdin.fixes?.[0].edits[0].newText, 'true');
    const policy = findings.find((f) => f.rule === 'schema-enum')!;
    assert.equal(policy.fixes?.[0].edits[0].newText, '"Always"');
  });

  it('leaves unrelated JSON alone, even when it is not JSON', () => {
    assert.deepEqual(lintText('{"name": "pkg", "version": "1.0.0",}\n', { fileName: 'package.json' }).findings, []);
    assert.deepEqual(lintText('', { fileName: 'empty.json' }).findings, []);
    assert.deepEqual(lintText('  \n', { fileName: 'blank.json' }).findings, []);
  });

  it('flags a one-line JSON manifest that is not JSON', () => {
    const f = only(lintText('{"apiVersion": "v1", "kind": "Pod",}', { fileName: 'p.json' }).findings);
    assert.equal(f.rule, 'json-syntax');
    assert.deepEqual(f.range, { start: { line: 0, character: 34 }, end: { line: 0, character: 35 } });
  });

  it('says what is missing at the end of a cut-off file, and that a file holds one value', () => {
    const cut = POD.slice(0, POD.lastIndexOf('}'));
    const f = only(lintText(cut, { fileName: 'pod.json' }).findings);
    assert.match(f.message, /end of file: a "}" is missing/);
    assert.deepEqual(f.range.start, f.range.end);
    const two = only(lintText(POD + '---\n' + POD, { fileName: 'pod.json' }).findings);
    assert.match(two.message, /holds one value/);
    assert.equal(two.range.start.line, POD.split('\n').length - 1);
  });

  it('survives hostile JSON: deep nesting and a huge string', { timeout: 20_000 }, () => {
    const deep = '{"apiVersion": "v1", "kind": "Pod", "spec": ' + '['.repeat(100_000) + ']'.repeat(100_000) + ',}';
    assert.deepEqual(lintText(deep, { fileName: 'deep.json' }).findings.map((f) => f.rule), ['yaml-too-deep']);
    assert.equal(checkJson('['.repeat(400_000) + ']'.repeat(400_000)), undefined);
    assert.equal(scanJson('['.repeat(400_000) + ']'.repeat(400_000)), undefined);
    // A long string that never closes: a backtracking pattern would take forever here.
    assert.match(checkJson('["' + 'x'.repeat(900_000) + '\n"]')!.message, /Unterminated string/);
    assert.match(checkJson('["' + 'x'.repeat(900_000))!.message, /closing double quote is missing/);
  });

  it('scans to the same verdict as JSON.parse on a corpus of small texts', () => {
    const pieces = ['{', '}', '[', ']', ',', ':', '"a"', '"b\\n"', '1', '-0.5e3', 'true', 'null', ' ', '\n', "'x'", 'NaN', '01', '//c', '\t', '"\\u00e9"'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      let text = '';
      const n = 1 + Math.floor(next() * 8);
      for (let j = 0; j < n; j++) text += pieces[Math.floor(next() * pieces.length)];
      let native = true;
      try {
        JSON.parse(text);
      } catch {
        native = false;
      }
      if (text.trim() === '') continue;
      const error = scanJson(text);
      assert.equal(error === undefined, native, `${JSON.stringify(text)}: ${error?.message}`);
      if (native) valid++;
      else assert.ok(error!.start >= 0 && error!.end <= text.length && error!.start <= error!.end, JSON.stringify(text));
    }
    assert.ok(valid > 300, `only ${valid} valid texts: the corpus proves little`);
  });
});
