// TEST ONLY: `podsmith daemon` with the process-backed test runtime, started by the tests (and by the client's
// auto-start in them) as `node --import tsx test-daemon.ts [--idle-exit DURATION]`.
import { parseIdleExit } from '../../../engine/daemon/idle-exit';
import { podsmithHome } from '../../../engine/home';
import { serveDaemon } from '../../../engine/daemon/serve';
import { ProcessRuntime } from './process-runtime';

const home = podsmithHome();
const at = process.argv.indexOf('--idle-exit');
serveDaemon({
  home,
  createRuntime: async (h) => ({ runtime: new ProcessRuntime(h), runtimeClasses: ['pod-containers'] }),
  version: 'test',
  idleExitMs: at > 0 ? parseIdleExit(process.argv[at + 1]) : undefined,
  report: (line) => process.stderr.write(line + '\n'),
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`test daemon failed: ${err.stack}\n`);
    process.exit(1);
  },
);
