// The exported schema in the tool it is meant for: yaml-language-server (as used by the Red Hat YAML
// extension) accepts the valid pods and reports the same kinds of mistakes Podsmith does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server/lib/umd/languageservice/yamlLanguageService';
import { stringify } from 'yaml';
import { exportSchema } from '../../engine/manifest/schema/index';
import { VALID_PODS } from './pods';

const BROKEN = `apiVersion: v1
kind: Pod
metadata:
  name: broken
  creationTimestamp: 2024-13-01T00:00:00Z
spec:
  containers:
    - name: web
      imagePullPolicy: Sometimes
      imagePullPolicyy: Always
      resources:
        limits:
          memory: 1Gb
      ports:
        - containerPort: "80"
      livenessProbe:
        httpGet:
          port: true
`;

function service() {
  const ls = getLanguageService({
    schemaRequestService: (uri) => Promise.reject(new Error(`no network in tests: ${uri}`)),
    workspaceContext: { resolveRelativePath: (p) => p },
  });
  ls.configure({ validate: true, hover: true, schemas: [{ uri: 'podsmith://schemas/pod.json', fileMatch: ['*.yaml'], schema: exportSchema() as never }] });
  return ls;
}

let version = 0;
// yaml-language-server caches results per document URI and version, so every text gets a fresh one.
const doc = (text: string) => TextDocument.create(`file:///tmp/podsmith-schema-${++version}.yaml`, 'yaml', version, text);

test('yaml-language-server accepts the valid pods with the exported schema', async () => {
  const ls = service();
  for (const [name, pod] of Object.entries(VALID_PODS)) {
    const diagnostics = await ls.doValidation(doc(stringify(pod)), false);
    assert.deepEqual(diagnostics.map((d) => d.message), [], name);
  }
});

test('yaml-language-server reports the broken pod line by line', async (t) => {
  const ls = service();
  const diagnostics = await ls.doValidation(doc(BROKEN), false);
  const lines = diagnostics.map((d) => `${d.range.start.line}: ${d.message}`).sort();
  for (const l of lines) t.diagnostic(l);
  const onLine = (n: number) => diagnostics.filter((d) => d.range.start.line === n).map((d) => d.message).join(' | ');
  assert.match(onLine(4), /date-time/);
  assert.match(onLine(8), /Always.*IfNotPresent.*Never/);
  assert.match(onLine(9), /imagePullPolicyy is not allowed/);
  assert.match(onLine(12), /Not a valid Kubernetes quantity/);
  assert.match(onLine(14), /integer/);
  assert.match(onLine(17), /integer, string/);
  assert.equal(diagnostics.length, 6, lines.join('\n'));
});

test('yaml-language-server hovers show the schema descriptions', async () => {
  const ls = service();
  const hover = await ls.doHover(doc(stringify(VALID_PODS.minimal)), { line: 7, character: 8 });
  const text = JSON.stringify(hover?.contents ?? '');
  assert.match(text, /Container image name/);
});
