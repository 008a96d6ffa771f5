/// <reference types="mocha" />
// "Show Logs" on the real engine: a container's log in an editor tab with the log grammar, following as the pod
// writes (and across a restart), tail and earlier pages, the previous instance, all containers interleaved by
// time, the follower staying put when the user scrolled up, and the end said when the pod is deleted or the
// daemon goes away.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { BUSYBOX, startEngine, until, whyNoEngine, type TestEngine } from './engine';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: logs
spec:
  volumes:
    - name: state
      emptyDir: {}
  containers:
    - name: writer
      image: ${BUSYBOX}
      command: ["sh", "-c", "echo hello from writer; seq 1 3000 | sed 's/^/seq /'; echo 'ERROR something failed'; while true; do sleep 1; done"]
    - name: restarter
      image: ${BUSYBOX}
      volumeMounts:
        - name: state
          mountPath: /state
      command: ["sh", "-c", "if [ -f /state/ran ]; then echo second instance; while true; do sleep 1; done; fi; touch /state/ran; echo first instance; while [ ! -f /state/go ]; do sleep 0.1; done; exit 1"]
`;

const DOOMED = `apiVersion: v1
kind: Pod
metadata:
  name: doomed
spec:
  containers:
    - name: app
      image: ${BUSYBOX}
      command: ["sh", "-c", "echo doomed pod says hi; while true; do sleep 1; done"]
`;

/** Resolves once the document's text passes `check`, looking now and at every change; fails with the text. */
function waitForText(doc: vscode.TextDocument, check: (text: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const look = (): boolean => {
      const text = doc.getText();
      if (!check(text)) return false;
      clearTimeout(timer);
      sub.dispose();
      resolve(text);
      return true;
    };
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; the tab has:\n${doc.getText().slice(-1500)}`));
    }, timeoutMs);
    const sub = vscode.workspace.onDidChangeTextDocument((e) => e.document === doc && look());
    look();
  });
}

async function showLogs(arg: object): Promise<vscode.TextEditor> {
  const editor = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('podsmith.pod.logs', arg);
  assert.ok(editor, 'podsmith.pod.logs returned no editor');
  return editor;
}

function lines(text: string): string[] {
  return text.split('\n');
}

/** Writes a line to a container's log, as its own process would (its stdout is PID 1's). */
async function say(engine: TestEngine, container: string, text: string, pod = 'logs'): Promise<void> {
  const s = await engine.client.exec({ pod, container, command: ['sh', '-c', `echo "${text}" > /proc/1/fd/1`], tty: false, stdin: false });
  s.stdout.resume();
  s.stderr.resume();
  const end = await s.ended;
  assert.deepEqual(end, { kind: 'exit', code: 0 });
}

function lastVisibleLine(editor: vscode.TextEditor): number {
  return editor.visibleRanges[editor.visibleRanges.length - 1]?.end.line ?? -1;
}

/** vscode-textmate and its regex engine as this VS Code ships them: the grammar tokenized as the editor does. */
async function tokenizer(): Promise<(line: string) => { text: string; scopes: string[] }[]> {
  const base = join(vscode.env.appRoot, 'node_modules');
  const load = (name: string): any => require(join(base, name)); // eslint-disable-line @typescript-eslint/no-explicit-any
  const tm = load('vscode-textmate');
  const onig = load('vscode-oniguruma');
  const wasm = readFileSync(join(base, 'vscode-oniguruma', 'release', 'onig.wasm'));
  await onig.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const ext = vscode.extensions.getExtension('podsmith.podsmith')!;
  const registry = new tm.Registry({
    onigLib: Promise.resolve({ createOnigScanner: (s: string[]) => new onig.OnigScanner(s), createOnigString: (s: string) => new onig.OnigString(s) }),
    loadGrammar: async () => tm.parseRawGrammar(readFileSync(join(ext.extensionPath, 'syntaxes', 'podsmith-log.tmLanguage.json'), 'utf8'), 'podsmith-log.tmLanguage.json'),
  });
  const grammar = await registry.loadGrammar('text.podsmith-log');
  return (line) =>
    grammar.tokenizeLine(line, tm.INITIAL).tokens.map((t: { startIndex: number; endIndex: number; scopes: string[] }) => ({ text: line.slice(t.startIndex, t.endIndex), scopes: t.scopes }));
}

