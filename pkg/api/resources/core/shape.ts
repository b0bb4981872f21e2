/** Loose views of JSON bodies: strategies read deep fields that the schema, not TypeScript, types. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Obj = Record<string, any>;

/** The array at a field, or none when the field is absent or not an array. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const list = (v: unknown): any[] => (Array.isArray(v) ? v : []);
