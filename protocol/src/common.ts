import { Type, type Static, type TSchema } from 'typebox';

export const Uuid = Type.String({ format: 'uuid', description: 'UUID (device-created rows use v4/v7 generated on the device)' });
/** A uuid in its text form, in either case: what Postgres accepts as `uuid` from hex-and-dashes text. */
export const isUuid = (text: string): boolean => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
/**
 * An RFC 3339 date-time, but with seconds 00-59: the format allows a leap second (23:59:60), which
 * JavaScript cannot read and Postgres rolls over into the next minute (9999-12-31T23:59:60Z would
 * be stored as year 10000).
 */
export const timestampOf = (description: string) => Type.String({ format: 'date-time', pattern: ':[0-5][0-9](\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$', description });
export const Timestamp = timestampOf('RFC 3339 date-time, seconds 00-59');
export const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['USD'] });
export const MoneyMinor = Type.Integer({ minimum: 0, description: 'Integer minor units (cents)' });

export const ErrorBody = Type.Object(
  {
    code: Type.String({ description: 'Stable error code; see docs/errors.md' }),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  },
  { $id: 'ErrorBody' },
);
export type ErrorBody = Static<typeof ErrorBody>;

export const IdParams = Type.Object({ id: Uuid });
export type IdParams = Static<typeof IdParams>;

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 200, description: 'nextCursor from the previous page' })),
};

export function Page<T extends TSchema>(item: T) {
  return Type.Object({
    items: Type.Array(item),
    nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'null on the last page' }),
  });
}
