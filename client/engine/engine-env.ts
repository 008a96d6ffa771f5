// The environment of the processes the extension starts for the engine (the daemon, doctor, port-forward
// helpers): the extension host's, minus what belongs to the editor process. No VS Code imports.

export function engineEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  // ELECTRON_RUN_AS_NODE would make an Electron binary pass for Node; NODE_OPTIONS may carry a debugger flag.
  for (const [k, v] of Object.entries(env)) if (!/^(VSCODE_|ELECTRON_)/.test(k) && k !== 'NODE_OPTIONS') out[k] = v;
  return out;
}
