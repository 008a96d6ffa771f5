// A node:test reporter for scripts/run-tests.mjs: writes one JSON line per skipped test (file, full name, reason)
// and a last line with the totals, so the runner can print the skipped tests at the end and fail on them where
// setup has installed everything. The readable output (TAP or spec) comes from node's own reporter beside it.
export default async function* outcomes(source) {
  const names = []; // names[nesting] = the name of the test running at that depth (test:start comes parent first)
  const totals = { passed: 0, failed: 0, skipped: 0, todo: 0 };
  for await (const event of source) {
    const { type, data } = event;
    if (type === 'test:start') {
      names[data.nesting] = data.name;
      names.length = data.nesting + 1;
    } else if (type === 'test:pass' || type === 'test:fail') {
      // Suites report too; a test with subtests is counted through them. A skipped suite counts once.
      const isSuite = data.details?.type === 'suite';
      if (data.skip !== undefined) {
        totals.skipped++;
        const name = [...names.slice(0, data.nesting), data.name].join(' > ');
        yield JSON.stringify({ skipped: name, file: data.file, reason: data.skip === true ? '' : String(data.skip) }) + '\n';
      } else if (data.todo !== undefined) {
        totals.todo++;
      } else if (!isSuite) {
        totals[type === 'test:pass' ? 'passed' : 'failed']++;
      }
    }
  }
  yield JSON.stringify({ totals }) + '\n';
}
