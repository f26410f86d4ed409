/** What the killed-and-restarted device of the tests does, shared by the device process and the test. */

/** The adjustment id of mutation n: a replay after a kill can never create a second movement. */
export const adjustmentID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
export const deltaOf = (n: number) => (n % 3) + 1;
