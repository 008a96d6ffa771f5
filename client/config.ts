// The extension's settings, read in one place. Engine settings are machine-scoped: a workspace must not be able
// to point the extension at another Node binary or another engine's state.
import * as vscode from 'vscode';

export const SECTION = 'podsmith';

export interface EngineSettings {
  /** PODSMITH_HOME for the engine; empty: the environment's PODSMITH_HOME, else the CLI's default. */
  home: string;
  /** The Node binary that runs the daemon and helpers; empty: `node` on PATH, else the extension host's own Node. */
  nodePath: string;
}

function str(cfg: vscode.WorkspaceConfiguration, key: string): string {
  const v = cfg.get<unknown>(key);
  return typeof v === 'string' ? v.trim() : '';
}

export function engineSettings(): EngineSettings {
  const cfg = vscode.workspace.getConfiguration(SECTION);
  return { home: str(cfg, 'engine.home'), nodePath: str(cfg, 'engine.nodePath') };
}

export function affectsEngine(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.engine.home`) || e.affectsConfiguration(`${SECTION}.engine.nodePath`);
}

/** Whether Delete asks first (tasks and tests may turn it off). */
export function confirmDelete(): boolean {
  return vscode.workspace.getConfiguration(SECTION).get<boolean>('pods.confirmDelete', true) !== false;
}
