// The fast path (values first, ranges only when needed) must never change what lintText reports.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { lintText } from '../../engine/manifest';
import { podYaml, multiDocYaml } from '../../bench/fixtures';
import { rng } from '../support/rng';

function files(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) files(p, out);
    else if (/\.(ya?ml|json)$/.test(name)) out.push(p);
  }
  return out;
}


const PIECES = [' ', '  ', '\t', ':', '- ', '"', "'", '#', '\n', '{', '}', '[', ']', ',', '&a ', '*a', '!!str ', '---\n', '? ', '|', '>', '0', '1e3', 'null', '~', 'yes', '0x1F', '0o17', '.inf', '2001-12-14'];

function mutate(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 3);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * t.length);
    const op = r();
    if (op < 0.35) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 3));
    else if (op < 0.8) t = t.slice(0, at) + PIECES[Math.floor(r() * PIECES.length)] + t.slice(at);
    else {
      const lines = t.split('\n');
      const li = Math.floor(r() * lines.length);
      lines.splice(li, 0, lines[Math.floor(r() * lines.length)]);
      t = lines.join('\n');
    }
  }
  return t;
}

function same(text: string, label: string, fileName?: string): void {
  const fast = lintText(text, { fileName }).findings;
  const full = lintText(text, { fileName, fullParse: true }).findings;
  assert.deepEqual(fast, full, `${label}: fast path and full parse disagree\n--- text ---\n${text}`);
}

/** What people get wrong in JSON, plus bits of YAML that strict JSON must refuse. */
const JSON_PIECES = [',', ' ', '\n', '"', "'", '{', '}', '[', ']', ':', '//', '/*', 'NaN', '01', '+1', '.5', 'true', 'null', '"x"', '\\', '\t', '#', '- ', '---\n'];

function mutateJson(text: string, r: () => number): string {
  let t = text;
  const n = 1 + Math.floor(r() * 2);
  for (let i = 0; i < n; i++) {
    const at = Math.floor(r() * t.length);
    if (r() < 0.4) t = t.slice(0, at) + t.slice(at + 1 + Math.floor(r() * 2));
    else t = t.slice(0, at) + JSON_PIECES[Math.floor(r() * JSON_PIECES.length)] + t.slice(at);
  }
  return t;
}

describe('fast path', () => {
  it('agrees with the full parse on every repository manifest', () => {
    const corpus = [...files('examples'), ...files('test/vscode/workspace')];
    assert.ok(corpus.length >= 5);
    for (const f of corpus) same(readFileSync(f, 'utf8'), f, f);
    same(podYaml(), 'bench pod');
    same(multiDocYaml(64 * 1024).text, 'bench multi-document');
    const bad = readFileSync('examples/broken/mistakes.yaml', 'utf8');
    const edge = {
      crlf: bad.replace(/\n/g, '\r\n'),
      bom: '\ufeff' + bad,
      directive: '%YAML 1.2\n---\n' + bad,
      endMarker: bad + '...\n---\n' + bad,
      leadingMarker: '---\n' + bad + '---\n---\n' + bad,
      nul: bad.replace('busybox', 'busy\u0000box'),
      markerInBlock: bad.replace('image: busybox:1.36', 'image: busybox:1.36\n      args:\n        - |\n          text\n---\n'),
      jsonPod: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'X' }, spec: { containers: [{ name: 'a', image: 'b', stdin: 'no' }] } }, null, 2),
    };
    for (const [label, text] of Object.entries(edge)) same(text, label);
  });

  it('agrees with the full parse on 4000 random mutations of valid manifests', { timeout: 120_000 }, () => {
    const web = readFileSync('examples/good/web-pod.yaml', 'utf8');
    const worker = readFileSync('examples/good/worker-deployment.yaml', 'utf8');
    // Several documents per file, so mutations also move document boundaries and indexes.
    const multi = [worker, web, '# a comment-only document\n', web.replace('name: web', 'name: web-2')].join('---\n');
    const seeds = [podYaml(), web, worker, multi];
    const r = rng(20261122);
    let cleanFast = 0;
    for (let i = 0; i < 4000; i++) {
      const text = mutate(seeds[i % seeds.length], r);
      same(text, `mutation #${i}`);
      if (lintText(text).findings.length === 0) cleanFast++;
    }
    // The corpus must exercise both outcomes, or the comparison proves little.
    assert.ok(cleanFast > 100, `only ${cleanFast} mutations were clean`);
    assert.ok(cleanFast < 3900, `${cleanFast} mutations were clean: the mutations are too gentle`);
  });

  it('agrees with the full parse on 2000 random mutations of JSON manifests', { timeout: 120_000 }, () => {
    // Every document of the examples (the worker file also holds a ConfigMap), one JSON file each.
    const docs = ['examples/good/web-pod.yaml', 'examples/good/worker-deployment.yaml']
      .flatMap((f) => parseAllDocuments(readFileSync(f, 'utf8')).map((d) => d.toJS() as unknown))
      .concat([parseAllDocuments(podYaml())[0].toJS()]);
    // Pretty and compact, since one-line JSON moves every position onto line 0.
    const seeds = docs.flatMap((d) => [JSON.stringify(d, null, 2), JSON.stringify(d)]);
    const r = rng(20261123);
    let clean = 0;
    let syntax = 0;
    for (let i = 0; i < 2000; i++) {
      const text = mutateJson(seeds[i % seeds.length], r);
      same(text, `JSON mutation #${i}`, 'pod.json');
      const findings = lintText(text, { fileName: 'pod.json' }).findings;
      if (findings.length === 0) clean++;
      if (findings.some((f) => f.rule === 'json-syntax')) syntax++;
    }
    assert.ok(clean > 50, `only ${clean} JSON mutations were clean`);
    assert.ok(syntax > 500, `only ${syntax} JSON mutations broke the syntax`);
  });

  it('builds no syntax trees for a clean file until asked, and the same ones when asked', () => {
    const text = readFileSync('examples/good/web-pod.yaml', 'utf8');
    const lazy = lintText(text);
    assert.equal(lazy.parsed, false);
    assert.deepEqual(lazy.findings, []);
    assert.equal(lazy.documents[0].role, 'pod');
    assert.equal(lazy.parsed, true);
    const broken = lintText(text.replace('pod-containers', 'pod-kontainers'));
    assert.deepEqual(broken.findings.map((f) => f.rule), ['unknown-runtime-class']);
    assert.equal(broken.documents[0].role, 'pod');
  });
});