export function defineLogsTests(): void {
  suite('logs (podsmith.pod.logs)', function () {
    let engine: TestEngine | undefined;

    suiteSetup(async function () {
      const why = whyNoEngine();
      if (why) {
        console.log(`[ext-test] skipping the log tests: ${why}`);
        return this.skip();
      }
      this.timeout(120_000);
      engine = await startEngine();
      await engine.run(POD);
      // Every line of the writer's start is in its log before the tests look.
      await until('the writer\'s first lines', async () => {
        const s = await engine!.client.logs({ pod: 'logs', container: 'writer', tail: 1 });
        let text = '';
        for await (const c of s.stream) text += String(c);
        return text.includes('ERROR something failed');
      });
    });

    teardown(async () => {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });

    let marks = 0;
    /** Writes a line no earlier tab can hold, so a test knows when its own tab is current. */
    const mark = async (text: string): Promise<string> => {
      const line = `${text} ${++marks}`;
      await say(engine!, 'writer', line);
      return line;
    };

    suiteTeardown(async function () {
      this.timeout(60_000);
      await engine?.dispose();
    });

    test('a container\'s log opens in a tab with the log language, showing its last lines', async () => {
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 100 });
      const doc = editor.document;
      assert.equal(doc.uri.scheme, 'podsmith-log');
      assert.equal(doc.languageId, 'podsmith-log');
      const text = await waitForText(doc, (t) => t.includes('ERROR something failed'), 'the last lines');
      const ls = lines(text);
      // tail 100: the last 100 lines, oldest first.
      assert.equal(ls.length, 100, `expected 100 lines, got ${ls.length}`);
      assert.equal(ls[0], 'seq 2902');
      assert.equal(ls[98], 'seq 3000');
      assert.equal(ls[99], 'ERROR something failed');
      // Scrolled to the end.
      await until('the editor to show the last line', () => lastVisibleLine(editor) >= doc.lineCount - 1);
    });

    test('follow appends lines as the container writes them, in batches, and stays at the bottom', async () => {
      const marker = await mark('before following');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 10 });
      const doc = editor.document;
      await waitForText(doc, (t) => t.endsWith(marker), 'the first lines');
      for (let i = 1; i <= 3; i++) await say(engine!, 'writer', `live line ${i}`);
      await waitForText(doc, (t) => t.endsWith('live line 1\nlive line 2\nlive line 3'), 'the new lines at the end');
      await until('the editor to follow to the last line', () => lastVisibleLine(editor) >= doc.lineCount - 1);
    });

    test('a reader who scrolled up stays where they are while lines arrive; back at the bottom, it follows again', async () => {
      const marker = await mark('before scrolling');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 500 });
      const doc = editor.document;
      await waitForText(doc, (t) => t.endsWith(marker), 'the first lines');
      await until('the editor at the end', () => lastVisibleLine(editor) >= doc.lineCount - 1);
      editor.revealRange(new vscode.Range(0, 0, 0, 0), vscode.TextEditorRevealType.AtTop);
      await until('the editor at the top', () => editor.visibleRanges[0]?.start.line === 0);
      await say(engine!, 'writer', 'while scrolled up');
      await waitForText(doc, (t) => t.endsWith('while scrolled up'), 'the new line');
      // The follower did not pull the reader down.
      assert.equal(editor.visibleRanges[0]?.start.line, 0, 'the view moved while the user was reading above');
      assert.ok(lastVisibleLine(editor) < doc.lineCount - 1);

      const end = doc.lineCount - 1;
      editor.revealRange(new vscode.Range(end, 0, end, 0));
      await until('the editor at the end again', () => lastVisibleLine(editor) >= doc.lineCount - 1);
      await say(engine!, 'writer', 'following again');
      await waitForText(doc, (t) => t.endsWith('following again'), 'the next line');
      await until('the editor to follow again', () => lastVisibleLine(editor) >= doc.lineCount - 1);
    });

    test('Load earlier lines puts the page before the first one in at the top', async () => {
      const marker = await mark('before paging');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 100 });
      const doc = editor.document;
      const first = lines(await waitForText(doc, (t) => t.endsWith(marker) && lines(t).length === 100, 'the tail'))[0]!;
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      const load = lenses.find((l) => l.command?.command === 'podsmith.logs.loadEarlier');
      assert.ok(load, `no Load earlier lens; lenses: ${lenses.map((l) => l.command?.title).join(', ')}`);
      assert.match(load.command!.title, /Load \d+ earlier lines/);
      const added = await vscode.commands.executeCommand<number>(load.command!.command, ...(load.command!.arguments ?? []));
      assert.ok(added && added > 0, `loadEarlier added ${added} lines`);
      const text = await waitForText(doc, (t) => lines(t).length === 100 + added, 'the earlier page');
      const ls = lines(text);
      assert.equal(ls.indexOf(first), added, 'the page ends right before the old first line');
      // Contiguous: nothing lost or doubled at the seam (the writer's seq lines count up by one).
      const seq = ls.filter((l) => /^seq \d+$/.test(l)).map((l) => Number(l.slice(4)));
      assert.ok(seq.length > added, 'the page and the tail hold seq lines');
      for (let i = 1; i < seq.length; i++) assert.equal(seq[i], seq[i - 1]! + 1, `seq line ${i}`);
    });

    test('timestamps are shown on request, and the grammar colors timestamps, levels, prefixes and notes', async () => {
      const marker = await mark('ERROR with a timestamp');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 3, timestamps: true });
      const text = await waitForText(editor.document, (t) => t.endsWith(marker), 'the lines');
      const last = lines(text).pop()!;
      assert.match(last, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+(Z|[+-]\d{2}:\d{2}) ERROR with a timestamp \d+$/);

      const tokenize = await tokenizer();
      const scopeOf = (line: string, part: string): string => tokenize(line).find((t) => t.text === part)?.scopes.join(' ') ?? '(no token)';
      assert.match(scopeOf(last, last.split(' ')[0]!), /comment\.timestamp/);
      assert.match(scopeOf(last, 'ERROR'), /log\.error/);
      assert.match(scopeOf('[app] started WARN low disk', '[app]'), /entity\.name\.tag\.container/);
      assert.match(scopeOf('[app] started WARN low disk', 'WARN'), /log\.warning/);
      assert.match(scopeOf('level=info msg=up', 'level=info'), /log\.info/);
      assert.match(scopeOf('2026-12-07T18:10:10.123456789+00:00 stderr F boom', 'stderr'), /stream\.stderr/);
      assert.match(scopeOf('── pod web was deleted: the log ends here', '── pod web was deleted: the log ends here'), /note/);
    });

    test('follows across a container restart; the previous instance opens on its own', async function () {
      this.timeout(60_000);
      const editor = await showLogs({ pod: 'logs', container: 'restarter', tail: 50 });
      const doc = editor.document;
      await waitForText(doc, (t) => t.includes('first instance'), 'the first instance');
      // The first instance exits 1 once told; the kubelet's first restart is immediate.
      await engine!.client.exec({ pod: 'logs', container: 'restarter', command: ['touch', '/state/go'], tty: false, stdin: false }).then((s) => s.ended);
      const text = await waitForText(doc, (t) => t.includes('second instance'), 'the second instance in the same tab', 40_000);
      const ls = lines(text);
      assert.ok(ls.indexOf('first instance') < ls.indexOf('second instance'));
      await waitForText(doc, (t) => /── container restarter exited with code 1/.test(t), 'the restart note');

      const prev = await showLogs({ pod: 'logs', container: 'restarter', previous: true });
      assert.notEqual(prev.document.uri.toString(), doc.uri.toString());
      const old = await waitForText(prev.document, (t) => t.includes('first instance'), 'the previous instance');
      assert.ok(!old.includes('second instance'), 'the previous instance shows only its own lines');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', prev.document.uri);
      assert.ok(lenses.some((l) => l.command?.title.includes('Not following')), 'previous instances are not followed');
    });

    test('all containers of the pod, interleaved by time and prefixed with their names', async () => {
      const editor = await showLogs({ pod: 'logs', allContainers: true, tail: 5, timestamps: true });
      const doc = editor.document;
      await waitForText(doc, (t) => t.includes('[writer] ') && t.includes('[restarter] '), 'lines of both containers');
      await say(engine!, 'restarter', 'from restarter');
      await say(engine!, 'writer', 'from writer');
      const text = await waitForText(doc, (t) => t.includes('from writer') && t.includes('from restarter'), 'new lines of both');
      const ls = lines(text).filter((l) => !l.startsWith('── '));
      const times = ls.map((l) => {
        const m = /^\[(writer|restarter)\] (\S+) /.exec(l);
        assert.ok(m, `line without a container prefix and time: ${JSON.stringify(l)}`);
        return Date.parse(m[2]!.replace(/\.(\d{3})\d*/, '.$1'));
      });
      for (let i = 1; i < times.length; i++) assert.ok(times[i - 1]! <= times[i]!, `out of time order at line ${i}:\n${ls[i - 1]}\n${ls[i]}`);
      assert.ok(ls.findIndex((l) => l.includes('from restarter')) < ls.findIndex((l) => l.includes('from writer')));
    });

    test('a follow ends with a visible line when the pod is deleted', async function () {
      this.timeout(60_000);
      await engine!.run(DOOMED);
      const editor = await showLogs({ pod: 'doomed', container: 'app' });
      await waitForText(editor.document, (t) => t.includes('doomed pod says hi'), 'the first line');
      await engine!.client.deletePod({ pod: 'doomed', force: true });
      await waitForText(editor.document, (t) => t.endsWith('── pod doomed was deleted: the log ends here'), 'the end line', 30_000);
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri);
      assert.ok(lenses.some((l) => l.command?.title.includes('Ended')));
    });

    test('a follow ends with a visible line when the daemon goes away', async function () {
      this.timeout(60_000);
      const marker = await mark('before the daemon goes');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 5 });
      await waitForText(editor.document, (t) => t.endsWith(marker), 'the first lines');
      try {
        await engine!.stopDaemon();
        await waitForText(editor.document, (t) => /\n── the log stopped: .*daemon/.test(t), 'the lost-daemon line');
      } finally {
        await engine!.startDaemon();
      }
    });

    test('a log that cannot be read is an error message, not an empty tab', async () => {
      const editor = await vscode.commands.executeCommand<vscode.TextEditor | undefined>('podsmith.pod.logs', { pod: 'logs', container: 'writer', previous: true });
      assert.equal(editor, undefined, 'no tab for a container without a previous instance');
      assert.ok(!vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'podsmith-log')));
    });
  });
}
