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
import { setSetting } from './util';

const POD = `apiVersion: v1
kind: Pod
metadata:
  name: logs
spec:
  volumes:
    - name: state
      emptyDir: {}
  containers:
    - name: pager
      image: ${BUSYBOX}
      command: ["sh", "-c", "seq 1 3000 | sed 's/^/seq /'; echo 'ERROR something failed'; while true; do sleep 1; done"]
    - name: writer
      image: ${BUSYBOX}
      command: ["sh", "-c", "echo hello from writer; while true; do sleep 1; done"]
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
  await sh(engine, container, `echo "${text}" > /proc/1/fd/1`, pod);
}

/** Runs a shell command in a container and waits for it to exit 0. */
async function sh(engine: TestEngine, container: string, script: string, pod = 'logs'): Promise<void> {
  const s = await engine.client.exec({ pod, container, command: ['sh', '-c', script], tty: false, stdin: false });
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
      // Every line of the pager's start is in its log before the tests look.
      await until('the pager\'s lines', async () => {
        const s = await engine!.client.logs({ pod: 'logs', container: 'pager', tail: 1 });
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
      const editor = await showLogs({ pod: 'logs', container: 'pager', tail: 100 });
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
      await sh(engine!, 'writer', 'for i in $(seq 1 300); do echo "filler $i"; done > /proc/1/fd/1');
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

    test('a full window keeps a scrolled-up reader on their text; back at the bottom it is cut to its limit', async function () {
      this.timeout(40_000);
      await setSetting('logs.maxLines', 200);
      try {
        await sh(engine!, 'writer', 'for i in $(seq 1 200); do echo "filler $i"; done > /proc/1/fd/1');
        const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 200 });
        const doc = editor.document;
        await waitForText(doc, (t) => t.endsWith('filler 200') && lines(t).length === 200, 'a full window');
        editor.revealRange(new vscode.Range(100, 0, 100, 0), vscode.TextEditorRevealType.AtTop);
        await until('the view near line 100', () => Math.abs((editor.visibleRanges[0]?.start.line ?? 0) - 100) <= 10);
        assert.ok(lastVisibleLine(editor) < doc.lineCount - 2, 'the viewport is small enough for this test');
        const top = editor.visibleRanges[0]!.start.line;
        const reading = doc.lineAt(top).text;
        // 50 more lines: 250 > 200, but the reader above keeps the top from being cut (up to 400 lines).
        await sh(engine!, 'writer', 'for i in $(seq 1 50); do echo "overflow $i"; done > /proc/1/fd/1');
        await waitForText(doc, (t) => t.endsWith('overflow 50'), 'the new lines');
        assert.equal(doc.lineAt(editor.visibleRanges[0]!.start.line).text, reading, 'the reader still sees the line they were reading at the top');
        assert.equal(doc.lineCount, 250);
        // Past twice the limit the top goes even so, and the view is moved back onto the same text.
        await sh(engine!, 'writer', 'for i in $(seq 1 200); do echo "flood $i"; done > /proc/1/fd/1');
        await waitForText(doc, (t) => t.endsWith('flood 200'), 'the flood');
        assert.ok(doc.lineCount <= 400, `the tab holds ${doc.lineCount} lines, more than twice podsmith.logs.maxLines`);
        const at = lines(doc.getText()).indexOf(reading);
        assert.ok(at >= 0 && at < top, 'lines above the reader were cut');
        await until('the view back on the reader\'s line', () => editor.visibleRanges[0]!.start.line === at).catch((err: Error) => {
          throw new Error(`${err.message}: line ${at} (was ${top}); visible ${JSON.stringify(editor.visibleRanges)} of ${doc.lineCount}`);
        });
        // Undo does not bring cut lines back: the tab is read-only.
        await vscode.commands.executeCommand('undo');
        assert.ok(doc.getText().endsWith('flood 200'));
        // At the bottom again: the next lines cut the window to its limit.
        editor.revealRange(new vscode.Range(doc.lineCount - 1, 0, doc.lineCount - 1, 0));
        await until('the editor at the end', () => lastVisibleLine(editor) >= doc.lineCount - 1);
        await say(engine!, 'writer', 'back at the bottom');
        await waitForText(doc, (t) => t.endsWith('back at the bottom') && lines(t).length <= 200, 'the window cut to its limit');
      } finally {
        await setSetting('logs.maxLines', undefined);
      }
    });

    test('a tab that has taken many windows of edits moves to a fresh document, still following', async function () {
      this.timeout(60_000);
      await setSetting('logs.maxLines', 100);
      try {
        const marker = await mark('before the long follow');
        const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 20 });
        await waitForText(editor.document, (t) => t.endsWith(marker), 'the first lines');
        const first = editor.document.uri.toString();
        // A window of 100 lines holds 40 000 characters, so after 160 000 characters of edits (4 windows) the tab
        // moves on. Batches of 100 lines of about 60 characters, each waited for in the tab: ~27 batches.
        const current = (): vscode.TextDocument => vscode.window.activeTextEditor!.document;
        let batch = 0;
        while (current().uri.toString() === first) {
          assert.ok(++batch <= 60, 'the tab never moved to a fresh document');
          await sh(engine!, 'writer', `for i in $(seq 1 100); do echo "batch ${batch} line $i, with some words to make it longer"; done > /proc/1/fd/1`);
          const last = `batch ${batch} line 100, with some words to make it longer`;
          await until(`batch ${batch} in the tab`, () => current().getText().endsWith(last));
        }
        assert.ok(batch >= 20, `moved on after ${batch} batches: too early for 4 windows of edits`);
        const now = vscode.window.activeTextEditor!;
        assert.match(now.document.uri.query, /gen=\d+/);
        assert.equal(now.document.languageId, 'podsmith-log');
        // The fresh document is shown first, then the old tab is closed: wait for the close.
        const logTabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'podsmith-log');
        await until('the old document\'s tab to close', () => logTabs().length === 1, 10_000).catch((err: Error) => {
          throw new Error(`${err.message}; log tabs: ${logTabs().map((t) => (t.input as vscode.TabInputText).uri.toString()).join(' ')}`);
        });
        await until('the new document to follow to its end', () => lastVisibleLine(now) >= now.document.lineCount - 1).catch((err: Error) => {
          throw new Error(`${err.message}; visible ${JSON.stringify(now.visibleRanges)} of ${now.document.lineCount} lines, active: ${vscode.window.activeTextEditor === now}, visible editors: ${vscode.window.visibleTextEditors.map((e) => e.document.uri.toString()).join(' ')}`);
        });
        const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', now.document.uri);
        assert.ok(lenses.some((l) => l.command?.title.includes('Following')));
      } finally {
        await setSetting('logs.maxLines', undefined);
      }
    });

    test('Load earlier lines puts the page before the first one in at the top', async () => {
      const editor = await showLogs({ pod: 'logs', container: 'pager', tail: 100, follow: false });
      const doc = editor.document;
      const first = lines(await waitForText(doc, (t) => t.startsWith('seq 2902\n') && t.endsWith('ERROR something failed'), 'the tail'))[0]!;
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
      const load = lenses.find((l) => l.command?.command === 'podsmith.logs.loadEarlier');
      assert.ok(load, `no Load earlier lens; lenses: ${lenses.map((l) => l.command?.title).join(', ')}`);
      assert.match(load.command!.title, /Load \d+ earlier lines/);
      const added = await vscode.commands.executeCommand<number>(load.command!.command, ...(load.command!.arguments ?? []));
      assert.equal(added, 1000, 'a page of podsmith.logs.tail lines');
      const text = await waitForText(doc, (t) => lines(t).length === 100 + added, 'the earlier page');
      const ls = lines(text);
      assert.equal(ls.indexOf(first), added, 'the page ends right before the old first line');
      assert.equal(ls[0], 'seq 1902');
      // Contiguous: nothing lost or doubled at the seam.
      for (let i = 1; i < ls.length - 1; i++) assert.equal(ls[i], `seq ${1902 + i}`, `line ${i}`);
    });

    test('timestamps are shown on request, and the grammar colors timestamps, levels, prefixes and notes', async () => {
      const marker = await mark('ERROR with a timestamp');
      const editor = await showLogs({ pod: 'logs', container: 'writer', tail: 3, timestamps: true });
      const text = await waitForText(editor.document, (t) => t.endsWith(marker), 'the lines');
      const last = lines(text).pop()!;
      assert.match(last, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+(Z|[+-]\d{2}:\d{2}) ERROR with a timestamp \d+$/);
      // The tab's toggle shows the same lines without them, in place.
      await vscode.commands.executeCommand('podsmith.logs.toggleTimestamps', editor.document.uri);
      await waitForText(editor.document, (t) => t.endsWith(`\n${marker}`) && !/\d{4}-\d{2}-\d{2}T/.test(t), 'the lines without timestamps');

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
        const m = /^\[(pager|writer|restarter)\] (\S+) /.exec(l);
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
