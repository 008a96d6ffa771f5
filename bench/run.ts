// `npm run bench`: Podsmith against yaml-language-server on the same inputs, with the schema Podsmith exports.
// (a) full validation of a ~200-line pod, (b) a just-under-1-MiB multi-document file, both in process;
// (c) keystroke-to-diagnostics latency through both real language servers over stdio.
// Prints a table per scenario and whether the aims were met (never fails on performance), and writes
// bench/results/latest.json.
// (d) pull: `podsmith pull` + unpack vs `skopeo copy` + `umoci unpack` from a local registry (bench/pull.ts).
// (e) pods: a 2-container native pod up and down vs podman kube play/down and a bare runc floor (bench/pods.ts).
// (f) wasm: a 3-module wasm pod vs a native pod of the same shape (bench/wasm.ts).
// (g) schema: the schema validator alone, warm and cold, vs kubernetes-models' Pod validator (bench/schema.ts).
// (h) port-forward: podsmith's netns dialer vs nsenter+nc and pasta, against direct loopback (bench/port-forward.ts).
// (i) rootless: the same pod rootless (the test user's daemon and CLI) vs root's daemon vs rootless podman (bench/rootless.ts).
// (j) editor-logs: the last lines of a 1 GiB container log in an editor tab vs the CLI and `tail -n`, and the
//     extension host's memory while following (bench/editor-logs.ts, in code-server's extension host).
// (k) microvm: a 2-container microVM pod vs its floor (QEMU to /init answering) and a native pod (bench/microvm.ts).
// (l) editor-run: the Run command to Running in the Podsmith view vs `podsmith run -f` from a shell
//     (bench/editor-run.ts, in code-server's extension host).
// (m) remote: a host over SSH (a real sshd on 127.0.1.60) vs this machine: bootstrap cold and warm, run to
//     Running, exec round trip, and exec against plain `ssh host true` (bench/remote.ts).
// `--only manifest|pull|pods|wasm|schema|port-forward|rootless|editor-logs|microvm|editor-run|remote` runs one part; each part
// rewrites only its own keys of latest.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SettingsState } from 'yaml-language-server/out/server/src/yamlSettings';
import { multiDocYaml, podYaml, toggleSite } from './fixtures';
import { compareInProcess, podsmithValidator, yamlLanguageServerValidator, type Diag, type Validator } from './inprocess';
import { LspSession, measureKeystrokes, type ServerSpec } from './lsp';
import { ratios, summarize, type Ratios, type Stats } from './stats';
import { runPullBench } from './pull';
import { runPodsBench } from './pods';
import { runWasmBench } from './wasm';
import { runSchemaBench } from './schema';
import { runPortForwardBench, whyNoPortForwardBench } from './port-forward';
import { runRootlessBench } from './rootless';
import { runEditorLogsBench } from './editor-logs';
import { runEditorRunBench } from './editor-run';
import { runMicrovmBench } from './microvm';
import { runRemoteBench, whyNoRemoteBench } from './remote';
import { whyNoMicrovm } from '../test/microvm/support';
import { whyNoNativePods } from '../test/pods/fixtures';

const ROOT = resolve(__dirname, '..');
const YLS_PACKAGE = join(ROOT, 'node_modules', 'yaml-language-server');
const YLS_VERSION: string = JSON.parse(readFileSync(join(YLS_PACKAGE, 'package.json'), 'utf8')).version;

/** Run counts: enough for a stable p95 while the whole bench stays well under two minutes on two cores. */
const PLAN = {
  pod: { warmup: 30, runs: 300 },
  multi: { warmup: 2, runs: 15 },
  keystroke: { warmup: 4, edits: 50, pauseMs: 30 },
};

const AIM_RATIO = 5;
const AIM_POD_P95_MS = 5;

interface Scenario {
  title: string;
  input: string;
  podsmith: Stats;
  yamlLanguageServer: Stats;
  /** yaml-language-server ÷ Podsmith. */
  ratio: Ratios;
  notes: string[];
}

function log(s: string): void {
  process.stderr.write(s + '\n');
}

