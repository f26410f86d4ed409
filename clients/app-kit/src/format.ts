/** Display helpers shared by the apps: money, quantities and ages as people read them. */

const money = new Map<string, Intl.NumberFormat>();

/** `minor` units of `currency` (cents for USD) as `$12.50`. */
export function formatMoney(minor: number, currency = 'USD'): string {
  let format = money.get(currency);
  if (!format) money.set(currency, (format = new Intl.NumberFormat('en-US', { style: 'currency', currency })));
  return format.format(minor / 100);
}

/** How long ago `iso` was, in words ("just now", "5 min ago", "3 h ago", "2 days ago"). */
export function formatAge(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return 'never';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  const days = Math.round(seconds / 86_400);
  return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** Mutator names as a person would say them: `order.place` → "Place order". */
export function describeMutation(name: string): string {
  const [entity = name, verb = ''] = name.split('.');
  const text = `${verb} ${entity}`.trim();
  return text.charAt(0).toUpperCase() + text.slice(1);
}
