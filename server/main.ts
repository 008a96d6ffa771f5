// Process entry of the language server. The transport comes from the command line, as every LSP client
// passes it: `--stdio`, `--node-ipc` (the VS Code extension), `--socket=N` or `--pipe=NAME`.
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { startServer } from './server';

startServer(createConnection(ProposedFeatures.all));
