/**
 * Postgres WAL positions: 'XXXXXXXX/YYYYYYYY' on the wire, one 64-bit number in the log
 * (sync.change_log.lsn is a bigint, so positions compare as numbers across shapes).
 */
const lsnPattern = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/;

export function parseLsn(text: string): bigint {
  const match = lsnPattern.exec(text);
  if (!match) throw new TypeError(`Not a Postgres LSN: ${JSON.stringify(text)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

export function formatLsn(lsn: bigint): string {
  if (lsn < 0n || lsn > 0xffff_ffff_ffff_ffffn) throw new RangeError(`LSN out of range: ${lsn}`);
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffff_ffffn).toString(16).toUpperCase()}`;
}
