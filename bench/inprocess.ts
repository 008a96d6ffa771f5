// Scenarios (a) and (b): full validation of a whole text, in this process, for both tools.
import { performance } from 'node:perf_hooks';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService, type LanguageService } from 'yaml-language-server';
import { lintText } from '../engine/manifest/index';

/** A diagnostic reduced to what the sanity checks look at. */
export interface Diag {
  line: number;
  severity: 'error' | 'warning' | 'info';
  message: string;
}

export interface Validator {
  name: string;
  /** Full validation of `text` from scratch: parse, schema and (for Podsmith) semantic rules. */
  validate(text: string): Diag[] | Promise<Diag[]>;
}

export const podsmithValidator: Validator = {
  name: 'Podsmith',
  // Synchronous on purpose: timing it without an await measures the work and nothing else.
  validate(text) {
    return lintText(text).findings.map((f) => ({ line: f.range.start.line, severity: f.severity, message: f.message }));
  },
};

/** Where the in-process yaml-language-server believes the schema and the document live (never read from disk). */
const SCHEMA_URI = 'file:///podsmith-bench/pod.schema.json';
const DOC_URI = 'file:///podsmith-bench/pod.yaml';

/**
 * yaml-language-server's language service (the part its server calls on every change), given the schema
 * Podsmith exports, inline, for every `*.yaml` file. Anything it would normally swallow (a failing schema
 * fetch, an exception during validation) is kept and turned into a thrown error, so a silently empty result
 * can never pass for a fast one.
 */
export function yamlLanguageServerValidator(schema: object): Validator {
  const swallowed: string[] = [];
  const service: LanguageService = getLanguageService({
    // The exported schema is standalone; any fetch means it is not, and the comparison would be off.
    schemaRequestService: async (uri) => {
      swallowed.push(`schema request for ${uri}`);
      throw new Error(`unexpected schema request: ${uri}`);
    },
    workspaceContext: { resolveRelativePath: (relative, resource) => new URL(relative, resource).toString() },
    telemetry: {
      send: () => undefined,
      sendTrack: () => undefined,
      sendError: (name, error) => void swallowed.push(`${name}: ${(error as Error)?.stack ?? String(error)}`),
    },
    clientCapabilities: {},
  });
  service.configure({
    validate: true,
    hover: false,
    completion: false,
    format: false,
    isKubernetes: false,
    yamlVersion: '1.2',
    schemas: [{ uri: SCHEMA_URI, fileMatch: ['*.yaml'], schema }],
  });
  // Its parse cache is keyed by (uri, version): a new version per call forces the full parse Podsmith does too.
  let version = 0;
  return {
    name: 'yaml-language-server',
    async validate(text) {
      const doc = TextDocument.create(DOC_URI, 'yaml', ++version, text);
      const diagnostics = await service.doValidation(doc, false);
      if (swallowed.length) throw new Error(`yaml-language-server failed silently:\n${swallowed.join('\n')}`);
      return diagnostics.map((d) => ({
        line: d.range.start.line,
        severity: d.severity === 1 ? 'error' : d.severity === 2 ? 'warning' : 'info',
        message: d.message,
      }));
    },
  };
}

export interface InProcessResult {
  /** Milliseconds per run, one array per validator, in the order given. */
  samples: number[][];
  /** Diagnostics of the last run, per validator. */
  diagnostics: Diag[][];
}

async function timeOnce(v: Validator, text: string): Promise<{ ms: number; diags: Diag[] }> {
  const t0 = performance.now();
  const r = v.validate(text);
  const diags = r instanceof Promise ? await r : r;
  return { ms: performance.now() - t0, diags };
}

/**
 * Warms both up, then alternates them run by run so they share the machine's noise; the order flips every
 * run so neither always pays for the garbage the other left behind.
 */
export async function compareInProcess(
  validators: Validator[],
  text: string,
  opts: { warmup: number; runs: number },
): Promise<InProcessResult> {
  const samples = validators.map(() => [] as number[]);
  const diagnostics = validators.map(() => [] as Diag[]);
  for (let i = 0; i < opts.warmup; i++) for (const v of validators) await timeOnce(v, text);
  for (let r = 0; r < opts.runs; r++) {
    const order = r % 2 === 0 ? validators.map((_, k) => k) : validators.map((_, k) => validators.length - 1 - k);
    for (const k of order) {
      const { ms, diags } = await timeOnce(validators[k], text);
      samples[k].push(ms);
      diagnostics[k] = diags;
    }
  }
  return { samples, diagnostics };
}