/** The schema exactly as users get it: `podsmith schema --export` from the built CLI. */
function exportedSchema(): object {
  const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'podsmith.js'), 'schema', '--export'], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`podsmith schema --export failed (${r.status}):\n${r.stderr}`);
  const schema = JSON.parse(r.stdout) as Record<string, unknown>;
  if (typeof schema !== 'object' || schema === null || !('properties' in schema || '$ref' in schema)) {
    throw new Error('podsmith schema --export did not print a JSON Schema object');
  }
  return schema;
}

/** 0-based line numbers of the lines containing `needle`. */
function linesWith(text: string, needle: string): number[] {
  const out: number[] = [];
  text.split('\n').forEach((l, i) => l.includes(needle) && out.push(i));
  return out;
}

/**
 * The comparison only means something if both tools really validate against the schema: each must flag the
 * unknown field and the invalid enum value that the broken pod carries, on their lines.
 */
function assertFlags(tool: string, what: string, diags: Diag[], text: string): void {
  const problems = [
    { label: 'unknown field restartPolicyy', lines: linesWith(text, 'restartPolicyy:') },
    { label: 'invalid imagePullPolicy "Sometimes"', lines: linesWith(text, 'imagePullPolicy: Sometimes') },
  ];
  for (const p of problems) {
    if (p.lines.length !== 1) throw new Error(`fixture error: expected one line with ${p.label}`);
    const hit = diags.some((d) => d.line === p.lines[0] && d.severity !== 'info');
    if (!hit) {
      const seen = diags.map((d) => `  line ${d.line + 1}: ${d.message}`).join('\n') || '  (nothing)';
      throw new Error(`sanity check failed: ${tool} did not report the ${p.label} in ${what}; the comparison is invalid.\n${seen}`);
    }
  }
}

async function diagnose(v: Validator, text: string): Promise<Diag[]> {
  return await v.validate(text);
}

function fmtMs(ms: number): string {
  return ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);
}

function fmtRatio(r: number): string {
  return `${r < 10 ? r.toFixed(1) : r.toFixed(0)}×`;
}

function table(s: Scenario): string {
  const rows: [string, string, string, string][] = [
    ['', 'p50 ms', 'p95 ms', 'mean ms'],
    ['Podsmith', fmtMs(s.podsmith.p50), fmtMs(s.podsmith.p95), fmtMs(s.podsmith.mean)],
    [
      'yaml-language-server',
      fmtMs(s.yamlLanguageServer.p50),
      fmtMs(s.yamlLanguageServer.p95),
      fmtMs(s.yamlLanguageServer.mean),
    ],
    ['ratio (yls ÷ Podsmith)', fmtRatio(s.ratio.p50), fmtRatio(s.ratio.p95), fmtRatio(s.ratio.mean)],
  ];
  const body = rows.map((r) => `  ${r[0].padEnd(24)}${r[1].padStart(10)}${r[2].padStart(10)}${r[3].padStart(10)}`);
  return [`${s.title}`, `  input: ${s.input}`, ...body, ...s.notes.map((n) => `  note: ${n}`)].join('\n');
}

