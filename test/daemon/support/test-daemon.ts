// TEST ONLY: `podsmith daemon` with the process-backed test runtime, started by the tests (and by the client's
// auto-start in them) as `node --import tsx test-daemon.ts`.
import { podsmithHome } from '../../../engine/home';
import { serveDaemon } from '../../../engine/daemon/serve';
import { ProcessRuntime } from './process-runtime';

const home = podsmithHome();
serveDaemon({
  home,
  createRuntime: async (h) => ({ runtime: new ProcessRuntime(h), runtimeClasses: ['pod-containers'] }),
  version: 'test',
  report: (line) => process.stderr.write(line + '\n'),
}).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`test daemon failed: ${err.stack}\n`);
    process.exit(1);
  },
);
