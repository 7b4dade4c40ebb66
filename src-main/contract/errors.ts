import { z } from 'zod';

export const ErrorCode = z.enum([
  'invalid_input',
  'not_found',
  'conflict',
  /** Another operation holds the device's lease. */
  'busy',
  'refused',
  'unavailable',
  'device_error',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ContractErrorShape = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Per-field messages for form inputs, keyed by dotted path (`host`, `auth.path`). */
  fields: z.record(z.string(), z.string()).optional(),
});
export type ContractErrorShape = z.infer<typeof ContractErrorShape>;

/** The one error type that crosses the contract. Its message is written for the person at the console. */
export class ContractError extends Error {
  readonly code: ErrorCode;
  readonly fields: Record<string, string> | undefined;
  constructor(code: ErrorCode, message: string, fields?: Record<string, string>) {
    super(message);
    this.name = 'ContractError';
    this.code = code;
    this.fields = fields;
  }
  toShape(): ContractErrorShape {
    return this.fields
      ? { code: this.code, message: this.message, fields: this.fields }
      : { code: this.code, message: this.message };
  }
  static from(shape: ContractErrorShape): ContractError {
    return new ContractError(shape.code, shape.message, shape.fields);
  }
}

export function fieldErrors(issues: readonly z.core.$ZodIssue[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) {
    const key = issue.path.map(String).join('.') || '_';
    fields[key] ??= issue.message;
  }
  return fields;
}