function kib(text: string): string {
  return `${(Buffer.byteLength(text) / 1024).toFixed(1)} KiB`;
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

async function main(): Promise<void> {
  const started = Date.now();
  const schema = exportedSchema();
  const pod = podYaml();
  const brokenPod = podYaml({ broken: true });
  const multi = multiDocYaml();

  const podsmith = podsmithValidator;
  const yls = yamlLanguageServerValidator(schema);

  // Sanity first: a fast tool that validates nothing would win every race.
  log('sanity: both tools flag the broken pod and the broken last document of the large file ...');
  for (const v of [podsmith, yls]) assertFlags(v.name, 'the broken pod', await diagnose(v, brokenPod), brokenPod);
  const cleanCounts = { podsmith: (await diagnose(podsmith, pod)).length, yls: (await diagnose(yls, pod)).length };

  log(`(a) full validation of the ${lineCount(pod)}-line pod, ${PLAN.pod.runs} runs each ...`);
  const a = await compareInProcess([podsmith, yls], pod, PLAN.pod);

  log(`(b) full validation of the ${multi.documents}-document file, ${PLAN.multi.runs} runs each ...`);
  const b = await compareInProcess([podsmith, yls], multi.text, PLAN.multi);
  // The last document is the broken pod: both must have reached it.
  assertFlags('Podsmith', 'the large file', b.diagnostics[0], multi.text);
  assertFlags('yaml-language-server', 'the large file', b.diagnostics[1], multi.text);

  log(`(c) keystroke to diagnostics through both language servers, ${PLAN.keystroke.edits} edits each ...`);
  const c = await keystrokes(schema, pod);

  const scenarios: Record<'a' | 'b' | 'c', Scenario> = {
    a: scenario(`(a) Full validation of a ${lineCount(pod)}-line pod (in process)`, `${lineCount(pod)} lines, ${kib(pod)}, ${PLAN.pod.runs} runs each after ${PLAN.pod.warmup} warm-up runs`, a.samples, [
      `diagnostics on this clean pod: Podsmith ${cleanCounts.podsmith}, yaml-language-server ${cleanCounts.yls}`,
    ]),
    b: scenario(
      `(b) Full validation of a ${multi.documents}-document file (in process)`,
      `${multi.documents} pods, ${lineCount(multi.text)} lines, ${Buffer.byteLength(multi.text)} bytes (1 MiB = 1048576), ${PLAN.multi.runs} runs each after ${PLAN.multi.warmup} warm-up runs`,
      b.samples,
      [`diagnostics: Podsmith ${b.diagnostics[0].length}, yaml-language-server ${b.diagnostics[1].length} (the last document is broken on purpose)`],
    ),
    c: scenario(
      '(c) Keystroke to diagnostics through the language server (didChange → publishDiagnostics)',
      `${lineCount(pod)}-line pod, ${PLAN.keystroke.edits} one-character edits each after ${PLAN.keystroke.warmup} warm-up edits, ${c.syncNote}`,
      c.result.samples,
      c.notes,
    ),
  };

  const aims = {
    podP95: { aim: `Podsmith p95 ≤ ${AIM_POD_P95_MS} ms for (a)`, value: scenarios.a.podsmith.p95, met: scenarios.a.podsmith.p95 <= AIM_POD_P95_MS },
    ratioA: { aim: `≥ ${AIM_RATIO}× faster (p50) in (a)`, value: scenarios.a.ratio.p50, met: scenarios.a.ratio.p50 >= AIM_RATIO },
    ratioB: { aim: `≥ ${AIM_RATIO}× faster (p50) in (b)`, value: scenarios.b.ratio.p50, met: scenarios.b.ratio.p50 >= AIM_RATIO },
    ratioC: { aim: `≥ ${AIM_RATIO}× faster (p50) in (c)`, value: scenarios.c.ratio.p50, met: scenarios.c.ratio.p50 >= AIM_RATIO },
  };

  const cpu = cpus();
  const env = `node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, yaml-language-server ${YLS_VERSION}`;
  const out = [
    '',
    `Podsmith vs yaml-language-server (${env})`,
    'yaml-language-server validates with the schema from `podsmith schema --export`.',
    '',
    table(scenarios.a),
    '',
    table(scenarios.b),
    '',
    table(scenarios.c),
    '',
    'Aims (reported, never enforced):',
    ...Object.values(aims).map((x) => {
      const v = x === aims.podP95 ? `${fmtMs(x.value)} ms` : fmtRatio(x.value);
      return `  ${x.met ? 'met    ' : 'NOT met'}  ${x.aim}: ${v}`;
    }),
    '',
    `Total bench time ${((Date.now() - started) / 1000).toFixed(1)} s.`,
  ];
  process.stdout.write(out.join('\n') + '\n');

  const resultsDir = join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const json = {
    date: new Date().toISOString(),
    environment: { node: process.version, cpus: cpu.length, cpu: cpu[0]?.model.trim(), platform: process.platform, yamlLanguageServer: YLS_VERSION },
    plan: PLAN,
    scenarios,
    aims,
    keystrokes: { baselineDiagnostics: c.result.baseline, skippedPublishes: c.result.skipped, ylsDebounceMs: c.debounceMs },
    totalSeconds: (Date.now() - started) / 1000,
  };
  // Keep the numbers of the other parts (from earlier `--only` runs).
  const previous = readLatest();
  const others = Object.fromEntries(OTHER_PARTS.filter((k) => previous[k] !== undefined).map((k) => [k, previous[k]]));
  writeFileSync(join(resultsDir, 'latest.json'), JSON.stringify({ ...json, ...others }, null, 2) + '\n');
  log(`wrote ${join('bench', 'results', 'latest.json')}`);
}

// --- parts: `--only manifest|pull|pods|wasm|schema|port-forward|rootless|editor-logs|microvm|editor-run|remote`; each part's numbers live
// under its own key of latest.json ---
const PARTS = ['manifest', 'pull', 'pods', 'wasm', 'schema', 'port-forward', 'rootless', 'editor-logs', 'microvm', 'editor-run', 'remote'] as const;
type Part = (typeof PARTS)[number];
/** The keys of latest.json that parts other than `manifest` own. */
const OTHER_PARTS = ['pull', 'pods', 'wasm', 'schema', 'portForward', 'rootless', 'editor-logs', 'microvm', 'editor-run', 'remote'] as const;

function onlyPart(argv: string[]): Part | undefined {
  const i = argv.indexOf('--only');
  const value = i >= 0 ? argv[i + 1] : argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (value === undefined) return undefined;
  if (!(PARTS as readonly string[]).includes(value)) throw new Error(`--only takes ${PARTS.join(', ')}, not ${JSON.stringify(value)}`);
  return value as Part;
}

const LATEST = join(ROOT, 'bench', 'results', 'latest.json');

function readLatest(): Record<string, unknown> {
  try {
    return JSON.parse(readFileSync(LATEST, 'utf8')) as Record<string, unknown>;
  } catch {
    return {}; // first run, or a file from an interrupted run: start over
  }
}

async function pullPart(): Promise<void> {
  const r = await runPullBench();
  process.stdout.write(r.text + '\n');
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(LATEST, JSON.stringify({ ...readLatest(), pull: { date: new Date().toISOString(), ...r.json } }, null, 2) + '\n');
  log(`wrote ${join('bench', 'results', 'latest.json')} (pull)`);
}

function savePart(key: string, value: object): void {
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(LATEST, JSON.stringify({ ...readLatest(), [key]: { date: new Date().toISOString(), ...value } }, null, 2) + '\n');
  log(`wrote ${join('bench', 'results', 'latest.json')} (${key})`);
}

/** (e) a 2-container native pod up and down: engine, daemon and CLI vs podman kube play/down vs bare runc. */
async function podsPart(): Promise<void> {
  const skip = whyNoNativePods();
  if (skip) return log(`pods bench skipped: ${skip}`);
  savePart('pods', await runPodsBench());
}

/** (f) a 3-module wasm pod vs a native pod of the same shape; module compile and instantiate times. */
async function wasmPart(): Promise<void> {
  const skip = whyNoNativePods();
  if (skip) return log(`wasm bench skipped: ${skip}`);
  savePart('wasm', await runWasmBench());
}

/** (g) the schema validator alone, warm and cold, vs kubernetes-models' Pod validator. */
async function schemaPart(): Promise<void> {
  const r = await runSchemaBench();
  process.stdout.write(r.text + '\n');
  savePart('schema', r.json);
}

/** (h) the paths into a pod's loopback: podsmith's netns dialer, nsenter+nc, pasta, against direct loopback. */
async function portForwardPart(): Promise<void> {
  const skip = whyNoPortForwardBench();
  if (skip) return log(`port-forward bench skipped: ${skip}`);
  const r = await runPortForwardBench();
  process.stdout.write(r.text + '\n');
  savePart('portForward', r.json);
}

/** (i) rootless pods: the test user's daemon and CLI vs root's daemon vs rootless podman. */
async function rootlessPart(): Promise<void> {
  const r = await runRootlessBench();
  if (!r.skipped) savePart('rootless', { ...r, samples: undefined });
}

/** (j) a 1 GiB log in an editor tab, in code-server's extension host, vs the CLI and tail. */
async function editorLogsPart(): Promise<void> {
  savePart('editor-logs', await runEditorLogsBench());
}

/** (k) a 2-container microVM pod vs its floor and a native pod; exec round trip; memory per VM. */
/** (l) the Run command to Running in the view vs `podsmith run -f` from a shell (bench/editor-run.ts). */
async function editorRunPart(): Promise<void> {
  savePart('editor-run', await runEditorRunBench());
}

async function microvmPart(): Promise<void> {
  const skip = whyNoMicrovm();
  if (skip) return log(`microvm bench skipped: ${skip}`);
  savePart('microvm', await runMicrovmBench());
}

/** (l) a remote host over SSH vs this machine, and exec against plain ssh. */
async function remotePart(): Promise<void> {
  const skip = whyNoRemoteBench();
  if (skip) return log(`remote bench skipped: ${skip}`);
  savePart('remote', await runRemoteBench());
}

async function selected(): Promise<void> {
  const only = onlyPart(process.argv.slice(2));
  if (!only || only === 'manifest') await main();
  if (!only || only === 'pull') await pullPart();
  if (!only || only === 'pods') await podsPart();
  if (!only || only === 'wasm') await wasmPart();
  if (!only || only === 'schema') await schemaPart();
  if (!only || only === 'port-forward') await portForwardPart();
  if (!only || only === 'rootless') await rootlessPart();
  if (!only || only === 'editor-logs') await editorLogsPart();
  if (!only || only === 'microvm') await microvmPart();
  if (!only || only === 'editor-run') await editorRunPart();
  if (!only || only === 'remote') await remotePart();
}
// --- end parts ---

function scenario(title: string, input: string, samples: number[][], notes: string[]): Scenario {
  const p = summarize(samples[0]);
  const y = summarize(samples[1]);
  return { title, input, podsmith: p, yamlLanguageServer: y, ratio: ratios(y, p), notes };
}

/** Scenario (c): both servers started side by side, each answering its own settings like VS Code would. */
async function keystrokes(schema: object, pod: string) {
  const dir = mkdtempSync(join(tmpdir(), 'podsmith-bench-'));
  const sessions: LspSession[] = [];
  try {
    const schemaPath = join(dir, 'pod.schema.json');
    writeFileSync(schemaPath, JSON.stringify(schema));
    const docPath = join(dir, 'pod.yaml');
    writeFileSync(docPath, pod);
    const rootUri = pathToFileURL(dir).href;
    const uri = pathToFileURL(docPath).href;

    const podsmithServer: ServerSpec = {
      name: 'Podsmith',
      command: process.execPath,
      args: [join(ROOT, 'dist', 'server.js'), '--stdio'],
      configuration: (item) => (item.section === 'podsmith' ? {} : null),
    };
    const ylsServer: ServerSpec = {
      name: 'yaml-language-server',
      command: process.execPath,
      args: [join(YLS_PACKAGE, 'bin', 'yaml-language-server'), '--stdio'],
      // The settings a VS Code user would write: the exported schema file for every YAML file, and no
      // network (schema store and CRD catalog off) so nothing but validation is timed.
      configuration: (item) =>
        item.section === 'yaml'
          ? {
              validate: true,
              hover: false,
              completion: false,
              format: { enable: false },
              schemas: { [pathToFileURL(schemaPath).href]: '*.yaml' },
              schemaStore: { enable: false },
              kubernetesCRDStore: { enable: false },
            }
          : null,
    };
    sessions.push(await LspSession.start(podsmithServer, rootUri));
    sessions.push(await LspSession.start(ylsServer, rootUri));
    const result = await measureKeystrokes(
      sessions.map((session) => ({ session, uri })),
      pod,
      toggleSite(pod),
      PLAN.keystroke,
    );
    const debounceMs = new SettingsState().validationDelayMs;
    const y = summarize(result.samples[1]);
    const p = summarize(result.samples[0]);
    const sync = sessions.map((s) => `${s.spec.name} ${s.syncKind === 2 ? 'incremental' : 'full'}`).join(', ');
    const notes = [
      `yaml-language-server waits a fixed ${debounceMs} ms after each change before validating (not configurable); ` +
        `without it its p50 would be ${fmtMs(y.p50 - debounceMs)} ms (${fmtRatio((y.p50 - debounceMs) / p.p50)} Podsmith's)`,
      `diagnostics right after opening: Podsmith ${result.baseline[0]}, yaml-language-server ${result.baseline[1]}`,
    ];
    return { result, debounceMs, notes, syncNote: `sync: ${sync}` };
  } finally {
    for (const s of sessions) await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Ctrl-C: exit normally so the child-process cleanup in lsp.ts runs.
process.on('SIGINT', () => process.exit(130));

selected().catch((err) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
