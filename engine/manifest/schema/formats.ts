// The value formats of the Kubernetes schema, as regular expressions. The generator writes them into the
// JSON as `pattern`s, so the compiled validator, the exported schema and third-party tools all agree, and
// the runtime uses them to tell which format a failing `pattern` stood for.

/** Kubernetes resource quantity: a signed decimal with an optional binary/decimal suffix or exponent. */
export const QUANTITY_PATTERN = '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)(([KMGTPE]i)|[numkMGTPE]|[eE][+-]?\\d+)?$';

/** RFC 3339 as metav1.Time reads it: a full date, `T`, a time with optional fraction, and a zone. */
export const DATE_TIME_PATTERN =
  '^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])[Tt]([01]\\d|2[0-3]):[0-5]\\d:([0-5]\\d|60)(\\.\\d+)?([Zz]|[+-]([01]\\d|2[0-3]):[0-5]\\d)$';

// Standard padded base64. Go's decoder for []byte fields skips \r and \n, so wrapped text is accepted too.
const B64 = '[A-Za-z0-9+/][\\r\\n]*';
export const BASE64_PATTERN = `^[\\r\\n]*(?:(?:${B64}){4})*(?:(?:${B64}){2}=[\\r\\n]*=|(?:${B64}){3}=)?[\\r\\n]*$`;

export const INT32_MIN = -2147483648;
export const INT32_MAX = 2147483647;
