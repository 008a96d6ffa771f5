// The status bar item: the engine's state and how many pods run on it; a click opens the Podsmith view.
import * as vscode from 'vscode';
import { LOCAL_HOST } from '../engine/access';
import type { Ctx } from '../ctx';
import { VIEW_ID } from '../tree/pods-tree';

export function registerStatusBar(ctx: Ctx): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem('podsmith.engine', vscode.StatusBarAlignment.Left, 10);
  item.name = 'Podsmith Engine';
  item.command = `${VIEW_ID}.focus`;
  const conn = ctx.engine.local;
  const store = ctx.engine.store(LOCAL_HOST);
  const update = (): void => {
    const running = store.list().filter((p) => p.phase === 'Running').length;
    switch (conn.state) {
      case 'connected':
        item.text = `$(vm-running) ${running} running`;
        item.tooltip = `Podsmith engine: ${running} pod${running === 1 ? '' : 's'} running of ${store.list().length}\ndaemon pid ${conn.info?.pid}, ${conn.home()}`;
        item.backgroundColor = undefined;
        break;
      case 'connecting':
        item.text = '$(sync~spin) Podsmith';
        item.tooltip = 'Podsmith engine: starting';
        item.backgroundColor = undefined;
        break;
      case 'unavailable':
        item.text = '$(error) Podsmith';
        item.tooltip = `Podsmith engine unavailable: ${conn.error ?? 'unknown error'}`;
        item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        break;
      default:
        item.text = '$(vm-outline) Podsmith';
        item.tooltip = conn.state === 'stopped' ? 'Podsmith engine: not running (pods keep running; it starts on demand)' : 'Podsmith engine: not connected';
        item.backgroundColor = undefined;
    }
  };
  update();
  item.show();
  ctx.extension.subscriptions.push(item, conn.onDidChangeState(update), store.onDidChange(update));
  return item;
}
