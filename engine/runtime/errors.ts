// Failures of the OCI runtime layer. `detail` keeps the runtime's own words (runc's "executable file not
// found in $PATH") so the pod layer can pass them on unchanged.
export type RuntimeErrorCode = 'NOT_INSTALLED' | 'UNUSABLE' | 'FAILED' | 'TIMEOUT' | 'NOT_FOUND';

export class RuntimeError extends Error {
  constructor(
    message: string,
    readonly code: RuntimeErrorCode,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'RuntimeError';
  }
}
